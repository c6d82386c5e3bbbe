// Bulk send and the background batcher against the emulator over real HTTPS,
// with injected faults: every accepted item held by the server exactly once,
// every item accounted for, memory bounded.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { VectorVueClient, type VectorVueConfig, type VectorVueEvent } from "../mod.ts";
import { createVectorVueEmulator, type VectorVueEmulator } from "../src/testing/mod.ts";
import { served } from "./_served.ts";

const BATCH_PATH = "/api/v1/integrations/spectrastrike/events/batch";

function event(i: number): VectorVueEvent {
  return {
    event_id: `bt-${i}`,
    source_system: "spectrastrike",
    event_type: "PROCESS_ANOMALY",
    occurred_at: "2026-11-28T12:00:00Z",
    severity: "medium",
    asset_ref: `host-${i % 7}`,
    message: `batched event ${i}`,
  };
}

/** An event the server refuses (severity outside its enum). */
function invalid(i: number): VectorVueEvent {
  return { ...event(i), severity: "catastrophic" as "critical" };
}

async function withEmulator(
  run: (
    emulator: VectorVueEmulator,
    client: (extra?: VectorVueConfig) => VectorVueClient,
  ) => Promise<void>,
) {
  const { emulator, client, close } = await served({ rateLimit: false }, {
    backoffMs: 2,
    maxBackoffMs: 10,
  });
  try {
    await run(emulator, client);
  } finally {
    await close();
  }
}

/** The server's stored ids, asserting that none is stored twice. */
function storedOnce(emulator: VectorVueEmulator): Set<string> {
  const ids = emulator.events().map((stored) => stored.event_id);
  assert.equal(new Set(ids).size, ids.length, "an event is stored twice");
  return new Set(ids);
}

describe("batching against the emulator with faults", () => {
  test("sendEvents() through 503 bursts, 429 with Retry-After and dropped connections: every accepted item stored exactly once", async () => {
    await withEmulator(async (emulator, client) => {
      emulator.inject({ path: BATCH_PATH, status: 503, count: 2 });
      emulator.inject({ path: BATCH_PATH, status: 429, retryAfter: "0", count: 1 });
      emulator.inject({ path: BATCH_PATH, drop: "before-response", count: 1 });
      emulator.inject({ path: BATCH_PATH, drop: "mid-body", count: 1 });
      const items = Array.from({ length: 45 }, (_, i) => (i % 9 === 4 ? invalid(i) : event(i)));
      const result = await client({ maxBatchSize: 10, maxRetries: 3 }).sendEvents(items);

      assert.equal(result.accepted + result.rejected + result.failed, items.length);
      assert.equal(result.rejected, 5);
      assert.equal(result.failed, 0);
      const stored = storedOnce(emulator);
      const accepted = result.items.filter((i) => i.status === "accepted").map((i) => i.itemId);
      assert.deepEqual([...stored].sort(), accepted.sort());
      for (const item of result.items.filter((i) => i.status === "rejected")) {
        assert.equal(item.errorCode, "validation_failed");
        assert.equal(item.index % 9, 4);
      }
    });
  });

  test("the batcher through faults ends with accepted + rejected + dead-lettered = added, held within maxQueueSize", async () => {
    await withEmulator(async (emulator, client) => {
      emulator.inject({ path: BATCH_PATH, status: 503, count: 3 });
      emulator.inject({ path: BATCH_PATH, status: 429, retryAfter: "0" });
      emulator.inject({ path: BATCH_PATH, drop: "before-response" });
      const deadLettered: unknown[] = [];
      const batcher = client({ maxRetries: 4 }).createBatcher({
        kind: "events",
        maxBatchSize: 8,
        maxQueueSize: 20,
        flushIntervalMs: 5,
        concurrency: 2,
        onDeadLetter: (items) => void deadLettered.push(...items),
      });
      let peak = 0;
      for (let i = 0; i < 120; i++) {
        await batcher.add(i % 10 === 3 ? invalid(i) : event(i));
        const stats = batcher.stats();
        peak = Math.max(peak, stats.queued + stats.inFlight);
        assert.equal(
          stats.queued + stats.inFlight + stats.accepted + stats.rejected + stats.deadLettered,
          i + 1,
        );
      }
      await batcher.close();
      const stats = batcher.stats();
      assert.ok(peak <= 20, `held ${peak} items`);
      assert.ok(stats.peakHeld <= 20);
      assert.equal(stats.rejected, 12);
      assert.equal(stats.deadLettered, 0);
      assert.equal(stats.accepted, 108);
      assert.equal(storedOnce(emulator).size, 108);
    });
  });

  test("an outage longer than the delivery budget dead-letters what it hit, and delivery resumes after it", async () => {
    await withEmulator(async (emulator, client) => {
      // maxRetries 2 and a 1 ms budget: three 503s exhaust one batch; the next batches go through.
      emulator.inject({ path: BATCH_PATH, status: 503, count: 3 });
      const failures: Error[] = [];
      const dead: unknown[] = [];
      const batcher = client({ maxRetries: 2 }).createBatcher({
        kind: "events",
        maxBatchSize: 5,
        concurrency: 1,
        deliveryBudgetMs: 1,
        flushIntervalMs: 60_000,
        onDeadLetter: (items, error) => {
          dead.push(...items);
          failures.push(error);
        },
      });
      for (let i = 0; i < 20; i++) await batcher.add(event(i));
      await batcher.close();
      const stats = batcher.stats();
      assert.equal(stats.deadLettered, 5);
      assert.equal(stats.accepted, 15);
      assert.equal(failures[0].name, "VectorVueServerError");
      assert.match(failures[0].message, /503 service_unavailable after 2 retries/);
      const stored = storedOnce(emulator);
      assert.equal(stored.size, 15);
      for (const item of dead as { event_id: string }[]) assert.ok(!stored.has(item.event_id));
    });
  });

  test("aborting a run paused by the rate limit returns at once; unconfirmed items are failed (aborted)", async () => {
    const emulator = createVectorVueEmulator({ rateLimit: { requests: 20, windowMs: 5_000 } });
    const client = new VectorVueClient({
      ...emulator.defaults,
      fetch: (input, init) => emulator.fetch(new Request(input, init)),
    });
    const controller = new AbortController();
    let abortedAt = 0;
    const result = await client.sendEvents(Array.from({ length: 8_000 }, (_, i) => event(i)), {
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.paused?.reason !== "rate_limited" || abortedAt > 0) return;
        abortedAt = performance.now();
        controller.abort(new Error("operator stopped the run"));
      },
    });
    const took = performance.now() - abortedAt;
    assert.ok(abortedAt > 0, "the run paused");
    assert.ok(took < 1_000, `returned ${took} ms after the abort`);
    // The window allows 20 batches; with two in flight, the 20th may still be unanswered when the
    // 21st's 429 starts the pause, and the abort then leaves it unconfirmed.
    const { accepted } = result;
    assert.ok(
      accepted % 100 === 0 && accepted >= 1_900 && accepted <= 2_000,
      `${accepted} accepted: the batches the window allowed`,
    );
    assert.equal(result.failed, 8_000 - accepted);
    assert.ok(
      result.items.filter((i) => i.status === "failed").every((i) => i.errorCode === "aborted"),
    );
    const stored = storedOnce(emulator);
    assert.ok(stored.size <= 2_000, `${stored.size} stored, beyond the window`);
    for (const item of result.items) {
      if (item.status === "accepted") assert.ok(stored.has(`bt-${item.index}`), `bt-${item.index}`);
    }
  });

  test("the server's lower batch maximum splits batches instead of losing them", async () => {
    const emulator = createVectorVueEmulator({ rateLimit: false, maxBatchSize: 4 });
    const client = new VectorVueClient({
      ...emulator.defaults,
      fetch: (input, init) => emulator.fetch(new Request(input, init)),
      maxBatchSize: 10,
    });
    const result = await client.sendEvents(Array.from({ length: 10 }, (_, i) => event(i)));
    assert.equal(result.accepted, 10);
    assert.equal(storedOnce(emulator).size, 10);
  });
});
