/**
 * Turning payloads into request bodies, refusing what JSON cannot carry
 * faithfully. `JSON.stringify` silently turns `NaN` into `null`, a `Map` into
 * `{}` and drops functions; telemetry changed that way is worse than an error.
 *
 * @module
 */

import { VectorVueSerializationError } from "./errors.ts";

const encoder = new TextEncoder();
const NON_ASCII = /[\u0080-\uffff]/;

/**
 * UTF-8 length of `text`, without encoding it when it is ASCII, as telemetry mostly is: a
 * TextEncoder call per item is an allocation (a fifth of the batcher's CPU per item, and on Node
 * enough short-lived buffers to hold a 1,000,000-item send at 300 MB of resident memory).
 */
export function utf8Length(text: string): number {
  return NON_ASCII.test(text) ? encoder.encode(text).byteLength : text.length;
}

/**
 * Runs `read` (anything that reads the caller's value), turning whatever it throws (a getter, a
 * `toJSON`, a Proxy trap, a revoked Proxy) into a {@linkcode VectorVueSerializationError} at
 * `path`, with what was thrown as its `cause`: the item's own problem, typed like any other.
 */
function reading<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof VectorVueSerializationError) throw error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new VectorVueSerializationError(
      `${path} could not be read (reading it threw ${reason})`,
      path,
      { cause: error },
    );
  }
}

function describe(value: unknown): string | undefined {
  switch (typeof value) {
    case "bigint":
      return "a BigInt";
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    case "number":
      return Number.isFinite(value) ? undefined : `the non-finite number ${value}`;
  }
  return undefined;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Deeper payloads would overflow the stack here, and the server cannot parse them either. */
const MAX_DEPTH = 512;

function check(value: unknown, path: string, ancestors: object[]): void {
  const problem = describe(value);
  if (problem) {
    throw new VectorVueSerializationError(
      `${path} is ${problem}, which JSON cannot carry`,
      path,
    );
  }
  if (value === null || typeof value !== "object") return;
  if (ancestors.includes(value)) {
    throw new VectorVueSerializationError(`${path} refers back to itself (a cycle)`, path);
  }
  if (ancestors.length >= MAX_DEPTH) {
    throw new VectorVueSerializationError(
      `${path} is nested more than ${MAX_DEPTH} levels deep, which the server cannot parse`,
      path,
    );
  }
  ancestors.push(value);
  if (reading(path, () => Array.isArray(value))) {
    const array = value as unknown[];
    const length = reading(path, () => array.length);
    for (let index = 0; index < length; index++) {
      const itemPath = `${path}[${index}]`;
      const item = reading(itemPath, () => array[index]);
      if (item === undefined) {
        throw new VectorVueSerializationError(
          `${itemPath} is undefined, which JSON would turn into null`,
          itemPath,
        );
      }
      check(item, itemPath, ancestors);
    }
  } else if (reading(path, () => typeof (value as { toJSON?: unknown }).toJSON === "function")) {
    // Date, URL and user classes that say how they serialise: trust that.
    check(reading(path, () => (value as { toJSON: () => unknown }).toJSON()), path, ancestors);
  } else if (reading(path, () => isPlainObject(value))) {
    for (const key of reading(path, () => Object.keys(value))) {
      const item = reading(`${path}.${key}`, () => (value as Record<string, unknown>)[key]);
      // An undefined property is an absent optional field: JSON drops it, as intended.
      if (item !== undefined) check(item, `${path}.${key}`, ancestors);
    }
  } else {
    const kind = reading(path, () => (value as object).constructor?.name) ?? "object";
    throw new VectorVueSerializationError(
      `${path} is a ${kind}, which JSON cannot carry faithfully; convert it to a plain object or array`,
      path,
    );
  }
  ancestors.pop();
}

/**
 * Whether JSON carries `value` faithfully, by the rules of `check` but
 * without building the path of every field, which is most of its cost (a
 * batch of 100 events: 12 µs instead of 50). Only when this finds a problem
 * does `check` run, to name it.
 */
function carriesFaithfully(value: unknown, ancestors: object[]): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(value);
    case "object":
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (ancestors.includes(value) || ancestors.length >= MAX_DEPTH) return false;
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item = value[index];
      if (item === undefined || !carriesFaithfully(item, ancestors)) return false;
    }
  } else if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    if (!carriesFaithfully((value as { toJSON: () => unknown }).toJSON(), ancestors)) return false;
  } else if (isPlainObject(value)) {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined && !carriesFaithfully(item, ancestors)) return false;
    }
  } else {
    return false;
  }
  ancestors.pop();
  return true;
}

/** A payload turned into the exact bytes to send (and sign). */
export interface SerializedBody {
  /** The JSON text. */
  readonly text: string;
  /** Its UTF-8 bytes: sent and signed as they are. */
  readonly bytes: Uint8Array;
}

function isObjectPayload(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Throws unless `value` is a JSON object payload that JSON carries faithfully. */
export function assertObjectPayload(value: unknown, path: string): void {
  if (!reading(path, () => isObjectPayload(value))) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new VectorVueSerializationError(`${path} must be an object, got ${kind}`, path);
  }
  // When the quick pass throws (a getter, a Proxy), the checking pass names where.
  let faithful: boolean;
  try {
    faithful = carriesFaithfully(value, []);
  } catch {
    faithful = false;
  }
  if (!faithful) check(value, path, []);
}

function encodeText(text: string): SerializedBody {
  return { text, bytes: encoder.encode(text) };
}

/**
 * Checks and serialises one item of a batch on its own, so that batches can
 * be assembled (and measured) without serialising an item twice.
 */
export function serializeItem(value: unknown, path: string): string {
  assertObjectPayload(value, path);
  // A getter may throw only on its second read: JSON.stringify reads the item again.
  return reading(path, () => JSON.stringify(value));
}

/**
 * Assembles a batch body from items held as UTF-8 bytes, copying each once into the body; the
 * text is only decoded if something asks for it (explaining a 422).
 */
export function joinEncoded(parts: readonly Uint8Array[]): SerializedBody {
  let length = 1 + Math.max(parts.length, 1);
  for (const part of parts) length += part.byteLength;
  const bytes = new Uint8Array(length);
  bytes[0] = 0x5b; // [
  let offset = 1;
  parts.forEach((part, index) => {
    if (index > 0) bytes[offset++] = 0x2c; // ,
    bytes.set(part, offset);
    offset += part.byteLength;
  });
  bytes[offset] = 0x5d; // ]
  let text: string | undefined;
  return {
    bytes,
    get text() {
      return text ??= new TextDecoder().decode(bytes);
    },
  };
}

/** Assembles a batch body from items serialised by {@linkcode serializeItem}. */
export function joinBatch(texts: readonly string[]): SerializedBody {
  return encodeText(`[${texts.join(",")}]`);
}

/**
 * Checks and serialises one object payload (an event, a finding).
 *
 * @param path How the payload is named in errors, such as `event`.
 */
export function serializeObject(value: unknown, path: string): SerializedBody {
  return encodeText(serializeItem(value, path));
}

/**
 * Checks and serialises a batch: a non-empty array of at most `maxItems`
 * objects.
 *
 * @param path How the batch is named in errors, such as `events`.
 */
export function serializeBatch(items: unknown, path: string, maxItems: number): SerializedBody {
  return reading(path, () => serializeBatchUnguarded(items, path, maxItems));
}

function serializeBatchUnguarded(items: unknown, path: string, maxItems: number): SerializedBody {
  if (!Array.isArray(items)) {
    throw new VectorVueSerializationError(`${path} must be an array`, path);
  }
  if (items.length === 0) {
    throw new VectorVueSerializationError(`${path} is empty; send at least one item`, path);
  }
  if (items.length > maxItems) {
    throw new VectorVueSerializationError(
      `${path} has ${items.length} items, more than maxBatchSize (${maxItems}); ` +
        "split it or use sendEvents()/sendFindings(), which split for you",
      path,
    );
  }
  // One JSON.stringify of the whole array writes the same text as joining the items' own, in
  // half the time; the per-item path runs only to name the item JSON cannot carry. (An array
  // with its own toJSON would serialise as that instead, so it takes the per-item path.)
  let faithful = typeof (items as { toJSON?: unknown }).toJSON !== "function";
  try {
    for (let index = 0; index < items.length && faithful; index++) {
      // Indexed, not every(): a hole in a sparse array must fail here, as undefined.
      faithful = isObjectPayload(items[index]) && carriesFaithfully(items[index], []);
    }
    if (faithful) return encodeText(JSON.stringify(items));
  } catch {
    // An item threw while read: the per-item path below names it.
  }
  // Array.from, not map(): map() skips the holes of a sparse array.
  return joinBatch(Array.from(items, (item, index) => serializeItem(item, `${path}[${index}]`)));
}
