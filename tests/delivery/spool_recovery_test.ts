// Recovery that keeps or reports every record: cut and emptied segments are counted and set aside,
// records of two writers that met in one directory are all kept.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
import { Spool } from "../../src/delivery/spool.ts";
import { recordBounds, recordingLogger, segmentFiles, withTempDir } from "./_spool_helpers.ts";

const MiB = 1024 * 1024;
const item = (i: number) => JSON.stringify({ event_id: `e-${i}`, message: `event number ${i}` });

/** A spool closed with `count` live items over several small segments; returns the segment names. */
async function spoolOf(dir: string, count: number): Promise<string[]> {
  const spool = await Spool.open({ dir, maxBytes: MiB, segmentBytes: 4096 });
  for (let i = 0; i < count; i += 10) {
    await Promise.all(Array.from({ length: 10 }, (_, j) => spool.append(item(i + j))));
  }
  await spool.close();
  return await segmentFiles(dir);
}

const damageWarnings = (logger: ReturnType<typeof recordingLogger>) =>
  logger.lines.filter((line) => line.level === "warn" && /damaged segment/.test(line.message));

describe("spool recovery", () => {
  test("a segment cut exactly on a record boundary: a warning with the records lost, the file kept aside", async () => {
    await withTempDir(async (dir) => {
      const files = await spoolOf(dir, 200);
      assert.ok(files.length >= 3, `${files.length} segments`);
      const path = `${dir}/${files[0]}`;
      const bytes = await readFile(path);
      const bounds = recordBounds(bytes);
      // Drop the footer and the last three item records, on record boundaries.
      await writeFile(path, bytes.subarray(0, bounds.at(-5)));
      const itemsBefore = bounds.length - 3; // the header and the footer are not items

      const logger = recordingLogger();
      const spool = await Spool.open({ dir, maxBytes: MiB, logger });
      const warnings = damageWarnings(logger);
      assert.equal(warnings.length, 1, JSON.stringify(logger.lines));
      assert.equal(warnings[0].fields?.file, path);
      assert.equal(warnings[0].fields?.recordsLost, 3);
      assert.equal((await spool.readRecovered()).items.length, 200 - 3);
      assert.equal(
        (await spool.readRecovered()).items[itemsBefore - 4].text,
        item(itemsBefore - 4),
      );
      assert.equal((await spool.readRecovered()).items[itemsBefore - 3].text, item(itemsBefore));
      // Once its readable items are settled the file goes to damaged/, not away.
      spool.settle((await spool.readRecovered()).items.map((it) => it.seq));
      await spool.close();
      assert.deepEqual(await readdir(`${dir}/damaged`), [files[0]]);
      assert.deepEqual(await segmentFiles(dir), []);
    });
  });

  test("an emptied segment (0 bytes): a warning with the records lost, counted from the next segment's header", async () => {
    await withTempDir(async (dir) => {
      const files = await spoolOf(dir, 200);
      const emptied = await readFile(`${dir}/${files[1]}`);
      const items = recordBounds(emptied).length - 3;
      await writeFile(`${dir}/${files[1]}`, new Uint8Array());

      const logger = recordingLogger();
      const spool = await Spool.open({ dir, maxBytes: MiB, logger });
      const warnings = damageWarnings(logger);
      assert.equal(warnings.length, 1, JSON.stringify(logger.lines));
      assert.deepEqual(warnings[0].fields?.problems, [
        "empty (0 bytes)",
        `${items + 1} records missing`,
      ]);
      assert.equal(warnings[0].fields?.recordsLost, items + 1, "its items and its header");
      assert.equal((await spool.readRecovered()).items.length, 200 - items);
      spool.settle((await spool.readRecovered()).items.map((it) => it.seq));
      await spool.close();
      assert.deepEqual(await readdir(`${dir}/damaged`), [files[1]]);
    });
  });

  test("the newest segment emptied: a warning that says the count cannot be known", async () => {
    await withTempDir(async (dir) => {
      const files = await spoolOf(dir, 200);
      await writeFile(`${dir}/${files.at(-1)}`, new Uint8Array());
      const logger = recordingLogger();
      const spool = await Spool.open({ dir, maxBytes: MiB, logger });
      const warnings = damageWarnings(logger);
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0].fields?.recordsLost, "unknown");
      await spool.close();
      assert.ok((await segmentFiles(dir)).length > 0, "the files with live items stay");
    });
  });

  test("segments of two writers that met in one directory (same numbers, same sequence numbers): every live record of both comes back", async () => {
    await withTempDir(async (dir) => {
      await withTempDir(async (other) => {
        // Two writers numbering their segments and items from the same start, each settling
        // some of its own items and recording a batch.
        for (const [where, prefix] of [[dir, "a"], [other, "b"]] as const) {
          const spool = await Spool.open({ dir: where, maxBytes: MiB });
          const seqs = await Promise.all(
            Array.from({ length: 10 }, (_, i) => spool.append(JSON.stringify(`${prefix}-${i}`))),
          );
          await spool.recordBatch(`${prefix}-batch`, seqs.slice(0, 4));
          spool.settle(prefix === "a" ? seqs.slice(0, 2) : seqs.slice(8));
          await spool.close();
        }
        for (const name of await segmentFiles(other)) {
          await copyFile(`${other}/${name}`, `${dir}/${name}`);
        }
      });
      const files = await segmentFiles(dir);
      assert.equal(files.length, 2);
      assert.equal(files[0].slice(0, 20), files[1].slice(0, 20), "the same segment number");
      const spool = await Spool.open({ dir, maxBytes: MiB });
      const texts = (items: readonly { text: string }[]) => items.map((it) => JSON.parse(it.text));
      assert.deepEqual(
        (await spool.readRecovered()).batches.map((batch) => [batch.key, texts(batch.items)])
          .sort(),
        [["a-batch", ["a-2", "a-3"]], ["b-batch", ["b-0", "b-1", "b-2", "b-3"]]],
      );
      assert.deepEqual(
        texts((await spool.readRecovered()).items).sort(),
        ["a-4", "a-5", "a-6", "a-7", "a-8", "a-9", "b-4", "b-5", "b-6", "b-7"],
      );
      // The next process settles them all, whichever writer they came from.
      const seqs = [
        ...(await spool.readRecovered()).batches.flatMap((batch) => batch.items),
        ...(await spool.readRecovered()).items,
      ]
        .map((it) => it.seq);
      spool.settle(seqs);
      await spool.close();
      assert.deepEqual(await segmentFiles(dir), []);
    });
  });
});
