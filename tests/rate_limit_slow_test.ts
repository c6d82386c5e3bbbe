// Delivery at the server's allowed rate, against the emulator over HTTPS with the real server's
// limit scaled to a 5 s window (20 requests per 5 s: the documented 240 per 60 s average), with
// the client's default options. These scenarios take their time by design, so they run under
// Deno only: the npm build's Node run skips `*_slow_test.ts` files (scripts/build_npm.ts).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { VectorVueEvent } from "../mod.ts";
import { createVectorVueEmulator } from "../src/testing/mod.ts";
import { fixture, served } from "./_served.ts";

const BATCH_PATH = "/api/v1/integrations/spectrastrike/events/batch";
const WINDOW_MS = 5_000;

function event(i: number, prefix: string): VectorVueEvent {
  return {
    event_id: `${prefix}-${i}`,
    source_system: "spectrastrike",
    event_type: "PROCESS_ANOMALY",
    occurred_at: "2026-11-28T12:00:00Z",
    severity: "medium",
    asset_ref: `host-${i % 7}`,
    message: `paced event ${i}`,
  };
}

const events = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => event(i, prefix));

/** Ideal time for `requests` at `limit` per window: the first `limit` at once, then per window. */
const idealMs = (requests: number, limit: number) => Math.floor((requests - 1) / limit) * WINDOW_MS;

/** Every event of the run stored, once each. */
function assertStoredOnce(stored: { event_id: string }[], count: number, what: string) {
  const ids = new Set(stored.map((e) => e.event_id));
  assert.equal(ids.size, stored.length, `${what}: an event stored twice`);
  assert.equal(ids.size, count, `${what}: ${ids.size} of ${count} stored`);
}

async function bulkAt(limit: number, within: number) {
  const what = `sendEvents() of 8,000 at ${limit} per 5 s`;
  const { emulator, client, close } = await served({
    rateLimit: { requests: limit, windowMs: WINDOW_MS },
  });
  try {
    const started = performance.now();
    const result = await client().sendEvents(events(8_000, `bulk${limit}`));
    const elapsed = performance.now() - started;
    assert.equal(result.accepted, 8_000, `${what}: ${JSON.stringify({ ...result, items: [] })}`);
    assert.equal(result.failed, 0);
    assertStoredOnce(emulator.events(), 8_000, what);
    const ideal = idealMs(80, limit);
    assert.ok(elapsed <= within * ideal, `${what}: ${elapsed} ms, ideal ${ideal} ms`);
    return `${what}: ${(elapsed / 1000).toFixed(1)} s (ideal ${ideal / 1000} s), ` +
      `${result.requests} requests, ${result.rateLimited} answered 429`;
  } finally {
    await close();
  }
}

async function batcherAt20() {
  const what = "batcher of 8,000 at 20 per 5 s";
  const { emulator, client, close } = await served({
    rateLimit: { requests: 20, windowMs: WINDOW_MS },
  });
  try {
    const started = performance.now();
    const dead: unknown[] = [];
    const batcher = client().createBatcher({
      kind: "events",
      onDeadLetter: (items) => void dead.push(...items),
    });
    for (const item of events(8_000, "batcher")) await batcher.add(item);
    await batcher.close();
    const elapsed = performance.now() - started;
    const stats = batcher.stats();
    assert.equal(stats.accepted, 8_000, `${what}: ${JSON.stringify(stats)}`);
    assert.equal(stats.deadLettered + dead.length, 0);
    assertStoredOnce(emulator.events(), 8_000, what);
    const ideal = idealMs(80, 20);
    assert.ok(elapsed <= 1.5 * ideal, `${what}: ${elapsed} ms, ideal ${ideal} ms`);
    return `${what}: ${(elapsed / 1000).toFixed(1)} s, ${stats.requests} requests, ` +
      `${stats.rateLimited} answered 429, ${stats.rateLimitWaitMs} ms waiting`;
  } finally {
    await close();
  }
}

async function twoClients() {
  const what = "two clients of one process on one address";
  const { emulator, client, close } = await served({
    rateLimit: { requests: 20, windowMs: WINDOW_MS },
  });
  try {
    const [a, b] = await Promise.all([
      client().sendEvents(events(3_000, "a")),
      client().sendEvents(events(3_000, "b")),
    ]);
    assert.equal(a.accepted + b.accepted, 6_000, what);
    assert.equal(a.failed + b.failed, 0);
    assertStoredOnce(emulator.events(), 6_000, what);
    return `${what}: ${a.rateLimited + b.rateLimited} answered 429`;
  } finally {
    await close();
  }
}

async function sequentialSingles() {
  const what = "60 sequential sendEvent()";
  const { emulator, client, close } = await served({
    rateLimit: { requests: 20, windowMs: WINDOW_MS },
  });
  try {
    const sender = client();
    for (const item of events(60, "single")) {
      const result = await sender.sendEvent(item);
      assert.equal(result.status, "accepted", what);
    }
    assertStoredOnce(emulator.events(), 60, what);
    return `${what}: none failed`;
  } finally {
    await close();
  }
}

async function outage() {
  const what = "a 20 s outage in a 20,000-event sendEvents()";
  // The documented limit: 200 batches fit in the first window, so only the outage slows it.
  const { emulator, client, close } = await served({});
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    let began: number | undefined;
    let ended: () => void;
    const over = new Promise<void>((resolve) => (ended = resolve));
    const result = await client().sendEvents(events(20_000, "outage"), {
      onProgress: (progress) => {
        if (began !== undefined || progress.confirmed < 5_000) return;
        began = performance.now();
        // 503s and dropped connections, taking turns, until the outage ends.
        for (let i = 0; i < 1_000; i++) {
          emulator.inject({ path: BATCH_PATH, status: 503 });
          emulator.inject({ path: BATCH_PATH, drop: "before-response" });
        }
        timer = setTimeout(() => {
          emulator.clearFaults();
          ended();
        }, 20_000);
      },
    });
    await over;
    assert.ok(began !== undefined, `${what}: the outage began`);
    assert.equal(result.accepted, 20_000, `${what}: ${JSON.stringify({ ...result, items: [] })}`);
    assert.equal(result.failed, 0);
    assertStoredOnce(emulator.events(), 20_000, what);
    return `${what}: resumed, ${result.requests} requests`;
  } finally {
    clearTimeout(timer);
    await close();
  }
}

test("at 20 (and 10) requests per 5 s with default options, bulk, batcher, two clients, single sends and a 20 s outage lose nothing, within 1.5× (1.7×) the ideal time", async () => {
  // Each scenario has its own emulator (its own limit), so they run side by side.
  const reports = await Promise.all([
    bulkAt(20, 1.5),
    batcherAt20(),
    bulkAt(10, 1.7),
    twoClients(),
    sequentialSingles(),
    outage(),
  ]);
  console.log(reports.join("\n"));
});

test("a batcher with default options, the server unreachable, fed 50 KB events for 15 s: resident memory grows by less than 300 MB", async () => {
  // A port nothing listens on (a server's, once closed): every attempt is refused at once.
  const { emulator, client, close } = await served({});
  const gone = await createVectorVueEmulator().serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: fixture("server.pem"),
    key: fixture("server-key.pem"),
  });
  await gone.close();
  const batcher = client({ baseUrl: gone.url, token: await emulator.issueToken() })
    .createBatcher({ kind: "events" });
  const big = "x".repeat(50_000);
  const before = process.memoryUsage().rss;
  let peak = before;
  const deadline = performance.now() + 15_000;
  let added = 0;
  const feeding = (async () => {
    try {
      while (performance.now() < deadline) {
        await batcher.add({ ...event(added, "mem"), message: `${big}${added++}` });
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    } catch {
      // close() below refuses the add() that was waiting for room.
    }
  })();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  clearInterval(sampler);
  const stats = batcher.stats();
  await batcher.close({ signal: AbortSignal.abort(new Error("test over")) });
  await feeding;
  await close();
  const grewMb = (peak - before) / 1024 / 1024;
  console.log(
    `unreachable server: ${added} added, held ${stats.heldBytes} bytes, RSS +${
      grewMb.toFixed(0)
    } MB`,
  );
  assert.ok(stats.heldBytes <= 64 * 1024 * 1024, `held ${stats.heldBytes} bytes`);
  assert.equal(stats.accepted + stats.deadLettered, 0, "nothing delivered, nothing given up");
  assert.ok(grewMb < 300, `RSS grew by ${grewMb} MB`);
});
