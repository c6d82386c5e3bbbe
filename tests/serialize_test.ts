import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { VectorVueError, VectorVueSerializationError } from "../src/errors.ts";
import {
  joinBatch,
  serializeBatch,
  serializeItem,
  serializeObject,
  utf8Length,
} from "../src/serialize.ts";

function event(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { event_type: "PROCESS_ANOMALY", severity: "high", ...extra };
}

/** Asserts that `run` throws a VectorVueSerializationError at `path` with a matching message. */
function assertRefused(run: () => unknown, path: string, message: RegExp): void {
  assert.throws(run, (error) => {
    assert.ok(error instanceof VectorVueSerializationError, `got ${error}`);
    assert.ok(error instanceof VectorVueError);
    assert.equal(error.name, "VectorVueSerializationError");
    assert.equal(error.path, path);
    assert.match(error.message, message);
    return true;
  });
}

describe("serializeObject()", () => {
  test("serializeObject() returns the JSON text and its UTF-8 bytes", () => {
    const body = serializeObject(event({ message: "café ✓" }), "event");
    assert.equal(
      body.text,
      '{"event_type":"PROCESS_ANOMALY","severity":"high","message":"café ✓"}',
    );
    assert.deepEqual(body.bytes, new TextEncoder().encode(body.text));
    assert.equal(new TextDecoder().decode(body.bytes), body.text);
    assert.ok(body.bytes.length > body.text.length, "é and ✓ take more than one byte");
  });

  test("serializeObject() refuses a BigInt and names its path, e.g. event.metadata.bytes", () => {
    assertRefused(
      () => serializeObject(event({ metadata: { bytes: 10n } }), "event"),
      "event.metadata.bytes",
      /^event\.metadata\.bytes is a BigInt, which JSON cannot carry$/,
    );
  });

  test("serializeObject() refuses a cycle and names where it closes", () => {
    const metadata: Record<string, unknown> = { host: "host-42" };
    metadata.self = metadata;
    assertRefused(
      () => serializeObject(event({ metadata }), "event"),
      "event.metadata.self",
      /event\.metadata\.self refers back to itself \(a cycle\)/,
    );
  });

  test("serializeObject() refuses a cycle through an array", () => {
    const list: unknown[] = [];
    list.push({ parent: list });
    assertRefused(
      () => serializeObject(event({ list }), "event"),
      "event.list[0].parent",
      /cycle/,
    );
  });

  test("serializeObject() accepts the same object referenced twice (not a cycle)", () => {
    const shared = { id: 1 };
    const body = serializeObject(event({ a: shared, b: [shared, shared] }), "event");
    assert.match(body.text, /"a":\{"id":1\},"b":\[\{"id":1\},\{"id":1\}\]/);
  });

  test("serializeObject() refuses a function", () => {
    assertRefused(
      () => serializeObject(event({ callback: () => 1 }), "event"),
      "event.callback",
      /event\.callback is a function, which JSON cannot carry/,
    );
  });

  test("serializeObject() refuses a symbol", () => {
    assertRefused(
      () => serializeObject(event({ tag: Symbol("x") }), "event"),
      "event.tag",
      /event\.tag is a symbol/,
    );
  });

  test("serializeObject() refuses NaN, Infinity and -Infinity", () => {
    for (const [value, text] of [[NaN, "NaN"], [Infinity, "Infinity"], [-Infinity, "-Infinity"]]) {
      assertRefused(
        () => serializeObject(event({ metrics: { cpu: value } }), "event"),
        "event.metrics.cpu",
        new RegExp(`event\\.metrics\\.cpu is the non-finite number ${text}`),
      );
    }
  });

  test("serializeObject() refuses a Map, a Set and a class instance, naming the class", () => {
    class Point {
      x = 1;
    }
    const cases: [unknown, string][] = [
      [new Map([["a", 1]]), "Map"],
      [new Set([1]), "Set"],
      [new Point(), "Point"],
    ];
    for (const [value, kind] of cases) {
      assertRefused(
        () => serializeObject(event({ extra: value }), "event"),
        "event.extra",
        new RegExp(`event\\.extra is a ${kind}, which JSON cannot carry faithfully`),
      );
    }
  });

  test("serializeObject() refuses undefined and holes in arrays, which JSON would turn into null", () => {
    assertRefused(
      () => serializeObject(event({ tags: ["a", undefined] }), "event"),
      "event.tags[1]",
      /event\.tags\[1\] is undefined, which JSON would turn into null/,
    );
    // deno-lint-ignore no-sparse-arrays
    const sparse = ["a", , "c"];
    assertRefused(
      () => serializeObject(event({ tags: sparse }), "event"),
      "event.tags[1]",
      /undefined/,
    );
  });

  test("serializeObject() names the array index of a nested problem", () => {
    assertRefused(
      () => serializeObject(event({ processes: [{ pid: 1 }, { pid: 2n }] }), "event"),
      "event.processes[1].pid",
      /BigInt/,
    );
  });

  test("serializeObject() drops undefined properties, as JSON does for absent optional fields", () => {
    const body = serializeObject(
      event({ asset_ref: undefined, metadata: { a: undefined } }),
      "event",
    );
    assert.equal(body.text, '{"event_type":"PROCESS_ANOMALY","severity":"high","metadata":{}}');
  });

  test("serializeObject() accepts a Date through its toJSON", () => {
    const body = serializeObject(
      event({ occurred_at: new Date(Date.UTC(2026, 10, 28, 12)) }),
      "event",
    );
    assert.match(body.text, /"occurred_at":"2026-11-28T12:00:00\.000Z"/);
  });

  test("serializeObject() checks what toJSON returns", () => {
    const sneaky = { toJSON: () => ({ size: 5n }) };
    assertRefused(
      () => serializeObject(event({ sneaky }), "event"),
      "event.sneaky.size",
      /BigInt/,
    );
  });

  test("serializeObject() accepts a null-prototype object, null values, booleans and nesting", () => {
    const bare = Object.assign(Object.create(null), { k: "v" });
    const body = serializeObject(
      event({ bare, none: null, flag: false, deep: [[{ n: 0 }]] }),
      "event",
    );
    assert.match(body.text, /"bare":\{"k":"v"\},"none":null,"flag":false,"deep":\[\[\{"n":0\}\]\]/);
  });

  test("serializeObject() refuses an event that is not an object", () => {
    const cases: [unknown, string][] = [
      [null, "null"],
      [[event()], "an array"],
      ["PROCESS_ANOMALY", "string"],
      [42, "number"],
      [undefined, "undefined"],
    ];
    for (const [value, kind] of cases) {
      assertRefused(
        () => serializeObject(value, "event"),
        "event",
        new RegExp(`^event must be an object, got ${kind}$`),
      );
    }
  });
});

describe("serializeBatch()", () => {
  test("serializeBatch() serialises an array of objects once", () => {
    const body = serializeBatch([event(), event({ severity: "low" })], "events", 100);
    assert.equal(JSON.parse(body.text).length, 2);
    assert.deepEqual(body.bytes, new TextEncoder().encode(body.text));
  });

  test("serializeBatch() accepts exactly maxBatchSize items", () => {
    const body = serializeBatch([event(), event(), event()], "events", 3);
    assert.equal(JSON.parse(body.text).length, 3);
  });

  test("serializeBatch() refuses a batch that is not an array", () => {
    assertRefused(
      () => serializeBatch(event(), "events", 100),
      "events",
      /^events must be an array$/,
    );
  });

  test("serializeBatch() refuses an empty batch", () => {
    assertRefused(() => serializeBatch([], "events", 100), "events", /events is empty/);
  });

  test("serializeBatch() refuses more than maxBatchSize items, naming maxBatchSize", () => {
    assertRefused(
      () => serializeBatch([event(), event(), event()], "findings", 2),
      "findings",
      /findings has 3 items, more than maxBatchSize \(2\)/,
    );
  });

  test("serializeBatch() names the item and path of a bad item", () => {
    assertRefused(
      () => serializeBatch([event(), "oops"], "events", 100),
      "events[1]",
      /events\[1\] must be an object, got string/,
    );
    assertRefused(
      () => serializeBatch([event(), event({ metadata: { bytes: 1n } })], "events", 100),
      "events[1].metadata.bytes",
      /BigInt/,
    );
  });
});

describe("serializeBatch() fast path", () => {
  test("writes exactly what JSON.stringify writes, toJSON values and undefined fields included", () => {
    const items = [
      { at: new Date(Date.UTC(2026, 10, 28)), url: new URL("https://x.test/a"), skip: undefined },
      { nested: { list: [1, "two", null, { deep: true }] }, text: "café ✓" },
    ];
    const body = serializeBatch(items, "events", 10);
    assert.equal(body.text, JSON.stringify(items));
    assert.deepEqual(body.bytes, new TextEncoder().encode(JSON.stringify(items)));
  });

  test("a batch array with its own toJSON is serialised item by item, not as its toJSON", () => {
    const items = Object.assign([{ a: 1 }, { b: 2 }], { toJSON: () => "replaced" });
    assert.equal(serializeBatch(items, "events", 10).text, '[{"a":1},{"b":2}]');
  });

  test("a sparse batch still names the hole", () => {
    const items: Record<string, unknown>[] = [{ a: 1 }];
    items[2] = { c: 3 };
    assert.throws(() => serializeBatch(items, "events", 10), {
      name: "VectorVueSerializationError",
      message: /events\[1\] must be an object, got undefined/,
    });
  });
});

describe("serializeItem() and joinBatch()", () => {
  test("serializeItem() checks one item and returns its JSON text", () => {
    assert.equal(
      serializeItem(event(), "events[0]"),
      '{"event_type":"PROCESS_ANOMALY","severity":"high"}',
    );
    assertRefused(() => serializeItem(event({ n: NaN }), "events[4]"), "events[4].n", /NaN/);
    assertRefused(
      () => serializeItem([], "events[4]"),
      "events[4]",
      /must be an object, got an array/,
    );
  });

  test("joinBatch() assembles item texts into the same bytes serializeBatch() sends", () => {
    const items = [event(), event({ message: "café ✓" })];
    const joined = joinBatch(items.map((item, index) => serializeItem(item, `events[${index}]`)));
    const whole = serializeBatch(items, "events", 100);
    assert.equal(joined.text, JSON.stringify(items));
    assert.equal(joined.text, whole.text);
    assert.deepEqual(joined.bytes, new TextEncoder().encode(joined.text));
  });
});

describe("utf8Length()", () => {
  test("is the UTF-8 byte length, ASCII or not", () => {
    for (const text of ["", "plain ascii {}", "é", "Grüße", "😀 emoji", "\u007f\u0080"]) {
      assert.equal(utf8Length(text), new TextEncoder().encode(text).byteLength, text);
    }
  });
});
