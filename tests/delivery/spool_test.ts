// The durable spool on a real file system: group commit, recovery, reclaiming, back-pressure,
// damage, the lock, and typed errors from a failing disk.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { open, readdir, readFile, stat, writeFile } from "node:fs/promises";
import process from "node:process";
import { Spool } from "../../src/delivery/spool.ts";
import { VectorVueSpoolError, VectorVueSpoolLockedError } from "../../src/delivery/spool_error.ts";
import {
  countingFs,
  osError,
  patchedFs,
  recordBounds,
  recordingLogger,
  segmentFiles,
  spoolFs,
  withTempDir,
} from "./_spool_helpers.ts";

const MiB = 1024 * 1024;
const lockFiles = async (dir: string) =>
  (await readdir(dir)).filter((name) => name.startsWith("spool.lock")).sort();
const item = (i: number) => JSON.stringify({ event_id: `e-${i}`, message: `event number ${i}` });

describe("spool", () => {
  test("items appended together share one fsync (group commit) and all come back after a restart", async () => {
    await withTempDir(async (dir) => {
      const fs = countingFs();
      const spool = await Spool.open({ dir, maxBytes: MiB, fs });
      const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append(item(i))));
      assert.deepEqual(seqs, Array.from({ length: 200 }, (_, i) => i));
      assert.ok(fs.counts.syncs <= 3, `${fs.counts.syncs} fsyncs for 200 concurrent appends`);
      assert.equal(spool.stats().items, 200);
      await spool.close();

      const again = await Spool.open({ dir, maxBytes: MiB });
      assert.deepEqual((await again.readRecovered()).batches, []);
      assert.deepEqual((await again.readRecovered()).items.map((it) => it.text), seqs.map(item));
      assert.equal(again.stats().items, 200);
      assert.equal(await again.append(item(200)), 200, "sequence numbers continue");
      await again.close();
    });
  });

  test("settled items do not come back; a batch comes back with its idempotency key and its live items", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: MiB });
      const seqs = await Promise.all(Array.from({ length: 10 }, (_, i) => spool.append(item(i))));
      await spool.recordBatch("key-a", seqs.slice(0, 4));
      await spool.recordBatch("key-b", seqs.slice(4, 8));
      spool.settle(seqs.slice(0, 4));
      spool.settle([5]);
      await spool.close();

      const again = await Spool.open({ dir, maxBytes: MiB });
      assert.deepEqual(
        (await again.readRecovered()).batches.map((
          batch,
        ) => [batch.key, batch.items.map((it) => it.text)]),
        [["key-b", [item(4), item(6), item(7)]]],
      );
      assert.deepEqual((await again.readRecovered()).items.map((it) => it.text), [
        item(8),
        item(9),
      ]);
      await again.close();
    });
  });

  test("stats() reports items, bytes and the oldest item's age on disk", async () => {
    await withTempDir(async (dir) => {
      let now = 1_000_000;
      const spool = await Spool.open({ dir, maxBytes: MiB, now: () => now });
      assert.deepEqual(spool.stats(), { items: 0, bytes: 0, oldestAgeMs: 0 });
      const first = await spool.append(item(1));
      now += 500;
      await spool.append(item(2));
      now += 250;
      const [segment] = await segmentFiles(dir);
      const size = (await stat(`${dir}/${segment}`)).size;
      assert.deepEqual(spool.stats(), { items: 2, bytes: size, oldestAgeMs: 750 });
      spool.settle([first]);
      assert.deepEqual({ ...spool.stats(), bytes: 0 }, { items: 1, bytes: 0, oldestAgeMs: 250 });
      await spool.close();
    });
  });

  test("settled segments are deleted oldest first, and a clean close leaves no segment file", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: MiB, segmentBytes: 4096 });
      const seqs: number[] = [];
      for (let round = 0; round < 10; round++) {
        seqs.push(
          ...await Promise.all(Array.from({ length: 40 }, (_, i) => spool.append(item(i)))),
        );
      }
      const files = await segmentFiles(dir);
      assert.ok(files.length >= 5, `${files.length} segments`);
      // Settling a later segment deletes nothing while the oldest still holds a live item.
      spool.settle(seqs.slice(1));
      await spool.append(item(-1));
      await spool.idle();
      assert.equal((await segmentFiles(dir))[0], files[0]);
      spool.settle([seqs[0]]);
      await spool.append(item(-2));
      await spool.idle();
      const left = await segmentFiles(dir);
      assert.ok(!left.includes(files[0]) && left.length <= 2, `left: ${left.join(", ")}`);
      assert.ok(spool.stats().bytes < 8192);
      spool.settle([seqs.length, seqs.length + 1]);
      await spool.close();
      assert.deepEqual(await segmentFiles(dir), []);
    });
  });

  test("at maxBytes append() waits, and resumes when settled items free their segment", async () => {
    await withTempDir(async (dir) => {
      const maxBytes = 64 * 1024;
      const spool = await Spool.open({ dir, maxBytes, segmentBytes: 8 * 1024 });
      const seqs: number[] = [];
      const big = "x".repeat(900);
      while (spool.stats().bytes + 2 * 1000 < maxBytes) seqs.push(await spool.append(big));
      let appended = false;
      const blocked = Promise.all(Array.from({ length: 4 }, () => spool.append(big))).then(
        (more) => (appended = true, more),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(appended, false, "append() did not wait at maxBytes");
      spool.settle(seqs);
      assert.equal((await blocked).length, 4);
      assert.ok(spool.stats().bytes <= maxBytes);
      await spool.close();
    });
  });

  test("an item that can never fit is a too_large error at once", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: 64 * 1024 });
      await assert.rejects(spool.append("x".repeat(70_000)), (error: unknown) => {
        assert.ok(error instanceof VectorVueSpoolError);
        assert.equal(error.reason, "too_large");
        assert.match(error.message, /can never fit a spool of maxBytes 65536/);
        return true;
      });
      await spool.close();
    });
  });

  test("a torn tail is skipped with one warning naming file and offset; records before it are delivered", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: MiB });
      await Promise.all([0, 1, 2].map((i) => spool.append(item(i))));
      await spool.close();
      const [segment] = await segmentFiles(dir);
      const path = `${dir}/${segment}`;
      const bytes = await readFile(path);
      // Records: the header, three items, the footer. Cut inside the third item.
      const bounds = recordBounds(bytes);
      await writeFile(path, bytes.subarray(0, bounds[4] - 7));

      const logger = recordingLogger();
      const again = await Spool.open({ dir, maxBytes: MiB, logger });
      assert.deepEqual((await again.readRecovered()).items.map((it) => it.text), [
        item(0),
        item(1),
      ]);
      const warnings = logger.lines.filter((line) => line.level === "warn");
      assert.equal(warnings.length, 1);
      assert.match(warnings[0].message, /torn or corrupt tail/);
      assert.deepEqual(warnings[0].fields, {
        file: path,
        offset: bounds[3],
        bytes: bounds[4] - bounds[3] - 7,
      });
      // New items go to a new file, after which the old one is still readable.
      await again.append(item(3));
      await again.close();
      const third = await Spool.open({ dir, maxBytes: MiB });
      assert.deepEqual((await third.readRecovered()).items.map((it) => it.text), [
        item(0),
        item(1),
        item(3),
      ]);
      await third.close();
    });
  });

  test("a flipped byte loses only its record: one warning, the rest delivered", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: MiB });
      await Promise.all([0, 1, 2, 3].map((i) => spool.append(item(i))));
      await spool.close();
      const [segment] = await segmentFiles(dir);
      const path = `${dir}/${segment}`;
      const bytes = await readFile(path);
      const bounds = recordBounds(bytes);
      bytes[bounds[2] + 30] ^= 0x01;
      await writeFile(path, bytes);

      const logger = recordingLogger();
      const again = await Spool.open({ dir, maxBytes: MiB, logger });
      assert.deepEqual((await again.readRecovered()).items.map((it) => it.text), [
        item(0),
        item(2),
        item(3),
      ]);
      const warnings = logger.lines.filter((line) => line.level === "warn");
      assert.equal(warnings.length, 1);
      assert.deepEqual(warnings[0].fields?.problems, [
        `${bounds[3] - bounds[2]} bytes at offset ${bounds[2]} unreadable`,
        "1 records missing",
      ]);
      assert.equal(warnings[0].fields?.recordsLost, 1);
      again.settle((await again.readRecovered()).items.map((it) => it.seq));
      await again.close();
      // Its readable items settled, the damaged file is kept aside for inspection.
      assert.deepEqual(await segmentFiles(dir), []);
      assert.deepEqual(await readdir(`${dir}/damaged`), [segment]);
    });
  });

  test("a second spool on a held directory is refused naming the holder; a dead holder's lock is taken over", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: MiB });
      await assert.rejects(Spool.open({ dir, maxBytes: MiB }), (error: unknown) => {
        assert.ok(error instanceof VectorVueSpoolLockedError);
        assert.equal(error.pid, process.pid);
        assert.match(error.message, /already used by another batcher of this process/);
        return true;
      });
      await spool.close();

      // Another live process of this host and PID namespace: pid 1 always exists.
      const identity = await spoolFs.identity();
      const lock = (pid: number) => JSON.stringify({ token: "t", pid, ...identity });
      await writeFile(`${dir}/spool.lock.1`, lock(1));
      await assert.rejects(Spool.open({ dir, maxBytes: MiB }), (error: unknown) => {
        assert.ok(error instanceof VectorVueSpoolLockedError);
        assert.equal(error.reason, "locked");
        assert.equal(error.pid, 1);
        assert.match(error.message, /locked by process 1;/);
        return true;
      });

      const logger = recordingLogger();
      await writeFile(`${dir}/spool.lock.1`, lock(2 ** 31 - 2));
      const taken = await Spool.open({ dir, maxBytes: MiB, logger });
      assert.deepEqual(logger.lines.map((line) => line.message), [
        "vectorvue spool: took over a stale lock",
      ]);
      assert.deepEqual(await lockFiles(dir), ["spool.lock.2"]);
      assert.equal(JSON.parse(await readFile(`${dir}/spool.lock.2`, "utf8")).pid, process.pid);
      await taken.close();
      assert.deepEqual(await lockFiles(dir), []);
    });
  });

  test("a read-only file system is a typed read_only error from open() and from append()", async () => {
    await withTempDir(async (dir) => {
      const readOnly = osError("EROFS", "Read-only file system");
      await assert.rejects(
        Spool.open({
          dir,
          maxBytes: MiB,
          fs: patchedFs({ createAppend: () => Promise.reject(readOnly) }),
        }),
        (error: unknown) => {
          assert.ok(error instanceof VectorVueSpoolError);
          assert.equal(error.reason, "read_only");
          assert.equal(error.code, "EROFS");
          assert.equal(error.cause, readOnly);
          return true;
        },
      );
      let failing = false;
      const fs = countingFs();
      const create = fs.createAppend;
      const spool = await Spool.open({
        dir,
        maxBytes: MiB,
        fs: patchedFs({
          createAppend: (path) => failing ? Promise.reject(readOnly) : create(path),
        }),
      });
      failing = true;
      await assert.rejects(spool.append(item(0)), {
        name: "VectorVueSpoolError",
        reason: "read_only",
      });
      assert.equal(spool.stats().items, 0);
      failing = false;
      assert.equal(await spool.append(item(1)), 1, "works again once the disk does");
      await spool.close();
    });
  });

  test("permission denied is a typed permission_denied error", async () => {
    await withTempDir(async (dir) => {
      const denied = osError("EACCES", "Permission denied");
      await assert.rejects(
        Spool.open({
          dir: `${dir}/sub`,
          maxBytes: MiB,
          fs: patchedFs({ mkdir: () => Promise.reject(denied) }),
        }),
        (error: unknown) => {
          assert.ok(error instanceof VectorVueSpoolError);
          assert.equal(error.reason, "permission_denied");
          assert.match(
            error.message,
            /cannot create the spool directory .*\/sub: Permission denied/,
          );
          return true;
        },
      );
    });
  });

  test(
    "a full disk (writes to /dev/full) is a typed no_space error from append()",
    { skip: process.platform !== "linux" && "/dev/full is Linux only" },
    async () => {
      await withTempDir(async (dir) => {
        const spool = await Spool.open({
          dir,
          maxBytes: MiB,
          fs: patchedFs({
            async createAppend(path) {
              if (!path.includes("/segment-")) return await spoolFs.createAppend(path);
              const file = await open("/dev/full", "a");
              return {
                write: async (bytes) => void await file.write(bytes),
                sync: () => file.sync(),
                close: () => file.close(),
              };
            },
          }),
        });
        await assert.rejects(spool.append(item(0)), (error: unknown) => {
          assert.ok(error instanceof VectorVueSpoolError);
          assert.equal(error.reason, "no_space");
          assert.equal(error.code, "ENOSPC");
          return true;
        });
        await spool.close();
      });
    },
  );
});
