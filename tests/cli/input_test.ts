import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type InputRecord, readRecords } from "../../cli/input.ts";

const encoder = new TextEncoder();

/** A stream of `text` cut into pieces of `size` bytes, so records straddle chunks. */
function streamOf(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = encoder.encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  position?: Parameters<typeof readRecords>[1],
): Promise<InputRecord[]> {
  const out: InputRecord[] = [];
  for await (const record of readRecords(stream, position)) out.push(record);
  return out;
}

const summary = (records: InputRecord[]) =>
  records.map((r) => [r.line, r.item ?? r.errorCode, r.endOffset]);

describe("readRecords()", () => {
  const ndjson = '{"a":1}\n\n[1]\n{"b":"x\\ny"}\r\nnot json\n{"c":"é"}';
  for (const size of [1, 3, 1024]) {
    test(`NDJSON with line numbers, blank lines skipped, bad lines classified (chunks of ${size})`, async () => {
      assert.deepEqual(summary(await collect(streamOf(ndjson, size))), [
        [1, { a: 1 }, 8],
        [3, "not_an_object", 13],
        [4, { b: "x\ny" }, 27],
        [5, "invalid_json", 36],
        [6, { c: "é" }, 46],
      ]);
    });
  }

  test("NDJSON resumed at a saved offset keeps counting lines from there", async () => {
    const rest = ndjson.slice(27);
    assert.deepEqual(
      summary(await collect(streamOf(rest, 4), { offset: 27, line: 5, format: "ndjson" })),
      [[5, "invalid_json", 36], [6, { c: "é" }, 46]],
    );
  });

  const array =
    ' [\n  {"a": [1, {"b": "]"}]},\n  42,\n  {"c": "\\""}  ,\n  {oops},\n  {"d": 4}\n]\n';
  for (const size of [1, 5, 1024]) {
    test(`a JSON array: elements with the line they start on, bad elements classified (chunks of ${size})`, async () => {
      const records = await collect(streamOf(array, size));
      assert.deepEqual(records.map((r) => [r.line, r.item ?? r.errorCode]), [
        [2, { a: [1, { b: "]" }] }],
        [3, "not_an_object"],
        [4, { c: '"' }],
        [5, "invalid_json"],
        [6, { d: 4 }],
      ]);
    });
  }

  test("a JSON array resumed just after an element", async () => {
    const all = await collect(streamOf(array, 7));
    const after = all[2];
    const records = await collect(
      streamOf(array.slice(after.endOffset), 3),
      { offset: after.endOffset, line: after.line, format: "array" },
    );
    assert.deepEqual(records.map((r) => [r.line, r.item ?? r.errorCode]), [
      [5, "invalid_json"],
      [6, { d: 4 }],
    ]);
  });

  test("an unclosed array and trailing text are reported, not thrown", async () => {
    const unclosed = await collect(streamOf('[{"a":1},', 4));
    assert.deepEqual(unclosed.map((r) => r.item ?? r.errorMessage), [
      { a: 1 },
      "the JSON array is not closed",
    ]);
    const trailing = await collect(streamOf('[{"a":1}] x', 4));
    assert.equal(trailing[1].errorMessage, "text after the end of the JSON array");
  });

  test("a dead-letter record is read as its item; one without an item is reported", async () => {
    const text = '{"vectorvue_dead_letter":{"line":3},"item":{"x":1}}\n' +
      '{"vectorvue_dead_letter":{"line":4},"raw":"{bad"}\n';
    assert.deepEqual(summary(await collect(streamOf(text, 16))).map((r) => r[1]), [
      { x: 1 },
      "unfixed_dead_letter",
    ]);
  });
});
