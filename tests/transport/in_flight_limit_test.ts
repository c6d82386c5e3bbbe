import { test } from "node:test";
import assert from "node:assert/strict";
import { InFlightLimit } from "../../src/transport/_in_flight_limit.ts";
import { PoolGrowthLimit } from "../../src/transport/_pool_growth_limit.ts";

/** A task that runs until `finish()` is called, recording when it started. */
function gate(started: number[], id: number) {
  // Not Promise.withResolvers: Node 20 lacks it.
  let finish = () => {};
  const done = new Promise<number>((resolve) => finish = () => resolve(id));
  return {
    task: () => {
      started.push(id);
      return done;
    },
    finish: () => finish(),
  };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

test("InFlightLimit runs at most its size at once and starts the rest in the order they came", async () => {
  const limit = new InFlightLimit(2);
  const started: number[] = [];
  const gates = Array.from({ length: 6 }, (_, id) => gate(started, id));
  const results = gates.map((g) => limit.run(g.task));
  await tick();
  assert.deepEqual(started, [0, 1]);
  assert.equal(limit.inFlight, 2);
  for (const id of [1, 0, 2, 3, 4, 5]) {
    gates[id].finish();
    await tick();
  }
  assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
  assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5]);
  assert.equal(limit.peak, 2);
  assert.equal(limit.inFlight, 0);
});

test("InFlightLimit frees the slot of a task that fails", async () => {
  const limit = new InFlightLimit(1);
  await assert.rejects(limit.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(limit.inFlight, 0);
  assert.equal(await limit.run(() => Promise.resolve("next")), "next");
});

test("InFlightLimit drops a waiter whose signal aborts, with its reason, and never runs it", async () => {
  const limit = new InFlightLimit(1);
  const started: number[] = [];
  const first = gate(started, 0);
  const running = limit.run(first.task);
  const controller = new AbortController();
  const ran: string[] = [];
  const waiting = limit.run(() => {
    ran.push("aborted one");
    return Promise.resolve();
  }, controller.signal);
  const after = limit.run(() => {
    ran.push("next");
    return Promise.resolve();
  });
  const reason = new Error("gave up");
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  first.finish();
  await running;
  await after;
  assert.deepEqual(ran, ["next"]);
  assert.equal(limit.inFlight, 0);
});

test("InFlightLimit refuses at once a signal that is already aborted", async () => {
  const limit = new InFlightLimit(1);
  const reason = new Error("already");
  let ran = false;
  await assert.rejects(
    limit.run(() => Promise.resolve(void (ran = true)), AbortSignal.abort(reason)),
    (error) => error === reason,
  );
  assert.equal(ran, false);
});

test("InFlightLimit with defer answers the caller at once and frees the slot only when told", async () => {
  const frees: (() => void)[] = [];
  const limit = new InFlightLimit(1, (free) => void frees.push(free));
  assert.equal(await limit.run(() => Promise.resolve("first")), "first");
  assert.equal(limit.inFlight, 1);
  let second = false;
  const next = limit.run(() => Promise.resolve(void (second = true)));
  await tick();
  assert.equal(second, false);
  frees.shift()!();
  await next;
  assert.equal(second, true);
});

/** Lets every pending promise callback run, but no timer. */
async function microtasks() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

test("PoolGrowthLimit holds finished slots until every task that grew the pool has finished, again after idle", async () => {
  const limit = new PoolGrowthLimit(3);
  for (const round of [0, 1]) {
    const started: number[] = [];
    const gates = Array.from({ length: 5 }, (_, id) => gate(started, id));
    const results = gates.map((g) => limit.run(g.task));
    await tick();
    assert.deepEqual(started, [0, 1, 2], `round ${round}`);
    // Tasks 0-2 each opened a connection: while one still runs, no waiter starts.
    gates[0].finish();
    assert.equal(await results[0], 0);
    await tick();
    gates[1].finish();
    await tick();
    assert.deepEqual(started, [0, 1, 2], `round ${round}`);
    gates[2].finish();
    await tick();
    await tick();
    assert.deepEqual(started, [0, 1, 2, 3, 4], `round ${round}`);
    gates[3].finish();
    gates[4].finish();
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4]);
    await tick();
  }
  assert.equal(limit.peak, 3);
});

test("PoolGrowthLimit gives a finished slot to the next task a timer task later, not at once", async () => {
  const limit = new PoolGrowthLimit(1);
  const started: number[] = [];
  const gates = Array.from({ length: 3 }, (_, id) => gate(started, id));
  const results = gates.map((g) => limit.run(g.task));
  gates[0].finish();
  await tick();
  await tick();
  assert.deepEqual(started, [0, 1]);
  // Task 1 runs on the pool as it was: its slot is freed a timer task after it finishes.
  gates[1].finish();
  assert.equal(await results[1], 1);
  await microtasks();
  assert.deepEqual(started, [0, 1]);
  await tick();
  assert.deepEqual(started, [0, 1, 2]);
  gates[2].finish();
  await Promise.all(results);
});

test("PoolGrowthLimit frees a finished slot once a task started after it has finished, without a timer", async () => {
  const limit = new PoolGrowthLimit(2);
  const started: number[] = [];
  const gates = Array.from({ length: 3 }, (_, id) => gate(started, id));
  const first = limit.run(gates[0].task);
  gates[0].finish();
  await first;
  // Task 1 starts after task 0 finished; task 0's slot still counts, so task 2 waits.
  const second = limit.run(gates[1].task);
  const third = limit.run(gates[2].task);
  await microtasks();
  assert.deepEqual(started, [0, 1]);
  // Task 1's answer took turns of the event loop: task 0's connection is back by then.
  gates[1].finish();
  await second;
  await microtasks();
  assert.deepEqual(started, [0, 1, 2]);
  gates[2].finish();
  await third;
});

test("PoolGrowthLimit sets no timer for calls one after another", async () => {
  const limit = new PoolGrowthLimit(3);
  const realSetTimeout = globalThis.setTimeout;
  let timers = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timers++;
    return realSetTimeout(...args);
  }) as typeof setTimeout;
  try {
    for (let i = 0; i < 20; i++) assert.equal(await limit.run(() => Promise.resolve(i)), i);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assert.equal(timers, 0);
  assert.ok(limit.peak <= 3, `peak ${limit.peak}`);
});
