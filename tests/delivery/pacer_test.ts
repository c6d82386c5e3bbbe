// The pacer's arithmetic against a manual clock: `acquire(signal, deadline = now)` answers
// "may I send now?" without sleeping, so no test waits on real time except the abort one.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Pacer, type PauseEvent, type Slot, WaitClock } from "../../src/delivery/pacer.ts";

function setup(
  limit: { requests: number; windowMs: number } | false = { requests: 3, windowMs: 1_000 },
) {
  let now = 0;
  const pauses: PauseEvent[] = [];
  const pacer = new Pacer(limit, {
    backoff: { backoffMs: 100, maxBackoffMs: 1_000 },
    now: () => now,
    onPause: (event) => pauses.push(event),
  });
  return {
    pacer,
    pauses,
    at(ms: number) {
      now = ms;
    },
    /** A slot if one is free now, else undefined (never sleeps). */
    tryTake: () => pacer.acquire(undefined, now),
  };
}

async function take(tryTake: () => Promise<Slot | undefined>): Promise<Slot> {
  const slot = await tryTake();
  assert.ok(slot, "expected a free slot");
  return slot;
}

describe("Pacer", () => {
  test("a burst up to the allowance goes at once; the next waits until the oldest answer is a window old", async () => {
    const { tryTake, at } = setup();
    for (let i = 0; i < 3; i++) (await take(tryTake)).settle({ status: 202 });
    assert.equal(await tryTake(), undefined);
    at(999);
    assert.equal(await tryTake(), undefined);
    at(1_000);
    assert.ok(await tryTake());
  });

  test("a request in flight holds its slot until answered, then for a window after the answer", async () => {
    const { tryTake, at } = setup({ requests: 1, windowMs: 1_000 });
    const slot = await take(tryTake);
    at(5_000);
    assert.equal(await tryTake(), undefined, "still in flight");
    slot.settle({ status: 202 });
    at(5_999);
    assert.equal(await tryTake(), undefined);
    at(6_000);
    assert.ok(await tryTake());
  });

  test("a 429 without Retry-After pauses everyone, lowers the allowance to what was granted, and a probe that gets through teaches the shorter window", async () => {
    const { pacer, tryTake, at, pauses } = setup({ requests: 240, windowMs: 60_000 });
    for (let i = 0; i < 20; i++) {
      at(i);
      (await take(tryTake)).settle({ status: 202 });
    }
    at(20);
    (await take(tryTake)).settle({ status: 429 });
    assert.deepEqual(pacer.allowance, { requests: 20, windowMs: 60_000 });
    assert.equal(pacer.pause?.reason, "rate_limited");
    assert.equal(pacer.rateLimited, 1);
    assert.equal(pauses.length, 1);
    assert.equal(await tryTake(), undefined, "paused");
    // Probes, one at a time, with a growing gap (the first: 60 s / 240 = 250 ms).
    at(270);
    const probe = await take(tryTake);
    assert.equal(await tryTake(), undefined, "one probe at a time");
    probe.settle({ status: 429 });
    assert.equal(pauses.length, 1, "one log record per pause, not per 429");
    at(270 + 262);
    assert.equal(await tryTake(), undefined, "the gap grows by a twentieth");
    at(270 + 263);
    (await take(tryTake)).settle({ status: 202 });
    assert.equal(pacer.pause, undefined);
    // The server freed a slot 533 ms after our oldest request: its window is at most that.
    assert.deepEqual(pacer.allowance, { requests: 20, windowMs: 533 });
    assert.equal(await tryTake(), undefined, "20 in the learned window");
    at(534);
    assert.ok(await tryTake(), "the request answered at 1 ms left the learned window");
  });

  test("a 429 with Retry-After pauses for that long and lowers nothing", async () => {
    const { pacer, tryTake, at } = setup();
    (await take(tryTake)).settle({ status: 202 });
    (await take(tryTake)).settle({ status: 429, retryAfterMs: 700 });
    assert.deepEqual(pacer.allowance, { requests: 3, windowMs: 1_000 });
    at(699);
    assert.equal(await tryTake(), undefined);
    at(700);
    (await take(tryTake)).settle({ status: 202 });
    assert.ok(await tryTake(), "a slot is left: the refused request did not count");
  });

  test("a lowered allowance rises by a tenth (at least one) per two windows without a 429", async () => {
    const { pacer, tryTake, at } = setup({ requests: 10, windowMs: 1_000 });
    for (let i = 0; i < 5; i++) (await take(tryTake)).settle({ status: 202 });
    (await take(tryTake)).settle({ status: 429, retryAfterMs: 0 });
    at(1); // Retry-After 0: probe at once
    (await take(tryTake)).settle({ status: 202 });
    (await take(tryTake)).settle({ status: 429 });
    assert.equal(pacer.allowance.requests, 6, "what the window held when refused");
    at(2_000);
    (await take(tryTake)).settle({ status: 202 });
    assert.equal(pacer.allowance.requests, 6, "not while paused");
    at(1_900);
    await tryTake();
    assert.equal(pacer.allowance.requests, 6, "one quiet window is not enough");
    at(2_100);
    await tryTake();
    assert.equal(pacer.allowance.requests, 7);
    at(3_500);
    await tryTake();
    assert.equal(pacer.allowance.requests, 7, "once per two windows");
    at(4_100);
    await tryTake();
    assert.equal(pacer.allowance.requests, 8);
  });

  test("502/503/504 pause everyone as unavailable, not counted as rate-limit wait", async () => {
    const { pacer, tryTake, at } = setup();
    (await take(tryTake)).settle({ status: 503 });
    assert.equal(pacer.pause?.reason, "unavailable");
    assert.equal(await tryTake(), undefined);
    at(100);
    (await take(tryTake)).settle({ status: 202 });
    assert.equal(pacer.pause, undefined);
    assert.equal(pacer.rateLimitWait.totalMs, 0);
  });

  test("false paces nothing", async () => {
    const { pacer, tryTake } = setup(false);
    assert.equal(pacer.enabled, false);
    for (let i = 0; i < 1_000; i++) (await take(tryTake)).settle({ status: 429 });
    assert.equal(pacer.pause, undefined);
  });

  test("a waiting acquire() rejects with the signal's reason when it aborts", async () => {
    const pacer = new Pacer({ requests: 1, windowMs: 60_000 }, {
      backoff: { backoffMs: 100, maxBackoffMs: 1_000 },
    });
    (await pacer.acquire())!.settle({ status: 202 });
    const controller = new AbortController();
    const waiting = pacer.acquire(controller.signal);
    controller.abort(new Error("stop"));
    await assert.rejects(waiting, { message: "stop" });
  });
});

describe("WaitClock", () => {
  test("overlapping waits count once", () => {
    let now = 0;
    const clock = new WaitClock(() => now);
    clock.enter();
    now = 100;
    clock.enter();
    now = 150;
    clock.leave();
    now = 300;
    clock.leave();
    now = 1_000;
    assert.equal(clock.totalMs, 300);
  });
});
