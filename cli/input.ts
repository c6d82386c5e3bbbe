/**
 * Reading items from NDJSON (one object a line) or a JSON array, as a stream: memory holds one
 * line (or one array element) at a time, whatever the size of the input. Every record carries
 * its line number and the byte offset just after it, where a resumed run starts reading again.
 *
 * @module
 */

/** How the input is laid out. */
export type InputFormat = "ndjson" | "array";

/** One item read, or one that could not be. */
export interface InputRecord {
  /** 1-based line of the item's first byte. */
  readonly line: number;
  /** Byte offset just after this record: a resumed run starts here. */
  readonly endOffset: number;
  /** The item, when the record is a JSON object. */
  readonly item?: Record<string, unknown>;
  /** Why the record is not an item: `invalid_json`, `not_an_object`, ... */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** The record's text when it is not an item (cut to 64 KiB), for the dead-letter file. */
  readonly raw?: string;
}

/** Where reading starts: the beginning, or a resumed run's saved position. */
export interface ReadPosition {
  readonly offset: number;
  readonly line: number;
  /** Known when resuming; otherwise taken from the first non-blank byte. */
  readonly format?: InputFormat;
}

/** The key marking a dead-letter record; `send` takes its `item` again. */
export const DEAD_LETTER_KEY = "vectorvue_dead_letter";

/** Longest record read; a longer one is reported and skipped without holding it. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const RAW_LIMIT = 64 * 1024;

const NEWLINE = 0x0a;
const decoder = new TextDecoder("utf-8", { fatal: true });

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function clip(text: string): string {
  return text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}…` : text;
}

/** What one record's bytes hold. */
export function classify(
  bytes: Uint8Array,
  line: number,
  endOffset: number,
): InputRecord {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return {
      line,
      endOffset,
      errorCode: "invalid_utf8",
      errorMessage: "the line is not valid UTF-8",
      raw: clip(new TextDecoder().decode(bytes)),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      line,
      endOffset,
      errorCode: "invalid_json",
      errorMessage: `not JSON: ${(error as Error).message}`,
      raw: clip(text.trim()),
    };
  }
  if (!isRecord(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    return {
      line,
      endOffset,
      errorCode: "not_an_object",
      errorMessage: `not a JSON object but ${kind}`,
      raw: clip(text.trim()),
    };
  }
  if (DEAD_LETTER_KEY in value) {
    // A dead-letter record sent again: its fixed `item` is what goes to the server.
    if (isRecord(value.item)) return { line, endOffset, item: value.item };
    return {
      line,
      endOffset,
      errorCode: "unfixed_dead_letter",
      errorMessage: "a dead-letter record without an `item` object: put the fixed item there",
      raw: clip(text.trim()),
    };
  }
  return { line, endOffset, item: value };
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) return false;
  }
  return true;
}

/**
 * Collects one record's bytes across chunks, forgetting them past {@linkcode MAX_RECORD_BYTES}.
 * A record inside one chunk is read from the chunk itself; only the part of a record that is
 * carried over to the next chunk is copied (many small copies fragment Node's native heap).
 */
class RecordBuffer {
  parts: Uint8Array[] = [];
  length = 0;
  tooLong = false;
  add(bytes: Uint8Array): void {
    if (this.tooLong || bytes.length === 0) return;
    if (this.length + bytes.length > MAX_RECORD_BYTES) {
      this.tooLong = true;
      this.parts = [];
      return;
    }
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  take(): Uint8Array {
    const bytes = concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    return bytes;
  }
  reset(): void {
    this.parts = [];
    this.length = 0;
    this.tooLong = false;
  }
}

function tooLong(line: number, endOffset: number): InputRecord {
  return {
    line,
    endOffset,
    errorCode: "record_too_large",
    errorMessage: `longer than ${MAX_RECORD_BYTES} bytes`,
    raw: "",
  };
}

/** The format of an input whose first bytes are `head`: a JSON array starts with `[`. */
export function detectFormat(head: Uint8Array): InputFormat {
  for (const byte of head) {
    if (
      byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a || byte === 0xef ||
      byte === 0xbb || byte === 0xbf
    ) continue;
    return byte === 0x5b ? "array" : "ndjson";
  }
  return "ndjson";
}

/**
 * The records of `stream`, NDJSON or a JSON array. Blank lines are skipped. Resuming at
 * `position` needs its `format`: an array is then read from just after an element.
 */
export async function* readRecords(
  stream: ReadableStream<Uint8Array>,
  position: ReadPosition = { offset: 0, line: 1 },
): AsyncGenerator<InputRecord> {
  const reader = stream.getReader();
  try {
    let first: Uint8Array | undefined;
    let format = position.format;
    if (format === undefined) {
      // Skip nothing, but look far enough to see the first non-blank byte.
      const held: Uint8Array[] = [];
      let heldLength = 0;
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        held.push(value);
        heldLength += value.length;
        if (!isBlank(value)) break;
      }
      first = concat(held, heldLength);
      format = detectFormat(first);
    }
    const chunks = (async function* () {
      if (first && first.length > 0) yield first;
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        yield value;
      }
    })();
    if (format === "array") {
      // Resumed past the start, an array is read from just after an element.
      yield* arrayRecords(chunks, position, position.offset > 0);
    } else {
      yield* ndjsonRecords(chunks, position);
    }
  } finally {
    reader.releaseLock();
    await stream.cancel().catch(() => {});
  }
}

async function* ndjsonRecords(
  chunks: AsyncIterable<Uint8Array>,
  position: ReadPosition,
): AsyncGenerator<InputRecord> {
  let line = position.line;
  let offset = position.offset;
  const buffer = new RecordBuffer();
  const emit = (end: number): InputRecord | undefined => {
    const isTooLong = buffer.tooLong;
    const bytes = buffer.take();
    buffer.reset();
    if (isTooLong) return tooLong(line, end);
    if (isBlank(bytes)) return undefined;
    return classify(bytes, line, end);
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, start)) {
      offset += at + 1 - start;
      let record: InputRecord | undefined;
      if (buffer.length === 0 && !buffer.tooLong) {
        const bytes = chunk.subarray(start, at);
        record = isBlank(bytes) ? undefined : classify(bytes, line, offset);
      } else {
        buffer.add(chunk.subarray(start, at));
        record = emit(offset);
      }
      if (record) yield record;
      line++;
      start = at + 1;
    }
    buffer.add(chunk.slice(start));
    offset += chunk.length - start;
  }
  const record = emit(offset);
  if (record) yield record;
}

const enum State {
  BeforeArray,
  BeforeValue,
  InValue,
  InString,
  InStringEscape,
  AfterValue,
  AfterArray,
}

/**
 * Elements of a JSON array, found by tracking brackets and strings only; each element is then
 * parsed on its own, so a malformed one is reported with its line and the rest still read.
 */
async function* arrayRecords(
  chunks: AsyncIterable<Uint8Array>,
  position: ReadPosition,
  resumed: boolean,
): AsyncGenerator<InputRecord> {
  let line = position.line;
  let offset = position.offset;
  let state = resumed ? State.AfterValue : State.BeforeArray;
  let depth = 0;
  let valueLine = line;
  let topString = false;
  let container = false;
  const buffer = new RecordBuffer();
  const structural = (message: string): InputRecord => ({
    line,
    endOffset: offset,
    errorCode: "invalid_json",
    errorMessage: message,
    raw: "",
  });
  for await (const chunk of chunks) {
    let valueStart = state === State.InValue || state === State.InString ||
        state === State.InStringEscape
      ? 0
      : -1;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      const here = offset + i;
      switch (state) {
        case State.BeforeArray:
          if (byte === 0x5b) state = State.BeforeValue;
          else if (!isSpace(byte) && !(byte === 0xef || byte === 0xbb || byte === 0xbf)) {
            offset = here + 1;
            yield structural("the input is neither NDJSON nor a JSON array");
            return;
          }
          break;
        case State.BeforeValue:
          if (isSpace(byte)) break;
          if (byte === 0x5d) {
            state = State.AfterArray;
            break;
          }
          state = byte === 0x22 ? State.InString : State.InValue;
          topString = byte === 0x22;
          container = byte === 0x7b || byte === 0x5b;
          depth = container ? 1 : 0;
          valueLine = line;
          valueStart = i;
          break;
        case State.InString:
          if (byte === 0x5c) state = State.InStringEscape;
          else if (byte === 0x22) {
            state = State.InValue;
            if (topString && depth === 0) {
              // A string element ends with its quote.
              buffer.add(chunk.subarray(valueStart, i + 1));
              const isTooLong = buffer.tooLong;
              const bytes = buffer.take();
              buffer.reset();
              state = State.AfterValue;
              valueStart = -1;
              yield isTooLong ? tooLong(valueLine, here + 1) : classify(bytes, valueLine, here + 1);
            }
          }
          break;
        case State.InStringEscape:
          state = State.InString;
          break;
        case State.InValue: {
          if (byte === 0x22) {
            state = State.InString;
            topString = false;
            break;
          }
          let end = -1;
          if (container) {
            if (byte === 0x7b || byte === 0x5b) depth++;
            else if (byte === 0x7d || byte === 0x5d) depth--;
            if (depth === 0) end = i + 1;
          } else if (byte === 0x2c || byte === 0x5d || isSpace(byte)) {
            end = i;
          }
          if (end < 0) break;
          buffer.add(chunk.subarray(valueStart, end));
          const isTooLong = buffer.tooLong;
          const bytes = buffer.take();
          buffer.reset();
          valueStart = -1;
          const endOffset = offset + end;
          yield isTooLong ? tooLong(valueLine, endOffset) : classify(bytes, valueLine, endOffset);
          if (container) state = State.AfterValue;
          else if (byte === 0x2c) state = State.BeforeValue;
          else if (byte === 0x5d) state = State.AfterArray;
          else state = State.AfterValue;
          break;
        }
        case State.AfterValue:
          if (byte === 0x2c) state = State.BeforeValue;
          else if (byte === 0x5d) state = State.AfterArray;
          else if (!isSpace(byte)) {
            offset = here + 1;
            yield structural(
              `expected , or ] after an array element, got ${
                JSON.stringify(String.fromCharCode(byte))
              }`,
            );
            return;
          }
          break;
        case State.AfterArray:
          if (!isSpace(byte)) {
            offset = here + 1;
            yield structural("text after the end of the JSON array");
            return;
          }
          break;
      }
      if (byte === NEWLINE) line++;
    }
    if (valueStart >= 0) buffer.add(chunk.slice(valueStart));
    offset += chunk.length;
  }
  if (state !== State.AfterArray) {
    if (state === State.InValue || state === State.InString || state === State.InStringEscape) {
      const bytes = buffer.take();
      buffer.reset();
      yield classify(bytes, valueLine, offset);
    } else {
      yield structural("the JSON array is not closed");
    }
  }
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
