// Property-based tests of payload serialisation: a payload is either sent as JSON that reads
// back as exactly what was given, or refused with a VectorVueSerializationError; it is never
// silently changed (NaN to null, a Map to {}, a dropped function) and never crashes otherwise.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { VectorVueSerializationError } from "../../mod.ts";
import { serializeBatch, serializeObject } from "../../src/serialize.ts";

const RUNS = 200;

/**
 * A JSON value rebuilt from plain parts: -0 made 0 (`JSON.stringify(-0)` is "0", as in every
 * JSON encoder) and null-prototype objects made ordinary ones (JSON has no prototypes).
 */
function asJsonData(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(asJsonData);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(out, key, {
        value: asJsonData(item),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

const jsonObject = fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 }))
  .map(asJsonData) as fc.Arbitrary<Record<string, unknown>>;

/** Values JSON cannot carry faithfully, anywhere in a payload. */
const unfaithful = fc.oneof(
  fc.constantFrom(NaN, Infinity, -Infinity, () => 1, Symbol("s"), 1n, new Map(), new Set()),
  fc.bigInt(),
  fc.func(fc.integer()),
  fc.uint8Array({ minLength: 1 }),
);

/** Anything at all, cycles included. */
const anyValue = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withNullPrototype: true,
    withObjectString: true,
    withSet: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
  unfaithful,
);

/** An object with a cycle somewhere below it: `path` picks which ancestor a node points back to. */
const cyclic = fc.tuple(
  jsonObject,
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 4 }),
  fc.nat(),
)
  .map(([root, path, back]) => {
    const chain: Record<string, unknown>[] = [root];
    for (const key of path) {
      const child: Record<string, unknown> = {};
      chain[chain.length - 1][`k_${key}`] = child;
      chain.push(child);
    }
    chain[chain.length - 1].loop = chain[back % chain.length];
    return root;
  });

/** Whether `value` holds only what JSON carries: plain objects/arrays, strings, finite numbers... */
function isPlainJson(value: unknown, seen = new Set<unknown>()): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value) && !Object.is(value, -0);
  if (typeof value !== "object" || seen.has(value)) return false;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      return Object.keys(value).length === value.length &&
        value.every((item) => isPlainJson(item, seen));
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return false;
    return Object.values(value).every((item) => isPlainJson(item, seen));
  } finally {
    seen.delete(value);
  }
}

describe("property: a payload is sent faithfully or refused", () => {
  test("plain JSON objects are sent as JSON that parses back deep-equal", () => {
    fc.assert(
      fc.property(jsonObject, (payload) => {
        const body = serializeObject(payload, "event");
        assert.deepStrictEqual(JSON.parse(body.text), payload);
        assert.deepStrictEqual(body.bytes, new TextEncoder().encode(body.text));
      }),
      { numRuns: RUNS },
    );
  });

  test("any value: JSON that reads back as JSON.stringify would, or a VectorVueSerializationError", () => {
    const payloads = fc.oneof(
      anyValue,
      fc.dictionary(fc.string(), anyValue, { maxKeys: 4 }),
      fc.tuple(jsonObject, fc.string(), unfaithful).map(([object, key, bad]) => ({
        ...object,
        nested: { [key]: [bad] },
      })),
      cyclic,
    );
    fc.assert(
      fc.property(payloads, (payload) => {
        let text: string;
        try {
          text = serializeObject(payload, "event").text;
        } catch (error) {
          assert.ok(
            error instanceof VectorVueSerializationError,
            `not a VectorVueSerializationError: ${(error as Error)?.name}: ${
              (error as Error)?.message
            }`,
          );
          assert.match(error.path, /^event/);
          assert.ok(error.message.startsWith(error.path), error.message);
          return;
        }
        // Accepted: what JSON.stringify sends (undefined properties dropped, Date as ISO text),
        // and for plain JSON exactly the payload.
        assert.deepStrictEqual(JSON.parse(text), JSON.parse(JSON.stringify(payload)));
        if (isPlainJson(payload)) assert.deepStrictEqual(JSON.parse(text), asJsonData(payload));
      }),
      { numRuns: RUNS },
    );
  });

  test("a cycle anywhere is refused as a cycle", () => {
    fc.assert(
      fc.property(cyclic, (payload) => {
        assert.throws(
          () => serializeObject(payload, "event"),
          (error: unknown) =>
            error instanceof VectorVueSerializationError &&
            /refers back to itself \(a cycle\)$/.test(error.message),
        );
      }),
      { numRuns: RUNS },
    );
  });

  test("NaN, Infinity, BigInt, functions and Maps deep inside are refused, naming the path", () => {
    fc.assert(
      fc.property(jsonObject, fc.string(), unfaithful, (object, key, bad) => {
        const payload = { ...object, nested: { [key]: [bad] } };
        assert.throws(
          () => serializeObject(payload, "finding"),
          (error: unknown) =>
            error instanceof VectorVueSerializationError &&
            error.path === `finding.nested.${key}[0]` &&
            error.message.startsWith(`finding.nested.${key}[0] is `),
        );
      }),
      { numRuns: RUNS },
    );
  });

  test("a shared (acyclic) object is not mistaken for a cycle", () => {
    fc.assert(
      fc.property(jsonObject, (shared) => {
        const payload = { a: shared, b: [shared, { c: shared }] };
        assert.deepStrictEqual(JSON.parse(serializeObject(payload, "event").text), payload);
      }),
      { numRuns: 50 },
    );
  });

  test("batches: a non-empty array of up to maxItems JSON objects is sent as a JSON array", () => {
    fc.assert(
      fc.property(fc.array(jsonObject, { maxLength: 6 }), fc.integer({ min: 1, max: 5 }), (
        items,
        maxItems,
      ) => {
        if (items.length === 0 || items.length > maxItems) {
          assert.throws(
            () => serializeBatch(items, "events", maxItems),
            VectorVueSerializationError,
          );
        } else {
          assert.deepStrictEqual(JSON.parse(serializeBatch(items, "events", maxItems).text), items);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("-0 is sent as 0, as JSON.stringify does", () => {
    assert.equal(serializeObject({ x: -0 }, "event").text, '{"x":0}');
  });
});
