// The batcher with a durable spool, against the in-memory emulator: add() is durable, what a
// batcher leaves is delivered by the next one on the same directory (batches under their key),
// answered and dead-lettered items leave the disk, typed errors for the lock and bad options.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import {
  type Logger,
  VectorVueBatcherClosedError,
  VectorVueClient,
  VectorVueConfigError,
  VectorVueSpoolError,
  VectorVueSpoolLockedError,
} from "../../mod.ts";
import { createVectorVueEmulator, type VectorVueEmulator } from "../../src/testing/mod.ts";
import { Spool } from "../../src/delivery/spool.ts";
import { recordBounds, recordingLogger, segmentFiles, withTempDir } from "./_spool_helpers.ts";

const BATCH_PATH = "/api/v1/integrations/spectrastrike/events/batch";

function event(i: number): Record<string, unknown> {
  return {
    event_id: `sp-${i}`,
    source_system: "spectrastrike",
    event_type: "PROCESS_ANOMALY",
    occurred_at: "2026-11-28T12:00:00Z",
    severity: "medium",
    asset_ref: `host-${i % 3}`,
    message: `spooled event ${i}`,
  };
}

interface Sent {
  readonly key: string | null;
  readonly ids: string[];
}

/**
 * A client on the in-memory emulator whose batch requests are recorded and, while `hold` is
 * set, wait until their signal aborts (a server that never answers).
 */
function setup(
  emulator: VectorVueEmulator = createVectorVueEmulator({ rateLimit: false }),
  logger?: Logger,
) {
  const sent: Sent[] = [];
  /** `hold`: never answer; `answerOnAbort`: answer only once the request is aborted (too late). */
  const gate = { hold: false, answerOnAbort: false };
  const client = new VectorVueClient({
    ...emulator.defaults,
    logger,
    maxRetries: 0,
    fetch: async (input, init) => {
      const request = new Request(input, init);
      if (new URL(request.url).pathname === BATCH_PATH) {
        const body = JSON.parse(await request.clone().text()) as { event_id: string }[];
        sent.push({
          key: request.headers.get("idempotency-key"),
          ids: body.map((item) => item.event_id),
        });
        if (gate.answerOnAbort) {
          // An answer already on its way when close() gave up: it arrives anyway.
          await new Promise((resolve) => init?.signal?.addEventListener("abort", resolve));
          return emulator.fetch(
            new Request(request.url, {
              method: request.method,
              headers: request.headers,
              body: await request.text(),
            }),
          );
        }
        if (gate.hold) {
          await new Promise((_, reject) => {
            const signal = init?.signal;
            if (signal?.aborted) reject(signal.reason);
            signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
          });
        }
      }
      return emulator.fetch(request);
    },
  });
  return { emulator, client, sent, gate };
}

const storedIds = (emulator: VectorVueEmulator) =>
  emulator.events().map((stored) => stored.event_id).sort();

describe("batcher with a spool", () => {
  test("add() resolves with the item on disk; what is left at close({ signal }) is delivered by the next batcher, its batch under the same Idempotency-Key", async () => {
    await withTempDir(async (dir) => {
      const first = setup();
      first.gate.hold = true;
      const batcher = first.client.createBatcher({
        kind: "events",
        maxBatchSize: 5,
        concurrency: 1,
        flushIntervalMs: 60_000,
        spool: { dir },
      });
      for (let i = 0; i < 7; i++) await batcher.add(event(i));
      // Durable before anything was sent: the text of each item is in a segment file.
      const [segment] = await segmentFiles(dir);
      const onDisk = await readFile(`${dir}/${segment}`, "latin1");
      for (let i = 0; i < 7; i++) assert.ok(onDisk.includes(`"sp-${i}"`), `sp-${i} not on disk`);
      // The first batch (5 items, full) is out and never answered; two items wait.
      assert.deepEqual(first.sent.map((s) => s.ids.length), [5]);
      const key = first.sent[0].key;
      assert.match(String(key), /^[0-9a-f-]{36}$/);
      await batcher.close({ signal: AbortSignal.timeout(50) });
      assert.equal(batcher.stats().spool?.items, 7);
      assert.equal(batcher.stats().deadLettered, 0, "nothing dead-lettered: it stays spooled");

      const logger = recordingLogger();
      const second = setup(first.emulator, logger);
      const again = second.client.createBatcher({
        kind: "events",
        maxBatchSize: 5,
        spool: { dir },
      });
      await again.add(event(7));
      await again.close();
      assert.deepEqual(second.sent[0], { key, ids: ["sp-0", "sp-1", "sp-2", "sp-3", "sp-4"] });
      assert.deepEqual(second.sent.slice(1).flatMap((s) => s.ids), ["sp-5", "sp-6", "sp-7"]);
      assert.deepEqual(storedIds(first.emulator), Array.from({ length: 8 }, (_, i) => `sp-${i}`));
      assert.deepEqual(again.stats().spool, { items: 0, bytes: 0, oldestAgeMs: 0 });
      assert.ok(
        logger.lines.some((line) => /delivers what an earlier process left/.test(line.message)),
      );
      assert.deepEqual(await segmentFiles(dir), [], "a clean close leaves no segment");
    });
  });

  test("answered and dead-lettered items leave the spool; stats() counts what is on disk", async () => {
    await withTempDir(async (dir) => {
      const { client, emulator } = setup();
      const deadLettered: unknown[] = [];
      const batcher = client.createBatcher({
        kind: "events",
        maxBatchSize: 4,
        flushIntervalMs: 60_000,
        spool: { dir },
        onDeadLetter: (items) => void deadLettered.push(...items),
      });
      await batcher.add(event(1));
      await batcher.add({ ...event(2), severity: "catastrophic" });
      const before = batcher.stats().spool!;
      assert.equal(before.items, 2);
      assert.ok(before.bytes > 0);
      await batcher.flush();
      emulator.inject({ path: BATCH_PATH, status: 400, body: '{"detail":"Bad request"}' });
      await batcher.add(event(3));
      await batcher.flush();
      const stats = batcher.stats();
      assert.equal(stats.accepted + stats.rejected + stats.deadLettered, 3);
      assert.equal(deadLettered.length, 1);
      assert.equal(stats.spool!.items, 0);
      await batcher.close();
    });
  });

  test("items whose onRejected or onDeadLetter threw stay in the spool, and the next batcher reports them again", async () => {
    await withTempDir(async (dir) => {
      const { client, emulator } = setup();
      const first = client.createBatcher({
        kind: "events",
        maxBatchSize: 4,
        flushIntervalMs: 60_000,
        spool: { dir },
        onRejected: () => Promise.reject(new Error("dead-letter file: no space left")),
        onDeadLetter: () => {
          throw new Error("dead-letter file: no space left");
        },
      });
      await first.add(event(1));
      await first.add({ ...event(2), severity: "catastrophic" });
      await first.flush();
      emulator.inject({ path: BATCH_PATH, status: 400, body: '{"detail":"Bad request"}' });
      await first.add(event(3));
      await first.flush();
      // Accepted: gone from the spool. Refused, and dead-lettered: kept, nobody heard of them.
      assert.equal(first.stats().spool!.items, 2);
      await first.close();
      const rejected: unknown[] = [];
      const deadLettered: unknown[] = [];
      const second = client.createBatcher({
        kind: "events",
        spool: { dir },
        onRejected: (items) => void rejected.push(...items.map((entry) => entry.item)),
        onDeadLetter: (items) => void deadLettered.push(...items),
      });
      await second.ready();
      await second.flush();
      assert.deepEqual(rejected.map((item) => (item as { event_id: string }).event_id), ["sp-2"]);
      assert.deepEqual(storedIds(emulator), ["sp-1", "sp-3"]);
      assert.equal(deadLettered.length, 0, "sp-3, sent again, was stored this time");
      assert.equal(second.stats().spool!.items, 0);
      await second.close();
    });
  });

  test("a second batcher on a held directory gets VectorVueSpoolLockedError from ready() and add()", async () => {
    await withTempDir(async (dir) => {
      const { client } = setup();
      const first = client.createBatcher({ kind: "events", spool: { dir } });
      await first.ready();
      const second = client.createBatcher({ kind: "events", spool: { dir } });
      await assert.rejects(second.ready(), VectorVueSpoolLockedError);
      await assert.rejects(second.add(event(1)), (error: unknown) => {
        assert.ok(error instanceof VectorVueSpoolLockedError);
        assert.equal(error.pid, process.pid);
        assert.match(error.message, /already used by another batcher of this process/);
        return true;
      });
      await second.close();
      await first.close();
      await assert.rejects(first.add(event(2)), VectorVueBatcherClosedError);
    });
  });

  for (
    const [damage, corrupt, intact] of [
      [
        "a spool file cut mid-record",
        // 20 bytes into the last item (before the footer).
        (bytes: Uint8Array) => bytes.subarray(0, recordBounds(bytes).at(-2)! - 20),
        [0, 1, 2, 3, 4, 5],
      ],
      [
        "a spool file with a flipped byte",
        (bytes: Uint8Array) => (bytes[Math.floor(bytes.length / 7 * 3.5)] ^= 0x04, bytes),
        [0, 1, 2, 4, 5, 6],
      ],
    ] as const
  ) {
    test(`${damage}: start-up delivers every intact record and warns once`, async () => {
      await withTempDir(async (dir) => {
        const first = setup();
        first.gate.hold = true;
        const batcher = first.client.createBatcher({
          kind: "events",
          flushIntervalMs: 60_000,
          spool: { dir },
        });
        for (let i = 0; i < 7; i++) await batcher.add(event(i));
        await batcher.close({ signal: AbortSignal.abort() });
        const [segment] = await segmentFiles(dir);
        const path = `${dir}/${segment}`;
        await writeFile(path, corrupt(new Uint8Array(await readFile(path))));

        const logger = recordingLogger();
        const second = setup(first.emulator, logger);
        await second.client.createBatcher({ kind: "events", spool: { dir } }).close();
        assert.deepEqual(storedIds(first.emulator), intact.map((i) => `sp-${i}`));
        const warnings = logger.lines.filter((line) => line.level === "warn");
        assert.equal(warnings.length, 1, JSON.stringify(warnings));
        assert.equal(warnings[0].fields?.file, path);
        // A torn tail names its offset; damage inside the file, the stretches unreadable.
        const { offset, problems } = warnings[0].fields ?? {};
        assert.ok(typeof offset === "number" || Array.isArray(problems));
      });
    });
  }

  test("a read-only directory (a tmpfs mounted read-only) is a typed read_only error from add()", async (t) => {
    await withTempDir(async (dir) => {
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir], {
          stdio: "ignore",
        });
      } catch {
        t.skip("mounting a read-only tmpfs needs root on Linux; the spool tests inject EROFS");
        return;
      }
      try {
        const { client } = setup();
        const batcher = client.createBatcher({ kind: "events", spool: { dir } });
        await assert.rejects(batcher.add(event(1)), (error: unknown) => {
          assert.ok(error instanceof VectorVueSpoolError);
          assert.equal(error.reason, "read_only");
          assert.equal(error.code, "EROFS");
          assert.match(error.message, /read-only file system/i);
          return true;
        });
        await batcher.close();
      } finally {
        execFileSync("umount", [dir]);
      }
    });
  });

  test("close() that gives up while an answer is in transit: the batch stays on disk and the next process's send under the same key stores each event once", async () => {
    await withTempDir(async (dir) => {
      const first = setup();
      first.gate.answerOnAbort = true;
      const batcher = first.client.createBatcher({
        kind: "events",
        maxBatchSize: 5,
        flushIntervalMs: 60_000,
        spool: { dir },
      });
      for (let i = 0; i < 7; i++) await batcher.add(event(i));
      await batcher.close({ signal: AbortSignal.timeout(50) });
      const all = Array.from({ length: 7 }, (_, i) => `sp-${i}`);
      assert.deepEqual(storedIds(first.emulator), all, "the server stored them");
      assert.equal(batcher.stats().spool?.items, 7, "the client never heard: kept on disk");

      const second = setup(first.emulator);
      await second.client.createBatcher({ kind: "events", spool: { dir } }).close();
      assert.deepEqual(second.sent.map((sent) => sent.key), first.sent.map((sent) => sent.key));
      assert.deepEqual(storedIds(first.emulator), all, "each once");
    });
  });

  test("an item in the spool that is not JSON is dead-lettered at start-up, typed, and the rest delivered", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: 1024 * 1024 });
      await spool.append(JSON.stringify(event(0)));
      await spool.append("{not json");
      await spool.append(JSON.stringify(event(1)));
      await spool.close();
      const { client, emulator } = setup();
      const deadLetters: { items: unknown[]; error: Error }[] = [];
      const batcher = client.createBatcher({
        kind: "events",
        spool: { dir },
        onDeadLetter: (items, error) => void deadLetters.push({ items, error }),
      });
      await batcher.ready();
      await batcher.close();
      assert.deepEqual(storedIds(emulator), ["sp-0", "sp-1"]);
      assert.deepEqual(deadLetters.map((dead) => dead.items), [["{not json"]]);
      assert.ok(deadLetters[0].error instanceof VectorVueSpoolError);
      assert.equal(batcher.stats().deadLettered, 1);
      assert.deepEqual(await segmentFiles(dir), [], "it left the spool");
    });
  });

  test("a backlog larger than the queue's bounds is read from disk in portions: never more than maxQueueSize held, every item delivered", async () => {
    await withTempDir(async (dir) => {
      const first = setup();
      first.gate.hold = true;
      const left = first.client.createBatcher({
        kind: "events",
        maxBatchSize: 50,
        flushIntervalMs: 60_000,
        spool: { dir },
      });
      for (let i = 0; i < 300; i++) await left.add(event(i));
      await left.close({ signal: AbortSignal.abort() });
      assert.equal(left.stats().spool?.items, 300);

      const second = setup(first.emulator);
      const batcher = second.client.createBatcher({
        kind: "events",
        maxBatchSize: 20,
        maxQueueSize: 50,
        spool: { dir },
      });
      await batcher.ready();
      assert.ok(batcher.stats().queued <= 50, `${batcher.stats().queued} queued at start`);
      await batcher.close();
      assert.ok(batcher.stats().peakHeld <= 50, `peak ${batcher.stats().peakHeld}`);
      assert.deepEqual(
        storedIds(first.emulator),
        Array.from({ length: 300 }, (_, i) => `sp-${i}`).sort(),
      );
      assert.equal(batcher.stats().spool?.items, 0);
    });
  });

  test("bad spool options are one VectorVueConfigError listing each problem", () => {
    const { client } = setup();
    assert.throws(
      () =>
        client.createBatcher({
          kind: "events",
          spool: { dir: "", maxBytes: 10, dri: "x" } as never,
        }),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueConfigError);
        assert.deepEqual(error.problems, [
          "unknown spool option 'dri' (did you mean 'dir'?)",
          'spool.dir must be a directory path: current value is ""',
          "spool.maxBytes must be a whole number of at least 65536: current value is 10",
        ]);
        return true;
      },
    );
    // A name close to none keeps the plain form; the batcher's own problems come in the same error.
    assert.throws(
      () =>
        client.createBatcher({
          kind: "events",
          maxQueueSize: 0,
          spool: { dir: "/tmp/x", colour: "red" } as never,
        }),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueConfigError);
        assert.deepEqual(error.problems, [
          "createBatcher: maxQueueSize must be a positive whole number, got 0",
          "unknown spool option 'colour'",
        ]);
        return true;
      },
    );
  });
});
