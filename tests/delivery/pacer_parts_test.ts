// The pacer's pieces on their own, each against times given by hand (no clock at all): the record
// of its own requests and when room comes, the estimate of others and the refusals since a 429,
// window learning, and the unavailable-server pause. `pacer_test.ts` tests them together.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ContentionEstimate, Refusals } from "../../src/delivery/pacer_contention.ts";
import { nextRoom, OwnRequests, type Sent } from "../../src/delivery/pacer_own_requests.ts";
import { UnavailablePause } from "../../src/delivery/pacer_unavailable.ts";
import { aloneRoom, WindowLearning } from "../../src/delivery/pacer_window_learning.ts";
import { WaitClock, waitTracker, WakeSignal } from "../../src/delivery/pacer_waiting.ts";

describe("OwnRequests", () => {
  test("a request counts from its sending until one window after its answer; in flight, throughout", () => {
    const own = new OwnRequests();
    const first = own.add(0, false);
    own.add(10, true);
    assert.equal(own.count(5_000, 1_000), 2, "both in flight");
    assert.equal(own.granted(5_000, 1_000), 0, "nothing granted yet");
    assert.ok(own.inFlight(true), "a probe is in flight");
    own.answered(first, 100);
    assert.equal(own.count(1_099, 1_000), 2);
    assert.equal(own.granted(1_099, 1_000), 1);
    assert.equal(own.count(1_100, 1_000), 1, "the answered one left a window after its answer");
    assert.deepEqual(own.leaving(500, 1_000, 700), [1_100, 1_700]);
    assert.deepEqual(own.answeredBySent().map((e) => e.sentAt), [0]);
  });

  test("forget drops a request the server did not count; prune what left the longest window", () => {
    const own = new OwnRequests();
    const a = own.add(0, false);
    const b = own.add(1, false);
    own.answered(a, 10);
    own.answered(b, 20);
    own.forget(b);
    assert.equal(own.count(20, 1_000), 1);
    own.prune(1_010, 1_000);
    assert.equal(own.count(0, Infinity), 0, "gone from the record, whatever the window asked");
    assert.equal(own.inFlight(), false);
  });

  test("answeredBySent lists the answered oldest sent first, whatever the order of answers", () => {
    const own = new OwnRequests();
    const [x, y, z] = [30, 10, 20].map((t) => own.add(t, false));
    own.answered(z, 40);
    own.answered(x, 50);
    own.answered(y, 60);
    own.add(70, false);
    assert.deepEqual(own.answeredBySent().map((e) => e.sentAt), [10, 20, 30]);
  });
});

describe("nextRoom()", () => {
  const nobody = () => -Infinity;

  test("room now while the window holds fewer than the capacity", () => {
    assert.equal(nextRoom(50, [1_000, 1_100], 3, nobody, -Infinity), 50);
  });

  test("a full window: room when the earliest of its own requests leaves", () => {
    assert.equal(nextRoom(50, [1_000, 1_100, 1_200], 3, nobody, -Infinity), 1_000);
  });

  test("an answer not yet come: room depends on it", () => {
    assert.equal(nextRoom(50, [Infinity], 1, nobody, -Infinity), Infinity);
  });

  test("others' estimate and the gate hold the next request back", () => {
    // Others hold 1 until 300: with one of its own in a window of 3, room at 300.
    const others = (room: number) => (room >= 1 ? 300 : 5_000);
    assert.equal(nextRoom(50, [1_000], 3, others, -Infinity), 300);
    assert.equal(nextRoom(50, [1_000], 3, others, 400), 400, "not before the gate");
  });
});

describe("ContentionEstimate", () => {
  test("holds what others held until the first probe, then ramps from one less to 0 at expiry", () => {
    const estimate = new ContentionEstimate();
    assert.equal(estimate.at(0), 0, "nobody before a 429");
    estimate.refused(5, 250, 1_000);
    assert.equal(estimate.at(249), 5);
    assert.equal(estimate.at(250), 4);
    assert.equal(estimate.at(625), 2);
    assert.equal(estimate.at(1_000), 0);
    assert.equal(estimate.atMost(5), -Infinity);
    assert.equal(estimate.atMost(4), 250);
    assert.equal(estimate.atMost(2), 625);
    assert.equal(estimate.atMost(0), 1_000);
  });

  test("expiry is never before the first probe", () => {
    const estimate = new ContentionEstimate();
    estimate.refused(3, 2_000, 1_000);
    assert.equal(estimate.at(1_999), 3);
    assert.equal(estimate.at(2_000), 0);
  });

  test("a probe through takes one off now and keeps the expiry; clear forgets the others", () => {
    const estimate = new ContentionEstimate();
    estimate.refused(5, 250, 1_000);
    estimate.probeGranted(250);
    assert.equal(estimate.holdUntil, 250);
    assert.equal(estimate.at(250), 3);
    assert.equal(estimate.at(625), 1.5);
    estimate.clear(300);
    assert.equal(estimate.at(300), 0);
  });
});

describe("Refusals", () => {
  test("the first refusal begins the block; one sent before it says nothing new", () => {
    const refusals = new Refusals();
    assert.equal(refusals.refused(100), true);
    assert.equal(refusals.block(200, 1_000), true, "begins");
    assert.equal(refusals.refused(150), false, "sent before the block began");
    assert.equal(refusals.refusedSentAt, 150);
    assert.equal(refusals.refused(250), true);
    assert.equal(refusals.block(300, 1_000), false, "continues");
    assert.equal(refusals.limitedAt, 300);
  });

  test("refusals close together count as failed probes; a quiet spell forgets them", () => {
    const refusals = new Refusals();
    refusals.block(0, 100);
    refusals.block(150, 100);
    refusals.block(300, 100);
    assert.equal(refusals.failedProbes, 2);
    refusals.block(501, 100);
    assert.equal(refusals.failedProbes, 0);
  });

  test("only a request sent since the block began ends it; a probe through leaves the failures counted", () => {
    const refusals = new Refusals();
    refusals.block(100, 1_000);
    refusals.block(200, 1_000);
    refusals.othersAtLimit = 2;
    assert.equal(refusals.granted(50), false);
    assert.equal(refusals.blocked, true);
    assert.equal(refusals.granted(100), true);
    assert.equal(refusals.blocked, false);
    refusals.probeGranted();
    assert.deepEqual([refusals.othersAtLimit, refusals.failedProbes], [1, 1]);
  });

  test("a refused prediction turns predictions off only after taking room; a quiet spell turns them on", () => {
    const refusals = new Refusals();
    refusals.block(0, 100);
    assert.equal(refusals.afterTakingRoom, false, "the first refusal: nothing taken yet");
    refusals.predictionRefused();
    assert.equal(refusals.predicting, true, "its burst's prediction: the window may be its own");
    refusals.granted(50);
    refusals.probeGranted();
    refusals.block(150, 100);
    assert.equal(refusals.afterTakingRoom, true);
    assert.equal(refusals.predicting, true);
    refusals.predictionRefused();
    assert.equal(refusals.predicting, false, "others take what leaves too");
    refusals.block(300, 100);
    assert.equal(refusals.predicting, false, "a refusal within the gap is no quiet spell");
    refusals.block(501, 100);
    assert.equal(refusals.predicting, true);
  });

  test("beyond proven: more than it held at the 429 plus its probes, within two windows", () => {
    const refusals = new Refusals();
    refusals.block(0, 100);
    refusals.othersAtLimit = 3;
    assert.equal(refusals.beyondProven(100, 1_000, () => 1, 5), false, "2 + 3 fit in 5");
    assert.equal(refusals.beyondProven(100, 1_000, () => 2, 5), true);
    assert.equal(refusals.beyondProven(2_000, 1_000, () => 2, 5), false, "two windows later");
  });
});

describe("WindowLearning", () => {
  const limit = { requests: 20, windowMs: 5_000 }; // spacing 250 ms
  const sent = (sentAt: number, doneAt = sentAt + 10): Sent => ({ sentAt, doneAt, probe: false });

  test("aloneRoom: the smallest burst that alone would fill a window at the configured rate", () => {
    // Four grants at 0, 10, 20, 30: a window of 4 spacings (1 s) would hold them all at 500.
    const grants = [0, 10, 20, 30].map((t) => sent(t));
    assert.deepEqual(aloneRoom(grants, 250, 500), { base: 10, first: 4, count: 4, at: 1_010 });
    assert.equal(aloneRoom([], 250, 500), undefined);
  });

  test("a refused prediction moves a spacing later, then gives up past an eighth more", () => {
    const learning = new WindowLearning(limit);
    const grants = () => Array.from({ length: 8 }, (_, i) => sent(i * 10));
    // The last 8 grants alone (sent 0 to 70) would fill a window of 8 spacings after the first answer.
    assert.equal(learning.predict(500, true, 400, grants), 10 + 8 * 250);
    assert.equal(learning.predict(2_030, false, 2_010, grants), 10 + 9 * 250);
    assert.equal(learning.predict(2_270, false, 2_260, grants), undefined, "10 > 8 * 1.125");
  });

  test("learns a window its own requests filled at the configured rate, and no more capacity than held", () => {
    const learning = new WindowLearning(limit);
    // Four requests from 0 to 30 filled the server's 1 s window; the 429 at 40; room at 1 s.
    const own = [0, 10, 20, 30].map((t) => sent(t));
    const probe: Sent = { sentAt: 1_000, doneAt: 1_010, probe: true };
    assert.equal(learning.learn(1_010, probe, own, 40, 35), true);
    assert.deepEqual([learning.windowMs, learning.capacity], [1_000, 4]);
  });

  test("learns nothing from too few requests, or room far later than the rate says", () => {
    const learning = new WindowLearning(limit);
    const two = [0, 10].map((t) => sent(t));
    assert.equal(learning.learn(500, sent(490), two, 40, 35), false);
    const four = [0, 10, 20, 30].map((t) => sent(t));
    assert.equal(learning.learn(3_000, sent(2_990), four, 40, 35), false);
    assert.deepEqual([learning.windowMs, learning.capacity], [5_000, 20]);
  });

  test("a refused replay lengthens a learned window a spacing at a time, three times, then forgets it", () => {
    const learning = new WindowLearning(limit);
    learning.learn(1_010, sent(1_000), [0, 10, 20, 30].map((t) => sent(t)), 40, 35);
    learning.refused(true);
    assert.equal(learning.windowMs, 1_000, "a refused probe says nothing of the window");
    const windows = [1, 2, 3, 4].map(() => (learning.refused(false), learning.windowMs));
    assert.deepEqual(windows, [1_250, 1_500, 1_750, 5_000]);
    assert.equal(learning.capacity, 20);
  });
});

describe("UnavailablePause", () => {
  test("backs off with the one formula, growing per failure in a row; an answer ends it", () => {
    const pause = new UnavailablePause({ backoffMs: 100, maxBackoffMs: 1_000 }, () => 0.5);
    pause.failed(0);
    assert.equal(pause.until, 50);
    pause.failed(10);
    assert.equal(pause.until, 110);
    pause.failed(10, 30);
    assert.equal(pause.until, 110, "a shorter Retry-After does not shorten the pause");
    pause.answered();
    assert.equal(pause.until, -Infinity);
    pause.failed(200);
    assert.equal(pause.until, 250, "a new streak starts from the base");
  });

  test("never pauses more than 10 s, whatever maxBackoffMs allows one call", () => {
    const pause = new UnavailablePause({ backoffMs: 500, maxBackoffMs: 30_000 }, () => 0.999);
    for (let failure = 0; failure < 12; failure++) pause.failed(0);
    assert.ok(pause.until <= 10_000, `paused until ${pause.until}`);
    assert.ok(pause.until > 9_000, `paused until ${pause.until}: the cap, not less`);
  });
});

describe("waiting", () => {
  test("a waiter's loops keep one interval open on each clock it counts on", () => {
    let now = 0;
    const shared = new WaitClock(() => now);
    const own = new WaitClock(() => now);
    const wait = waitTracker([shared, own, undefined]);
    wait(true);
    now = 10;
    wait(true);
    now = 30;
    wait(false);
    now = 50;
    assert.deepEqual([shared.totalMs, own.totalMs], [30, 30], "closed by the one wait(false)");
    wait(false);
    assert.deepEqual([shared.totalMs, own.totalMs], [30, 30]);
  });

  test("wakeAll settles what every waiter holds, and the next waiters wait for the next change", async () => {
    const signal = new WakeSignal();
    const before = signal.changed;
    let woken = false;
    before.then(() => (woken = true));
    signal.wakeAll();
    await before;
    assert.equal(woken, true);
    assert.notEqual(signal.changed, before);
  });
});
