import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type BatcherOptions,
  type VectorVueBatcher,
  VectorVueBatcherClosedError,
  VectorVueClient,
  VectorVueConfigError,
  VectorVueSerializationError,
} from "../mod.ts";
import {
  capturingLogger,
  fakeBatchServer,
  fakeClient as client,
  validJwt,
  withLatency,
} from "./_fake.ts";

const item = (i: number) => ({ id: `e${i}`, message: "x".repeat(20) });

describe("createBatcher()", () => {
  test("a batch goes out when it reaches maxBatchSize, without waiting for the interval", async () => {
    const server = fakeBatchServer();
    const batcher = client(server.fetch).createBatcher({
      kind: "events",
      maxBatchSize: 5,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 5; i++) await batcher.add(item(i));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(server.batchSizes, [5]);
    await batcher.close();
  });

  test("a batch goes out when it reaches maxBatchBytes", async () => {
    const server = fakeBatchServer();
    const size = JSON.stringify(item(0)).length + 1;
    const batcher = client(server.fetch).createBatcher({
      kind: "events",
      maxBatchSize: 100,
      maxBatchBytes: size * 3 + 2,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 7; i++) await batcher.add(item(i));
    await batcher.close();
    assert.deepEqual(server.batchSizes, [3, 3, 1]);
  });

  test("a partial batch goes out when flushIntervalMs passes", async () => {
    const server = fakeBatchServer();
    const batcher = client(server.fetch).createBatcher({
      kind: "findings",
      maxBatchSize: 100,
      flushIntervalMs: 10,
    });
    await batcher.add(item(1));
    await batcher.add(item(2));
    for (let i = 0; i < 100 && server.batchSizes.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(server.batchSizes, [2]);
    await batcher.close();
  });

  test("flush() resolves only when every earlier item reached a final state, in-flight included", async () => {
    const server = fakeBatchServer({ delayMs: 15 });
    const batcher = client(server.fetch).createBatcher({
      kind: "events",
      maxBatchSize: 3,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 10; i++) await batcher.add(item(i));
    await batcher.flush();
    const stats = batcher.stats();
    assert.equal(stats.accepted, 10);
    assert.equal(stats.queued + stats.inFlight, 0);
    assert.equal(server.stored.size, 10);
    await batcher.close();
  });

  for (const awaited of [true, false]) {
    test(
      `add() waits while maxQueueSize items are held; the queue never exceeds it (add() calls ${
        awaited ? "awaited one by one" : "not awaited"
      })`,
      async () => {
        const server = fakeBatchServer({ delayMs: 5 });
        const batcher = client(server.fetch).createBatcher({
          kind: "events",
          maxBatchSize: 4,
          maxQueueSize: 10,
          concurrency: 1,
          flushIntervalMs: 60_000,
        });
        let peak = 0;
        const added = () => {
          const stats = batcher.stats();
          peak = Math.max(peak, stats.queued + stats.inFlight);
        };
        const adds: Promise<void>[] = [];
        for (let i = 0; i < 60; i++) {
          if (awaited) await batcher.add(item(i)).then(added);
          else adds.push(batcher.add(item(i)).then(added));
        }
        await Promise.all(adds);
        await batcher.close();
        assert.ok(peak <= 10, `held ${peak}`);
        assert.ok(batcher.stats().peakHeld <= 10, `peakHeld ${batcher.stats().peakHeld}`);
        assert.equal(batcher.stats().accepted, 60);
        assert.equal(server.stored.size, 60);
      },
    );
  }

  test("every item ends accepted, rejected or dead-lettered, and stats add up", async () => {
    const deadLetters: unknown[] = [];
    const rejected: unknown[] = [];
    const server = fakeBatchServer({
      refuse: (i) => i.id === "e4",
      // maxRetries 1 and a 1 ms budget: two failures in a row dead-letter one batch.
      faults: [503, 503],
    });
    // Each answer takes 2 ms, so the two attempts outlast the budget: no retry by the batcher.
    const batcher = client(withLatency(server.fetch, 2), {
      maxRetries: 1,
      backoffMs: 4,
      maxBackoffMs: 4,
    })
      .createBatcher({
        kind: "events",
        maxBatchSize: 5,
        concurrency: 1,
        deliveryBudgetMs: 1,
        flushIntervalMs: 60_000,
        onDeadLetter: (items) => void deadLetters.push(...items),
        onRejected: (items) => void rejected.push(...items),
      });
    for (let i = 0; i < 15; i++) await batcher.add(item(i));
    await batcher.close();
    const stats = batcher.stats();
    assert.equal(stats.deadLettered, 5);
    assert.equal(deadLetters.length, 5);
    assert.equal(stats.accepted + stats.rejected + stats.deadLettered, 15);
    assert.equal(stats.accepted, server.stored.size);
    assert.equal(stats.rejected, rejected.length);
  });

  test("transient failures within the delivery budget are retried: nothing is dead-lettered, each stored once", async () => {
    const outage = [503, 503, 503, new TypeError("connection refused"), 502, 504, 429];
    const server = fakeBatchServer({ faults: outage });
    const batcher = client(server.fetch, { maxRetries: 1 }).createBatcher({
      kind: "events",
      maxBatchSize: 3,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 12; i++) await batcher.add(item(i));
    await batcher.close();
    const stats = batcher.stats();
    assert.equal(stats.deadLettered, 0);
    assert.equal(stats.accepted, 12);
    assert.equal(server.stored.size, 12);
    assert.equal(stats.rateLimited, 1);
    assert.ok(stats.requests >= 4 + outage.length, `${stats.requests} requests`);
  });

  test("an outage longer than the delivery budget dead-letters, then delivery resumes", async () => {
    const { logger, records } = capturingLogger();
    const outage = Array.from({ length: 6 }, () => new TypeError("connection refused"));
    const server = fakeBatchServer({ faults: outage });
    const failures: Error[] = [];
    // Each refused connection takes 2 ms: a batch's attempts always outlast the 1 ms budget.
    const batcher = client(withLatency(server.fetch, 2), {
      maxRetries: 2,
      backoffMs: 4,
      maxBackoffMs: 4,
      logger,
    })
      .createBatcher({
        kind: "events",
        maxBatchSize: 2,
        concurrency: 1,
        deliveryBudgetMs: 1,
        flushIntervalMs: 60_000,
        onDeadLetter: (_items, error) => void failures.push(error),
      });
    for (let i = 0; i < 8; i++) await batcher.add(item(i));
    await batcher.close();
    const stats = batcher.stats();
    assert.equal(stats.deadLettered, 4);
    assert.equal(stats.accepted, 4);
    assert.equal(failures[0].name, "VectorVueTransportError");
    assert.ok(records.some((r) => r.message === "vectorvue batcher dead-lettered items"));
  });

  test("a batch_too_large answer splits the batch instead of dead-lettering it", async () => {
    const server = fakeBatchServer({ serverMaxBatch: 2 });
    const batcher = client(server.fetch).createBatcher({
      kind: "events",
      maxBatchSize: 8,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 8; i++) await batcher.add(item(i));
    await batcher.close();
    assert.equal(batcher.stats().accepted, 8);
    assert.equal(batcher.stats().deadLettered, 0);
  });

  test("close() flushes, then add() rejects with VectorVueBatcherClosedError", async () => {
    const server = fakeBatchServer();
    const batcher = client(server.fetch).createBatcher({ kind: "events", flushIntervalMs: 60_000 });
    await batcher.add(item(1));
    await batcher.close();
    assert.equal(server.stored.size, 1);
    await assert.rejects(batcher.add(item(2)), VectorVueBatcherClosedError);
  });

  test("await using flushes on scope exit", async () => {
    const server = fakeBatchServer();
    {
      await using batcher = client(server.fetch).createBatcher({
        kind: "events",
        flushIntervalMs: 60_000,
      });
      await batcher.add(item(1));
    }
    assert.equal(server.stored.size, 1);
  });

  test("an item JSON cannot carry is refused by add() and not counted", async () => {
    const server = fakeBatchServer();
    const batcher = client(server.fetch).createBatcher({ kind: "events" });
    await assert.rejects(batcher.add({ n: Number.POSITIVE_INFINITY }), VectorVueSerializationError);
    assert.equal(batcher.stats().queued, 0);
    await batcher.close();
  });

  test("bad options are a VectorVueConfigError naming the option", () => {
    const c = client(fakeBatchServer().fetch);
    assert.throws(() => c.createBatcher({ kind: "events", maxQueueSize: 0 }), {
      name: "VectorVueConfigError",
      message: /maxQueueSize must be a positive whole number, got 0/,
    });
    assert.throws(() => c.createBatcher({ kind: "logs" as "events" }), {
      name: "VectorVueConfigError",
      message: /kind must be "events" or "findings"/,
    });
  });

  test("a misspelled option is a VectorVueConfigError with a did-you-mean", () => {
    const c = client(fakeBatchServer().fetch);
    assert.throws(
      () => c.createBatcher({ kind: "events", flushInterval: 50 } as BatcherOptions),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueConfigError);
        assert.deepEqual(error.problems, [
          'createBatcher: unknown option "flushInterval" (did you mean "flushIntervalMs"?)',
        ]);
        return true;
      },
    );
    assert.throws(
      () => c.createBatcher({ kind: "events", onDeadLeter: () => {} } as BatcherOptions),
      /unknown option "onDeadLeter" \(did you mean "onDeadLetter"\?\)/,
    );
  });

  test("a throwing onDeadLetter is logged, not fatal", async () => {
    const { logger, records } = capturingLogger();
    const server = fakeBatchServer({ faults: [400] });
    const batcher = client(server.fetch, { logger }).createBatcher({
      kind: "events",
      flushIntervalMs: 60_000,
      onDeadLetter: () => {
        throw new Error("sink down");
      },
    });
    await batcher.add(item(1));
    await batcher.close();
    assert.equal(batcher.stats().deadLettered, 1);
    assert.ok(records.some((r) => r.message === "vectorvue batcher onDeadLetter callback threw"));
  });

  test("stats() adds up at every moment, also while callbacks run", async () => {
    const server = fakeBatchServer({ refuse: (i) => i.id === "e1" });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let during: ReturnType<VectorVueBatcher["stats"]> | undefined;
    const batcher: VectorVueBatcher = client(server.fetch).createBatcher({
      kind: "events",
      flushIntervalMs: 60_000,
      onRejected: async () => {
        during = batcher.stats();
        await gate;
      },
    });
    await batcher.add(item(0));
    await batcher.add(item(1));
    const flushed = batcher.flush();
    for (let i = 0; i < 200 && during === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.deepEqual(
      { ...during, peakHeld: 0, rateLimitWaitMs: 0 },
      {
        queued: 0,
        inFlight: 0,
        accepted: 1,
        rejected: 1,
        deadLettered: 0,
        peakHeld: 0,
        heldBytes: 0,
        requests: 1,
        rateLimited: 0,
        rateLimitWaitMs: 0,
      },
    );
    release();
    await flushed;
    await batcher.close();
  });

  test("close({ signal }) bounds shutdown: queued and in-flight items are dead-lettered, none lost", async () => {
    const hung = () => new Promise<Response>(() => {});
    const deadLetters: unknown[] = [];
    const batcher = new VectorVueClient({
      baseUrl: "https://vectorvue.test",
      token: validJwt(),
      fetch: hung,
      timeoutMs: 60_000,
    }).createBatcher({
      kind: "events",
      maxBatchSize: 2,
      concurrency: 1,
      flushIntervalMs: 60_000,
      onDeadLetter: (items) => void deadLetters.push(...items),
    });
    for (let i = 0; i < 5; i++) await batcher.add(item(i));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("shutdown deadline")), 20);
    await batcher.close({ signal: controller.signal });
    const stats = batcher.stats();
    assert.equal(stats.deadLettered, 5);
    assert.equal(deadLetters.length, 5);
    assert.equal(stats.queued + stats.inFlight + stats.accepted, 0);
  });
});
