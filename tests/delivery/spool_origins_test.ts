// Item origins in the spool: the record kind that carries one, the positions in segment headers,
// what `origins()` reports (only what is fsynced), and what start-up recovers (also after the
// items' segments were settled and deleted, and after a clean shutdown), within its bound.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Spool } from "../../src/delivery/spool.ts";
import {
  encodeRecord,
  HEADER_BYTES,
  itemRecordBytes,
  itemTextAt,
  scanSegment,
  type SpoolRecord,
  writeItemRecords,
} from "../../src/delivery/spool_record.ts";
import { crc32 } from "../../src/delivery/crc32.ts";
import { MAX_ORIGIN_SOURCES } from "../../src/delivery/_origins.ts";
import type { AppendFile } from "../../src/platform/files.ts";
import { patchedFs, segmentFiles, spoolFs, withTempDir } from "./_spool_helpers.ts";

const MiB = 1024 * 1024;
const utf8 = (text: string) => new TextEncoder().encode(text);
const item = (i: number) => JSON.stringify({ event_id: `o-${i}`, message: `line ${i}` });

function concat(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((offset, part) => (bytes.set(part, offset), offset + part.length), 0);
  return bytes;
}

describe("spool origins: records", () => {
  const records: SpoolRecord[] = [
    {
      kind: "header",
      writer: "0123456789abcdef",
      segment: 2,
      prev: undefined,
      origins: [["/var/log/a.log", 10], ["stdin", 3]],
    },
    { kind: "item", seq: 0, addedAt: 1.5, text: '{"a":1}', origin: { source: "a", position: 7 } },
    { kind: "item", seq: 1, addedAt: 2, text: '{"b":"é"}' },
    {
      kind: "item",
      seq: 2 ** 40,
      addedAt: 3,
      text: '{"c":"✓"}',
      origin: { source: "/var/log/é ✓.log", position: 2 ** 52 },
    },
  ];

  test("items with and without an origin and a header with positions read back as written", () => {
    const bytes = concat(records.map(encodeRecord));
    const { records: read, offsets, damage } = scanSegment(bytes);
    assert.deepEqual({ read, damage }, { read: records, damage: [] });
    assert.equal(itemTextAt(bytes, offsets[3]), '{"c":"✓"}');
    assert.equal(itemTextAt(bytes, offsets[2]), '{"b":"é"}');
    const bare = scanSegment(bytes, { texts: false }).records[3];
    assert.deepEqual(bare, { ...records[3], text: "" }, "the origin is read without the text");
    const sized = itemRecordBytes(utf8('{"a":1}').length, 1);
    assert.equal(encodeRecord(records[1]).length, sized);
  });

  test("a run written in place, origins and plain items mixed, is what encodeRecord writes", () => {
    const items = records.slice(1).map((record) => {
      const { seq, addedAt, text, origin } = record as SpoolRecord & { kind: "item" };
      const sourceBytes = origin === undefined ? undefined : utf8(origin.source);
      const size = itemRecordBytes(utf8(text).length, sourceBytes?.length);
      return { seq, addedAt, text, origin, sourceBytes, size };
    });
    const bytes = new Uint8Array(items.reduce((sum, it) => sum + it.size, 0));
    writeItemRecords(bytes, new DataView(bytes.buffer), 0, items);
    assert.deepEqual(bytes, concat(records.slice(1).map(encodeRecord)));
  });

  test("an origin that cannot be (a negative position) is damage, even with a valid checksum", () => {
    const bytes = encodeRecord(records[1]);
    const view = new DataView(bytes.buffer);
    view.setFloat64(HEADER_BYTES + 17, -1, true);
    const crc = crc32(bytes, crc32(bytes, 0, 4, 8), HEADER_BYTES, bytes.length);
    view.setUint32(8, crc, true);
    assert.deepEqual(scanSegment(bytes).records, []);
    assert.equal(scanSegment(bytes).damage.length, 1);
  });
});

describe("spool origins", () => {
  test("origins() reports a position only once its item is fsynced, and a failed write never", async () => {
    await withTempDir(async (dir) => {
      let release!: () => void;
      let hold = false;
      let failWrites = false;
      const fs = patchedFs({
        async createAppend(path: string): Promise<AppendFile> {
          const file = await spoolFs.createAppend(path);
          return {
            write: (bytes) => failWrites ? Promise.reject(new Error("EIO")) : file.write(bytes),
            sync: async () => {
              if (hold) await new Promise<void>((resolve) => release = resolve);
              await file.sync();
            },
            close: () => file.close(),
          };
        },
      });
      const spool = await Spool.open({ dir, maxBytes: MiB, fs });
      await spool.append(item(0), undefined, { source: "a", position: 1 });
      assert.deepEqual([...spool.origins()], [["a", 1]]);
      hold = true;
      const appended = spool.append(item(1), undefined, { source: "a", position: 2 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual([...spool.origins()], [["a", 1]], "not before its fsync");
      hold = false;
      release();
      await appended;
      assert.deepEqual([...spool.origins()], [["a", 2]]);
      failWrites = true;
      await assert.rejects(spool.append(item(2), undefined, { source: "a", position: 3 }));
      assert.deepEqual([...spool.origins()], [["a", 2]], "a failed write moves nothing");
      failWrites = false;
      await spool.close();
      const again = await Spool.open({ dir, maxBytes: MiB });
      assert.deepEqual([...again.origins()], [["a", 2]]);
      await again.close();
    });
  });

  test("positions outlive the segments of their items: settled and deleted, and after a clean close", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: MiB, segmentBytes: 4096 });
      const seqs: number[] = [];
      for (let i = 0; i < 300; i++) {
        const origin = { source: i < 100 ? "early" : `late-${i % 3}`, position: i + 1 };
        seqs.push(await spool.append(item(i), undefined, origin));
        spool.settle(seqs.slice(-1));
      }
      await spool.idle();
      const files = await segmentFiles(dir);
      assert.ok(files.length <= 2, `settled segments deleted (${files.length} left)`);
      const expected = [["early", 100], ["late-0", 298], ["late-1", 299], ["late-2", 300]];
      assert.deepEqual([...spool.origins()], expected);
      await spool.close();
      assert.equal((await segmentFiles(dir)).length, 1, "one small segment holds them");

      const again = await Spool.open({ dir, maxBytes: MiB });
      assert.equal(again.backlog.length, 0);
      assert.deepEqual([...again.origins()], expected);
      // Reopened and closed again without a new item: they are still there.
      await again.close();
      const third = await Spool.open({ dir, maxBytes: MiB });
      assert.deepEqual([...third.origins()], expected);
      await third.close();
    });
  });

  test("a spool without origins still leaves an empty directory after a clean close", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: MiB });
      spool.settle([await spool.append(item(0))]);
      await spool.close();
      assert.deepEqual(await segmentFiles(dir), []);
    });
  });

  test(`the most recent ${MAX_ORIGIN_SOURCES} sources are kept, in memory and across a restart`, async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: 64 * MiB, segmentBytes: 64 * 1024 });
      const total = MAX_ORIGIN_SOURCES + 10;
      await Promise.all(
        Array.from(
          { length: total },
          (_, i) => spool.append(item(i), undefined, { source: `s-${i}`, position: i }),
        ),
      );
      // The first source again: now the most recent.
      await spool.append(item(0), undefined, { source: "s-0", position: 99 });
      const kept = [...spool.origins().keys()];
      assert.equal(kept.length, MAX_ORIGIN_SOURCES);
      assert.equal(kept.at(-1), "s-0");
      assert.ok(!kept.includes("s-1") && kept.includes("s-11"), "the oldest are forgotten");
      await spool.close();
      const again = await Spool.open({ dir, maxBytes: 64 * MiB });
      assert.equal(again.origins().size, MAX_ORIGIN_SOURCES);
      assert.equal(again.origins().get("s-0"), 99);
      await again.close();
    });
  });

  test("appends waiting for space take their sequence numbers in call order: a small item never overtakes a large one", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: 64 * 1024, segmentBytes: 4096 });
      const filler = (i: number) => JSON.stringify({ i, pad: "x".repeat(1000) });
      const held: number[] = [];
      while (spool.stats().bytes < 60 * 1024) held.push(await spool.append(filler(held.length)));
      const order: string[] = [];
      const big = spool.append(JSON.stringify({ pad: "y".repeat(8000) }), undefined, {
        source: "s",
        position: 1,
      }).then((seq) => (order.push("big"), seq));
      const smalls = [2, 3, 4].map((position) =>
        spool.append("{}", undefined, { source: "s", position })
          .then((seq) => (order.push(`small ${position}`), seq))
      );
      // Room for the small ones first (one segment's worth), then for all.
      spool.settle(held.slice(0, 4));
      await spool.idle();
      await new Promise((resolve) => setTimeout(resolve, 20));
      spool.settle(held);
      const seqs = await Promise.all([big, ...smalls]);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "sequence numbers in call order");
      assert.deepEqual(order, ["big", "small 2", "small 3", "small 4"]);
      assert.equal(spool.origins().get("s"), 4);
      await spool.close();
    });
  });
});
