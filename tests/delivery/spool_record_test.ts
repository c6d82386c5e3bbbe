// The spool's record format: checksum, framing, and the scan that skips damage.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "../../src/delivery/crc32.ts";
import {
  encodeRecord,
  fromRanges,
  HEADER_BYTES,
  itemRecordBytes,
  itemTextAt,
  scanSegment,
  type SpoolRecord,
  toRanges,
  writeItemRecords,
} from "../../src/delivery/spool_record.ts";

const records: SpoolRecord[] = [
  { kind: "item", seq: 0, addedAt: 1_764_000_000_000, text: '{"event_id":"a"}' },
  { kind: "item", seq: 2 ** 40 + 7, addedAt: 1_764_000_000_001.5, text: '{"message":"é ✓"}' },
  { kind: "header", writer: "0123456789abcdef", segment: 3, prev: { name: "s-2", records: 9 } },
  { kind: "header", writer: "0123456789abcdef", segment: 1, prev: undefined },
  {
    kind: "batch",
    key: "0b7c1d52-3c51-4c57-9a36-8d1d2b0c2f11",
    refs: new Map([["0123456789abcdef", [0, 1, 2, 5]], ["fedcba9876543210", [3]]]),
  },
  { kind: "settled", refs: new Map([["0123456789abcdef", [0, 1, 2, 5, 6]]]) },
  { kind: "footer", records: 42 },
];

function concat(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

describe("spool records", () => {
  test("crc32 matches the IEEE check value and continues across calls", () => {
    const text = new TextEncoder().encode("123456789");
    assert.equal(crc32(text), 0xcbf43926);
    assert.equal(crc32(text.subarray(4), crc32(text.subarray(0, 4))), 0xcbf43926);
  });

  test("ranges round-trip and reject garbage", () => {
    assert.deepEqual(toRanges([1, 2, 3, 7, 9, 10]), [[1, 3], [7, 7], [9, 10]]);
    assert.deepEqual(fromRanges([[1, 3], [7, 7], [9, 10]]), [1, 2, 3, 7, 9, 10]);
    assert.throws(() => fromRanges([[3, 1]]), TypeError);
    assert.throws(() => fromRanges("[]"), TypeError);
  });

  test("every kind of record reads back as written, one after another", () => {
    const bytes = concat(records.map(encodeRecord));
    const { records: read, offsets, damage } = scanSegment(bytes);
    assert.deepEqual({ records: read, damage }, { records, damage: [] });
    // Offsets of each record; a scan without texts finds the same records, texts left empty.
    assert.deepEqual(offsets.slice(0, 3), [
      0,
      encodeRecord(records[0]).length,
      offsets[1] + encodeRecord(records[1]).length,
    ]);
    const bare = scanSegment(bytes, { texts: false }).records;
    assert.deepEqual(bare[1], { ...records[1], text: "" });
    assert.equal(itemTextAt(bytes, offsets[1]), (records[1] as { text: string }).text);
    const item = records[0] as { text: string };
    assert.equal(encodeRecord(records[0]).length, itemRecordBytes(item.text.length));
  });

  test("a run of items written in place (one encoding for all) reads back as encodeRecord writes each, non-ASCII text included", () => {
    const texts = ['{"a":1}', '{"m":"é ✓"}', '{"e":"😀 ü"}', "", '{"z":"\\u0000"}'];
    const items = texts.map((text, i) => ({
      seq: 2 ** 33 + i,
      addedAt: 1_764_000_000_000 + i / 4,
      text,
      size: itemRecordBytes(new TextEncoder().encode(text).length),
    }));
    const bytes = new Uint8Array(items.reduce((sum, item) => sum + item.size, 0) + 3);
    writeItemRecords(bytes, new DataView(bytes.buffer), 3, items);
    const expected = concat(
      items.map(({ seq, addedAt, text }) => encodeRecord({ kind: "item", seq, addedAt, text })),
    );
    assert.deepEqual(bytes.subarray(3), expected);
    const { records: read } = scanSegment(bytes.subarray(3));
    assert.deepEqual(read.map((record) => (record as { text: string }).text), texts);
    // A record sized for the wrong length is refused, not written short.
    assert.throws(
      () => writeItemRecords(bytes, new DataView(bytes.buffer), 0, [{ ...items[1], size: 40 }]),
      RangeError,
    );
  });

  test("items given as UTF-8 (encoded once by the batcher) are copied, between items encoded here", () => {
    const encoder = new TextEncoder();
    const texts = ['{"a":1}', '{"m":"é ✓"}', '{"e":"😀 ü"}', '{"b":2}'];
    const items = texts.map((text, i) => ({
      seq: 10 + i,
      addedAt: 1_764_000_000_000 + i,
      text,
      // The second and fourth come as bytes; the text beside them says something else, so a
      // writer that encoded the text instead of copying the bytes would be seen.
      ...(i % 2 === 1 ? { text: "stale", encoded: encoder.encode(text) } : {}),
      size: itemRecordBytes(encoder.encode(text).length),
    }));
    const bytes = new Uint8Array(items.reduce((sum, item) => sum + item.size, 0));
    writeItemRecords(bytes, new DataView(bytes.buffer), 0, items);
    const expected = concat(
      texts.map((text, i) =>
        encodeRecord({ kind: "item", seq: 10 + i, addedAt: items[i].addedAt, text })
      ),
    );
    assert.deepEqual(bytes, expected);
    // Bytes of another length than the record was sized for are refused.
    assert.throws(
      () =>
        writeItemRecords(bytes, new DataView(bytes.buffer), 0, [
          { ...items[1], encoded: encoder.encode("{}") },
        ]),
      RangeError,
    );
  });

  test("a file cut mid-record keeps every whole record and reports the torn tail's offset", () => {
    const parts = records.map(encodeRecord);
    const whole = concat(parts);
    const tornAt = parts[0].length + parts[1].length + 5;
    const { records: read, damage } = scanSegment(whole.subarray(0, tornAt + HEADER_BYTES));
    assert.deepEqual(read, records.slice(0, 2));
    assert.deepEqual(damage, [{ offset: tornAt - 5, length: HEADER_BYTES + 5, tail: true }]);
  });

  test("a flipped byte loses only its own record: the scan finds the next one", () => {
    const parts = records.map(encodeRecord);
    const bytes = concat(parts);
    const start = parts[0].length;
    bytes[start + HEADER_BYTES + 10] ^= 0x20;
    const { records: read, damage } = scanSegment(bytes);
    assert.deepEqual(read, [records[0], ...records.slice(2)]);
    assert.deepEqual(damage, [{ offset: start, length: parts[1].length, tail: false }]);
  });

  test("a flipped bit in a length field is damage, not a giant record", () => {
    const parts = records.map(encodeRecord);
    const bytes = concat(parts);
    bytes[parts[0].length + 7] ^= 0x80;
    const { records: read, damage } = scanSegment(bytes);
    assert.deepEqual(read, [records[0], ...records.slice(2)]);
    assert.equal(damage.length, 1);
    assert.equal(damage[0].offset, parts[0].length);
  });

  test("zeros where a crash left the file extended but unwritten are one torn tail", () => {
    const first = encodeRecord(records[0]);
    const bytes = concat([first, new Uint8Array(4096)]);
    assert.deepEqual(scanSegment(bytes).damage, [
      { offset: first.length, length: 4096, tail: true },
    ]);
  });
});
