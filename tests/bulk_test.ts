import { describe, test } from "node:test";
import type { DeliveryProgress } from "../mod.ts";
import assert from "node:assert/strict";
import {
  type BulkOptions,
  VectorVueConfigError,
  type VectorVueEvent,
  VectorVueSerializationError,
} from "../mod.ts";
import { fakeBatchServer, fakeClient as client, scriptedFetch, withLatency } from "./_fake.ts";

// The fake server takes anything: these items need not be valid events (the type says they are).
const items = (count: number, extra: Record<string, unknown> = {}) =>
  Array.from(
    { length: count },
    (_, i) => ({ id: `e${i}`, ...extra }),
  ) as unknown as VectorVueEvent[];
const anyItems = (list: Record<string, unknown>[]) => list as unknown as VectorVueEvent[];

describe("sendEvents() / sendFindings()", () => {
  test("splits into batches of maxBatchSize and accounts for every item in order", async () => {
    const server = fakeBatchServer();
    const result = await client(server.fetch, { maxBatchSize: 4 }).sendEvents(items(10));
    assert.deepEqual(server.batchSizes.sort(), [2, 4, 4]);
    assert.equal(result.accepted, 10);
    assert.equal(result.rejected + result.failed, 0);
    assert.deepEqual(result.items.map((i) => i.index), [...Array(10).keys()]);
    assert.deepEqual(result.items.map((i) => i.itemId), items(10).map((_, i) => `e${i}`));
    assert.equal(result.requestIds.length, 3);
  });

  test("per-item server rejections are rejected with the server's code and never retried", async () => {
    const server = fakeBatchServer({ refuse: (item) => item.id === "e3" || item.id === "e7" });
    const result = await client(server.fetch, { maxBatchSize: 5 }).sendFindings(items(10) as never);
    assert.equal(result.accepted, 8);
    assert.equal(result.rejected, 2);
    assert.deepEqual(
      result.items.filter((i) => i.status === "rejected").map((i) => [i.index, i.errorCode]),
      [[3, "validation_failed"], [7, "validation_failed"]],
    );
    assert.equal(server.batchSizes.length, 2);
  });

  test("items the client cannot serialise are rejected alone; the rest are sent", async () => {
    const server = fakeBatchServer();
    const throwing = {
      id: "d",
      get message(): string {
        throw new Error("boom");
      },
    };
    const batch = anyItems([{ id: "a" }, { id: "b", big: 1n }, { id: "c" }, throwing, { id: "e" }]);
    const result = await client(server.fetch, { maxBatchSize: 1 }).sendEvents(batch);
    assert.equal(result.accepted, 3);
    assert.deepEqual(result.items[1], {
      index: 1,
      status: "rejected",
      errorCode: "serialization_failed",
      errorMessage: "events[1].big is a BigInt, which JSON cannot carry",
    });
    assert.deepEqual(result.items[3], {
      index: 3,
      status: "rejected",
      errorCode: "serialization_failed",
      errorMessage: "events[3].message could not be read (reading it threw Error: boom)",
    });
    assert.deepEqual([...server.stored.keys()].sort(), ["a", "c", "e"]);
  });

  test("idempotencyKey names each batch by its first index and length, halves included, and every attempt carries it", async () => {
    const server = fakeBatchServer({ serverMaxBatch: 3, faults: [503] });
    const seen: Array<[string | null, string]> = [];
    const recording: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const body = JSON.parse(await request.clone().text()) as Array<{ id: string }>;
      seen.push([request.headers.get("idempotency-key"), body.map((item) => item.id).join(",")]);
      return server.fetch(request);
    };
    const result = await client(recording, { maxBatchSize: 5, backoffMs: 1 }).sendEvents(items(7), {
      concurrency: 1,
      idempotencyKey: ({ firstIndex, count }) => `run-1:${firstIndex}:${count}`,
    });
    assert.equal(result.accepted, 7);
    assert.deepEqual(seen, [
      ["run-1:0:5", "e0,e1,e2,e3,e4"], // 503, retried under the same key
      ["run-1:0:5", "e0,e1,e2,e3,e4"], // too large for the server: halved
      ["run-1:0:3", "e0,e1,e2"],
      ["run-1:3:2", "e3,e4"],
      ["run-1:5:2", "e5,e6"],
    ]);
    const plain: Array<string | null> = [];
    await client((input, init) => {
      plain.push(new Request(input, init).headers.get("idempotency-key"));
      return fakeBatchServer().fetch(input, init);
    }).sendEvents(items(2));
    // Without it, a random UUID per batch (reused by the batch's retries).
    assert.equal(plain.length, 1);
    assert.match(plain[0] ?? "", /^[0-9a-f-]{36}$/);
  });

  test("an idempotencyKey that is not a header value fails the items with a configuration error", async () => {
    const server = fakeBatchServer();
    const result = await client(server.fetch).sendEvents(items(2), { idempotencyKey: () => "a b" });
    assert.equal(result.failed, 2);
    assert.equal(result.items[0].errorCode, "VectorVueConfigError");
    assert.equal(server.batchSizes.length, 0);
  });

  test("each item names the request id of the batch that answered for it", async () => {
    const server = fakeBatchServer({ refuse: (item) => item.id === "e4" });
    const result = await client(server.fetch, { maxBatchSize: 3 }).sendEvents(items(6));
    assert.equal(result.requestIds.length, 2);
    const byBatch = [result.items.slice(0, 3), result.items.slice(3)].map((batch) =>
      new Set(batch.map((item) => item.requestId))
    );
    assert.deepEqual(byBatch.map((ids) => ids.size), [1, 1]);
    assert.deepEqual(new Set([...byBatch[0], ...byBatch[1]]), new Set(result.requestIds));
    assert.equal(result.items[4].status, "rejected");
    assert.ok(byBatch[1].has(result.items[4].requestId));
  });

  test("a batch_too_large answer splits the batch and re-sends the halves", async () => {
    const server = fakeBatchServer({ serverMaxBatch: 3 });
    const result = await client(server.fetch, { maxBatchSize: 10 }).sendEvents(items(10));
    assert.equal(result.accepted, 10);
    assert.ok(server.batchSizes.every((size) => size <= 3));
    assert.equal(server.stored.size, 10);
  });

  test("transient failures are retried inside each batch", async () => {
    const server = fakeBatchServer({ faults: [503, new TypeError("connection reset"), 429] });
    const result = await client(server.fetch, { maxBatchSize: 5 }).sendEvents(items(10), {
      concurrency: 1,
    });
    assert.equal(result.accepted, 10);
    assert.equal(server.stored.size, 10);
  });

  test("an error that would hit every batch stops the send; unsent items are failed with it", async () => {
    const server = fakeBatchServer({ faults: [401] });
    const result = await client(server.fetch, { maxBatchSize: 2 }).sendEvents(items(6), {
      concurrency: 1,
    });
    assert.equal(result.failed, 6);
    assert.ok(result.items.every((i) => i.errorCode === "unauthorized"));
    assert.equal(server.stored.size, 0);
    assert.equal(server.batchSizes.length, 0);
  });

  test("concurrency bounds the batches in flight", async () => {
    const server = fakeBatchServer({ delayMs: 5 });
    await client(server.fetch, { maxBatchSize: 1 }).sendEvents(items(12), { concurrency: 3 });
    assert.equal(server.peakInFlight(), 3);
  });

  test("abort: items not confirmed are failed with aborted, item by item, and the counts agree", async () => {
    const controller = new AbortController();
    const server = fakeBatchServer();
    let requests = 0;
    // The caller gives up while the sixth one-item batch is in flight.
    const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
      if (++requests === 6) controller.abort(new Error("shutting down"));
      return server.fetch(input, init);
    }) as typeof fetch;
    const result = await client(fetchImpl, { maxBatchSize: 1 }).sendEvents(items(20), {
      concurrency: 1,
      signal: controller.signal,
    });
    assert.deepEqual(result.items.map((item) => item.index), [...Array(20).keys()]);
    assert.deepEqual(
      result.items.map((item) => item.status),
      [...Array(5).fill("accepted"), ...Array(15).fill("failed")],
    );
    assert.ok(result.items.slice(5).every((item) => item.errorCode === "aborted"));
    assert.deepEqual([result.accepted, result.rejected, result.failed], [5, 0, 15]);
    assert.equal(requests, 6, "nothing is sent after the abort");
  });

  test("input that is not an array, or a bad concurrency, is refused before any request", async () => {
    const server = fakeBatchServer();
    const c = client(server.fetch);
    await assert.rejects(
      c.sendEvents("nope" as never),
      VectorVueSerializationError,
    );
    await assert.rejects(c.sendEvents(items(2), { concurrency: 0 }), {
      name: "VectorVueConfigError",
      message: /concurrency must be a positive whole number, got 0/,
    });
    assert.equal(server.batchSizes.length, 0);
  });

  test("a misspelled option is a VectorVueConfigError with a did-you-mean, before any request", async () => {
    const server = fakeBatchServer();
    const c = client(server.fetch);
    await assert.rejects(
      c.sendEvents(items(2), { concurency: 4 } as BulkOptions),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueConfigError);
        assert.deepEqual(error.problems, [
          'sendEvents: unknown option "concurency" (did you mean "concurrency"?)',
        ]);
        return true;
      },
    );
    await assert.rejects(
      c.sendFindings(
        items(2) as never,
        { maxBatchByte: 10, signal: "no" } as unknown as BulkOptions,
      ),
      {
        name: "VectorVueConfigError",
        message: 'Invalid VectorVue configuration: sendFindings: unknown option "maxBatchByte" ' +
          '(did you mean "maxBatchBytes"?); sendFindings: signal must be an AbortSignal',
      },
    );
    assert.equal(server.batchSizes.length, 0);
  });

  test("onProgress reports at most every 100 ms while the run changes, and once at the end", async () => {
    const server = fakeBatchServer({ delayMs: 40 });
    const reports: { at: number; progress: DeliveryProgress }[] = [];
    const result = await client(server.fetch, { maxBatchSize: 2 }).sendEvents(items(16), {
      concurrency: 1,
      onProgress: (progress) => reports.push({ at: performance.now(), progress }),
    });
    assert.equal(result.accepted, 16);
    assert.ok(reports.length >= 2, `${reports.length} reports`);
    for (let i = 1; i < reports.length - 1; i++) {
      assert.ok(reports[i].at - reports[i - 1].at >= 90, "at most every 100 ms");
    }
    const last = reports.at(-1)!.progress;
    assert.deepEqual(last, {
      total: 16,
      confirmed: 16,
      accepted: 16,
      rejected: 0,
      failed: 0,
      inFlight: 0,
    });
    const middle = reports[0].progress;
    assert.ok(middle.inFlight > 0 && middle.confirmed < 16, JSON.stringify(middle));
  });

  test("an empty array resolves with nothing sent", async () => {
    const server = fakeBatchServer();
    const result = await client(server.fetch).sendEvents([]);
    assert.deepEqual(result, {
      accepted: 0,
      rejected: 0,
      failed: 0,
      items: [],
      requestIds: [],
      requests: 0,
      rateLimited: 0,
      rateLimitWaitMs: 0,
    });
  });

  test("a hole in a sparse array is rejected on its own, not a crash", async () => {
    const server = fakeBatchServer();
    const sparse = anyItems([{ id: "a" }]);
    sparse[2] = { id: "c" } as never;
    const result = await client(server.fetch).sendEvents(sparse);
    assert.equal(result.items.length, 3);
    assert.equal(result.accepted, 2);
    assert.deepEqual(
      [result.items[1].status, result.items[1].errorCode],
      ["rejected", "serialization_failed"],
    );
    assert.match(result.items[1].errorMessage!, /events\[1\] must be an object, got undefined/);
  });

  test("batches stay under maxBatchBytes; a single larger item goes alone", async () => {
    const server = fakeBatchServer();
    const big = "x".repeat(300);
    const batch = [
      ...items(6, { pad: "y".repeat(100) }),
      ...anyItems([{ id: "huge", pad: big.repeat(4) }]),
    ];
    const result = await client(server.fetch, { maxBatchSize: 100 }).sendEvents(batch, {
      maxBatchBytes: 400,
      concurrency: 1,
    });
    assert.equal(result.accepted, 7);
    assert.deepEqual(server.batchSizes, [3, 3, 1]);
  });

  test("a 413 from a proxy halves the batch instead of failing it", async () => {
    const server = fakeBatchServer({ faults: [{ status: 413 }] });
    const result = await client(server.fetch, { maxBatchSize: 8 }).sendEvents(items(8), {
      concurrency: 1,
    });
    assert.equal(result.accepted, 8);
    assert.deepEqual(server.batchSizes, [4, 4]);
  });

  test("per-call maxRetries applies to every batch, over the client's default", async () => {
    const busy = () => new Response("busy", { status: 503 });
    const { fetch, seen } = scriptedFetch(busy, busy, busy, busy);
    // A 1 ms delivery budget, shorter than the 2 ms the answer takes: no retry by the run.
    const result = await client(withLatency(fetch, 2), {
      maxRetries: 3,
      timeoutMs: 10_000,
      backoffMs: 4,
    })
      .sendEvents(items(2), { maxRetries: 0, timeoutMs: 500, deliveryBudgetMs: 1 });
    assert.equal(seen.length, 1);
    assert.equal(result.failed, 2);
    assert.deepEqual(result.items.map((i) => i.errorCode), [
      "service_unavailable",
      "service_unavailable",
    ]);
  });
});
