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
    random: () => 0.5,
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

  test("a window entirely others': probes about W/N apart, a probe that gets through is taken at once, and the estimate is gone one window after the 429", async () => {
    const { pacer, tryTake, at, pauses } = setup({ requests: 20, windowMs: 5_000 });
    (await take(tryTake)).settle({ status: 429 }); // a neighbour filled the window before us
    assert.equal(pacer.rateLimited, 1);
    assert.equal(pauses.length, 1);
    assert.equal(pauses[0].othersEstimate, 20);
    assert.equal(pacer.pause?.reason, "rate_limited");
    assert.equal(pacer.pause?.shared, true);
    assert.equal(await tryTake(), undefined, "paused");
    // random() = 0.5: no jitter; the first probe after 5 s / 20 = 250 ms.
    at(249);
    assert.equal(await tryTake(), undefined);
    at(250);
    const probe = await take(tryTake);
    assert.equal(await tryTake(), undefined, "one probe at a time");
    probe.settle({ status: 202 });
    assert.ok(await tryTake(), "room proven: the next goes at once");
  });

  test("failing probes space out, and one window after the last 429 the full allowance is back", async () => {
    const { pacer, tryTake, at } = setup({ requests: 20, windowMs: 5_000 });
    (await take(tryTake)).settle({ status: 429 });
    at(250);
    (await take(tryTake)).settle({ status: 429 });
    at(250 + 999);
    assert.equal(await tryTake(), undefined, "the gap grew fourfold after a failed probe");
    at(250 + 1_000);
    (await take(tryTake)).settle({ status: 429 });
    const last = 1_250;
    at(last + 5_000);
    assert.equal(pacer.othersEstimate, 0);
    assert.equal(pacer.allowance.requests, 20);
    for (let i = 0; i < 20; i++) (await take(tryTake)).settle({ status: 202 });
    assert.equal(await tryTake(), undefined, "20, the whole window, went at once");
  });

  test("a window shorter than configured is learned when the window was the client's own, at the same average rate", async () => {
    const { pacer, tryTake, at } = setup({ requests: 240, windowMs: 60_000 });
    for (let i = 0; i < 20; i++) {
      at(i);
      (await take(tryTake)).settle({ status: 202 });
    }
    at(20);
    (await take(tryTake)).settle({ status: 429 }); // the server's window is 20 per 5 s
    let now = 20;
    for (;;) {
      const slot = await tryTake();
      if (slot) {
        if (now < 5_000) slot.settle({ status: 429 });
        else {
          slot.settle({ status: 202 });
          break;
        }
      }
      now += 10;
      at(now);
    }
    assert.ok(pacer.allowance.windowMs >= 5_000 && pacer.allowance.windowMs <= 7_000);
    assert.equal(pacer.allowance.requests, 20, "what it alone held");
    assert.equal(pacer.othersEstimate, 0, "the window was ours: nobody to make room for");
  });

  test("a learned window lengthens a spacing at a time, then is forgotten, when requests sent on room its own leaving ones made are refused", async () => {
    const { pacer, tryTake, at } = setup({ requests: 240, windowMs: 60_000 });
    for (let i = 0; i < 20; i++) {
      at(i);
      (await take(tryTake)).settle({ status: 202 });
    }
    at(20);
    (await take(tryTake)).settle({ status: 429 });
    // The alone prediction: our oldest leaves at 20 x 250 ms = 5 s (probed a little late).
    at(5_290);
    assert.equal(await tryTake(), undefined, "not before the prediction");
    at(5_400);
    (await take(tryTake)).settle({ status: 202 });
    assert.equal(pacer.allowance.windowMs, 5_000, "the window at the configured rate");
    // Room our own requests made by leaving the learned window: refused.
    (await take(tryTake)).settle({ status: 429 });
    assert.equal(pacer.allowance.windowMs, 5_400, "first the longest the evidence allowed");
    // Refused again: a spacing (250 ms, a neighbour's request) longer each time (three in all),
    // then the configured window again.
    const windows: number[] = [];
    for (let now = 5_400; now < 20_000 && windows.at(-1) !== 60_000; now += 10) {
      at(now);
      const slot = await tryTake();
      if (!slot) continue;
      slot.settle({ status: 429 });
      windows.push(pacer.allowance.windowMs);
    }
    assert.deepEqual(windows, [5_650, 5_900, 60_000]);
  });

  test("beside clients that take room as it leaves: after one refused prediction, probes go by the gap", async () => {
    // The configured window (240 per 60 s) is longer than the server's, as in the emulator's
    // 20 per 5 s, so only refusals and probes tell the pacer when room comes.
    const { tryTake, at } = setup({ requests: 240, windowMs: 60_000 });
    let now = 0;
    /** Steps the clock 10 ms at a time to the next free slot (within `withinMs`). */
    const nextSlot = async (withinMs: number): Promise<Slot> => {
      for (const end = now + withinMs; now <= end; at(now += 10)) {
        const slot = await tryTake();
        if (slot) return slot;
      }
      assert.fail(`no slot within ${withinMs} ms`);
    };
    for (let i = 0; i < 5; i++) (await take(tryTake)).settle({ status: 202 });
    (await take(tryTake)).settle({ status: 429 }); // others hold the rest of the window
    (await nextSlot(2_000)).settle({ status: 429 }); // its burst's prediction, 1.25 s: refused
    const through = await nextSlot(2_000); // a probe through, then the room that left
    const runStart = now;
    through.settle({ status: 202 });
    for (let i = 0; i < 3; i++) (await take(tryTake)).settle({ status: 202 });
    (await take(tryTake)).settle({ status: 429 }); // the window is full again
    // The first time after taking room, it still predicts: 4 x 250 ms after the run began.
    (await nextSlot(2_000)).settle({ status: 429 });
    assert.ok(now - runStart < 1_200, `predicted at ${now - runStart} ms after the run`);
    (await nextSlot(6_000)).settle({ status: 202 }); // by the gap: through
    (await take(tryTake)).settle({ status: 429 });
    const refusedAt = now;
    // Before this change, the next probe went at its own prediction (250 ms for one request,
    // or at once by a shortened gap); now it waits the probing gap, up to 5 s.
    at(now += 2_000);
    assert.equal(await tryTake(), undefined, "no prediction from its own requests");
    await nextSlot(4_000);
    assert.ok(now - refusedAt >= 4_000, `probed ${now - refusedAt} ms after the refusal`);
  });

  test("a refusal of a request sent before the refusal that began the pause changes nothing", async () => {
    const { pacer, tryTake, at } = setup({ requests: 20, windowMs: 5_000 });
    for (let i = 0; i < 10; i++) (await take(tryTake)).settle({ status: 202 });
    const straggler = await take(tryTake);
    at(10);
    (await take(tryTake)).settle({ status: 429 });
    straggler.settle({ status: 429 });
    assert.equal(pacer.rateLimited, 2);
    // The pause's one probe goes when the window would free if it were ours alone (10 x 250 ms,
    // a little late); a second estimate would have made it 2 s after the 429.
    at(2_100);
    assert.equal(await tryTake(), undefined, "the same pause, not a new estimate");
    at(2_660);
    assert.ok(await tryTake());
  });

  test("a slot whose request was never sent is given back at once", async () => {
    const { tryTake } = setup({ requests: 1, windowMs: 60_000 });
    (await take(tryTake)).settle({ notSent: true });
    assert.ok(await tryTake(), "the window holds nothing");
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

  test("false paces nothing for the rate limit, but still pauses once for an unavailable server", async () => {
    const { pacer, tryTake } = setup(false);
    assert.equal(pacer.enabled, false);
    for (let i = 0; i < 1_000; i++) (await take(tryTake)).settle({ status: 429 });
    assert.equal(pacer.pause, undefined);
    (await take(tryTake)).settle({ failure: "connection" });
    const pauseOf = (paced: Pacer) => paced.pause; // read again: assert narrowed it to undefined
    assert.equal(pauseOf(pacer)?.reason, "unavailable");
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
