import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  abortableDelay,
  type AttemptOutcome,
  type AttemptState,
  backoffDelay,
  decideRetry,
  deliveryDecision,
  isRetryableStatus,
  isUnavailableStatus,
  parseRetryAfter,
  probeGap,
  retryDelay,
} from "../src/retry.ts";
import { withTimerSpy } from "./_fake.ts";
import { apiErrorFor, VectorVueTransportError } from "../src/errors.ts";

const OPTIONS = { backoffMs: 500, maxBackoffMs: 30_000 };
/** The largest double below 1: what `Math.random()` can return at most. */
const ALMOST_ONE = 1 - Number.EPSILON / 2;
const never = () => {
  throw new Error("random must not be consulted");
};

describe("isRetryableStatus()", () => {
  test("isRetryableStatus() retries exactly 429, 502, 503 and 504", () => {
    for (const status of [429, 502, 503, 504]) {
      assert.equal(isRetryableStatus(status), true, `${status} should be retried`);
    }
  });

  test("isRetryableStatus() never retries 400, 401, 403, 404, 409, 422 or 500", () => {
    for (const status of [400, 401, 403, 404, 409, 422, 500]) {
      assert.equal(isRetryableStatus(status), false, `${status} must not be retried`);
    }
  });

  test("isRetryableStatus() treats successes, redirects and other 4xx/5xx as final", () => {
    for (const status of [200, 202, 301, 302, 405, 408, 413, 418, 501, 505]) {
      assert.equal(isRetryableStatus(status), false, `${status} must not be retried`);
    }
  });
});

describe("probeGap()", () => {
  test("probeGap() grows the spacing fourfold per refusal, five times at most, capped", () => {
    const mid = () => 0.5; // no jitter: the factor is 1 - 0.125 + 0.25 * 0.5
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 9].map((refusals) => probeGap(refusals, 1, Infinity, mid)),
      [1, 4, 16, 64, 256, 1024, 1024, 1024],
    );
    assert.equal(probeGap(3, 250, 5_000, mid), 5_000);
  });

  test("probeGap() jitters by an eighth either side, from one random draw", () => {
    let draws = 0;
    const at = (value: number) => () => (draws++, value);
    assert.equal(probeGap(1, 100, Infinity, at(0)), 350);
    const most = probeGap(1, 100, Infinity, at(ALMOST_ONE));
    assert.ok(most > 449.9 && most <= 450, `${most}`);
    assert.equal(draws, 2);
  });
});

describe("backoffDelay()", () => {
  test("backoffDelay() waits 0 ms when random returns 0, whatever the retry", () => {
    for (let retry = 0; retry < 12; retry++) {
      assert.equal(backoffDelay(retry, OPTIONS, () => 0), 0);
    }
  });

  test("backoffDelay() stays below backoffMs * 2 ** retry and doubles that bound per retry", () => {
    const waits = [0, 1, 2, 3, 4, 5].map((retry) => backoffDelay(retry, OPTIONS, () => ALMOST_ONE));
    assert.deepEqual(waits, [499, 999, 1999, 3999, 7999, 15999]);
  });

  test("backoffDelay() scales the window linearly with random (full jitter)", () => {
    assert.equal(backoffDelay(0, OPTIONS, () => 0.5), 250);
    assert.equal(backoffDelay(2, OPTIONS, () => 0.25), 500);
  });

  test("backoffDelay() caps the wait at maxBackoffMs", () => {
    assert.equal(backoffDelay(6, OPTIONS, () => ALMOST_ONE), 29_999);
    assert.equal(backoffDelay(20, OPTIONS, () => ALMOST_ONE), 29_999);
    assert.equal(backoffDelay(5_000, OPTIONS, () => ALMOST_ONE), 29_999);
    assert.equal(backoffDelay(0, { backoffMs: 1_000, maxBackoffMs: 300 }, () => ALMOST_ONE), 299);
  });

  test("backoffDelay() returns whole milliseconds", () => {
    const wait = backoffDelay(1, { backoffMs: 3, maxBackoffMs: 100 }, () => 0.3);
    assert.equal(wait, 1);
    assert.ok(Number.isInteger(backoffDelay(3, OPTIONS, () => 0.123456789)));
  });

  test("backoffDelay() with the default random stays inside [0, backoffMs * 2 ** retry)", () => {
    for (let i = 0; i < 200; i++) {
      const wait = backoffDelay(1, OPTIONS);
      assert.ok(wait >= 0 && wait < 1000, `wait ${wait} outside [0, 1000)`);
    }
  });

  test("backoffDelay() is 0 when backoffMs is 0", () => {
    assert.equal(backoffDelay(3, { backoffMs: 0, maxBackoffMs: 30_000 }, () => ALMOST_ONE), 0);
  });
});

describe("parseRetryAfter()", () => {
  const NOW = Date.parse("2026-11-28T12:00:00Z");

  test("parseRetryAfter() reads delay-seconds as milliseconds", () => {
    assert.equal(parseRetryAfter("120", NOW), 120_000);
    assert.equal(parseRetryAfter("0", NOW), 0);
    assert.equal(parseRetryAfter(" 7 ", NOW), 7_000);
  });

  test("parseRetryAfter() reads a future HTTP-date as the time left until it", () => {
    assert.equal(parseRetryAfter("Sat, 28 Nov 2026 12:00:30 GMT", NOW), 30_000);
    assert.equal(parseRetryAfter("Sat, 28 Nov 2026 12:05:00 GMT", NOW), 300_000);
  });

  test("parseRetryAfter() turns an HTTP-date in the past into 0, never a negative wait", () => {
    assert.equal(parseRetryAfter("Sat, 28 Nov 2026 11:59:00 GMT", NOW), 0);
    assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", NOW), 0);
  });

  test("parseRetryAfter() returns undefined for an absent header", () => {
    assert.equal(parseRetryAfter(null, NOW), undefined);
    assert.equal(parseRetryAfter(undefined, NOW), undefined);
    assert.equal(parseRetryAfter("", NOW), undefined);
    assert.equal(parseRetryAfter("   ", NOW), undefined);
  });

  test("parseRetryAfter() returns undefined for garbage, negative and fractional values", () => {
    for (
      const value of ["soon", "-5", "1.5", "5s", "0x10", "2026-11-28T12:00:30Z", "Sat, garbage"]
    ) {
      assert.equal(parseRetryAfter(value, NOW), undefined, `"${value}" should be unreadable`);
    }
  });
});

describe("retryDelay()", () => {
  test("retryDelay() uses Retry-After as it is, without jitter, when below the cap", () => {
    assert.equal(retryDelay(0, 2_000, OPTIONS, never), 2_000);
    assert.equal(retryDelay(3, 0, OPTIONS, never), 0);
  });

  test("retryDelay() caps Retry-After at maxBackoffMs", () => {
    assert.equal(retryDelay(0, 120_000, OPTIONS, never), 30_000);
  });

  test("retryDelay() falls back to jittered back-off without Retry-After", () => {
    assert.equal(retryDelay(2, undefined, OPTIONS, () => ALMOST_ONE), 1_999);
    assert.equal(retryDelay(2, undefined, OPTIONS, () => 0), 0);
  });
});

describe("abortableDelay()", () => {
  test("abortableDelay() resolves after the wait and leaves no timer", async () => {
    await withTimerSpy(async (spy) => {
      await abortableDelay(1, new AbortController().signal);
      assert.equal(spy.created(), 1);
      assert.equal(spy.pending(), 0);
    });
  });

  test("abortableDelay() resolves at once for 0 ms without a timer", async () => {
    await withTimerSpy(async (spy) => {
      await abortableDelay(0);
      await abortableDelay(-5);
      assert.equal(spy.created(), 0);
    });
  });

  test("abortableDelay() rejects with the reason of an already aborted signal", async () => {
    const reason = new Error("caller gave up");
    await withTimerSpy(async (spy) => {
      await assert.rejects(abortableDelay(10_000, AbortSignal.abort(reason)), (error) => {
        assert.equal(error, reason);
        return true;
      });
      assert.equal(spy.created(), 0);
    });
  });

  test("abortableDelay() rejects with the signal's reason when aborted mid-wait and clears its timer", async () => {
    const reason = new Error("stop waiting");
    await withTimerSpy(async (spy) => {
      const controller = new AbortController();
      const waiting = abortableDelay(10_000, controller.signal);
      await Promise.resolve();
      assert.equal(spy.pending(), 1, "the wait should have started a timer");
      controller.abort(reason);
      await assert.rejects(waiting, (error) => {
        assert.equal(error, reason);
        return true;
      });
      assert.equal(spy.pending(), 0, "the timer must be cleared on abort");
    });
  });

  test("abortableDelay() rejects with the default AbortError when aborted without a reason", async () => {
    await withTimerSpy(async (spy) => {
      const controller = new AbortController();
      const waiting = abortableDelay(10_000, controller.signal);
      controller.abort();
      await assert.rejects(waiting, (error) => {
        assert.equal((error as Error).name, "AbortError");
        assert.equal(error, controller.signal.reason);
        return true;
      });
      assert.equal(spy.pending(), 0);
    });
  });

  test("abortableDelay() stops listening to the signal once the wait is over", async () => {
    const controller = new AbortController();
    const removed: string[] = [];
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.removeEventListener = ((type: string, listener: EventListener) => {
      removed.push(type);
      remove(type, listener);
    }) as typeof controller.signal.removeEventListener;
    await abortableDelay(1, controller.signal);
    assert.deepEqual(removed, ["abort"]);
  });
});

describe("decideRetry()", () => {
  const fresh: AttemptState = {
    failureRetries: 0,
    maxRetries: 3,
    backoffMs: 500,
    maxBackoffMs: 30_000,
    auth: true,
    canLogin: true,
    reauthenticated: false,
    resigned: false,
    clockCorrected: false,
    rateLimitRetries: 0,
    rateLimitBudgetLeftMs: 120_000,
    paced: true,
  };
  const answer = (status: number, extra: Partial<AttemptOutcome> = {}): AttemptOutcome =>
    ({ kind: "answer", status, ...extra }) as AttemptOutcome;
  const half = () => 0.5;
  // [title, outcome, state changes, expected decision]
  const table: [string, AttemptOutcome, Partial<AttemptState>, unknown][] = [
    ["202 is returned", answer(202), {}, { action: "return" }],
    ["422 is returned", answer(422), {}, { action: "return" }],
    ["500 is returned", answer(500), {}, { action: "return" }],
    ["503 is retried after back-off", answer(503), {}, {
      action: "retry",
      delayMs: 250,
      reason: "retryable_status",
    }],
    ["503 with Retry-After waits that long", answer(503, { retryAfterMs: 2_000 }), {}, {
      action: "retry",
      delayMs: 2_000,
      reason: "retryable_status",
    }],
    ["503 once maxRetries are spent is returned", answer(503), { failureRetries: 3 }, {
      action: "return",
    }],
    ["429 paced: the pacer computes the wait", answer(429), { failureRetries: 3 }, {
      action: "retry",
      delayMs: 0,
      reason: "rate_limited",
    }],
    ["429 unpaced without Retry-After backs off by its own count", answer(429), {
      paced: false,
      rateLimitRetries: 2,
    }, { action: "retry", delayMs: 1_000, reason: "rate_limited" }],
    ["429 paced with Retry-After waits that long", answer(429, { retryAfterMs: 700 }), {}, {
      action: "retry",
      delayMs: 700,
      reason: "rate_limited",
    }],
    [
      "429 unpaced with Retry-After waits that long, capped",
      answer(429, {
        retryAfterMs: 90_000,
      }),
      { paced: false },
      { action: "retry", delayMs: 30_000, reason: "rate_limited" },
    ],
    ["429 once the rate-limit budget is spent is returned", answer(429), {
      rateLimitBudgetLeftMs: 0,
    }, { action: "return" }],
    [
      "429 whose Retry-After outlasts the budget is returned at once",
      answer(429, {
        retryAfterMs: 10_000,
      }),
      { rateLimitBudgetLeftMs: 5_000 },
      { action: "return" },
    ],
    ["401 logs in again once", answer(401, { detail: "Token expired" }), {}, {
      action: "relogin",
    }],
    ["401 after logging in again is returned", answer(401), { reauthenticated: true }, {
      action: "return",
    }],
    ["401 without credentials is returned", answer(401), { canLogin: false }, {
      action: "return",
    }],
    ["401 on an unauthenticated call (login) is returned", answer(401), { auth: false }, {
      action: "return",
    }],
    [
      "401 for a bad signature is returned: logging in cannot cure it",
      answer(401, {
        detail: "Invalid request signature",
      }),
      {},
      { action: "return" },
    ],
    [
      "401 for a stale timestamp after a clock correction re-signs once",
      answer(401, {
        detail: "Signature timestamp out of range",
      }),
      { clockCorrected: true },
      { action: "resign" },
    ],
    [
      "401 for a stale timestamp, already re-signed, is returned",
      answer(401, {
        detail: "Signature timestamp out of range",
      }),
      { clockCorrected: true, resigned: true },
      { action: "return" },
    ],
    [
      "a connection failure is retried after back-off",
      {
        kind: "failure",
        failure: "connection",
      },
      { failureRetries: 1 },
      { action: "retry", delayMs: 500, reason: "connection" },
    ],
    ["a timeout once maxRetries are spent fails", { kind: "failure", failure: "timeout" }, {
      failureRetries: 3,
    }, { action: "fail" }],
    ["a TLS failure fails at once", { kind: "failure", failure: "tls" }, {}, {
      action: "fail",
    }],
    // Gated by the pacer: its one pause for an unavailable server holds the call; no wait here.
    ["503 gated by the pacer waits 0 itself", answer(503), { gated: true }, {
      action: "retry",
      delayMs: 0,
      reason: "retryable_status",
    }],
    [
      "503 with Retry-After gated by the pacer waits 0 itself",
      answer(503, {
        retryAfterMs: 2_000,
      }),
      { gated: true },
      { action: "retry", delayMs: 0, reason: "retryable_status" },
    ],
    [
      "a connection failure gated by the pacer waits 0 itself",
      {
        kind: "failure",
        failure: "connection",
      },
      { gated: true, failureRetries: 1 },
      { action: "retry", delayMs: 0, reason: "connection" },
    ],
    ["503 gated, once maxRetries are spent, is returned", answer(503), {
      gated: true,
      failureRetries: 3,
    }, { action: "return" }],
  ];
  for (const [title, outcome, changes, expected] of table) {
    test(`decideRetry(): ${title}`, () => {
      assert.deepEqual(decideRetry(outcome, { ...fresh, ...changes }, half), expected);
    });
  }
});

describe("deliveryDecision()", () => {
  const init = (httpStatus: number, errorCode = "x") => ({
    httpStatus,
    errorCode,
    requestId: null,
    retryCount: 0,
    body: null,
    headers: {},
  });
  // One row per decision: split, wait, stop, give up.
  const table: [string, unknown, string][] = [
    ["413 splits", apiErrorFor("m", init(413)), "split"],
    ["batch_too_large splits", apiErrorFor("m", init(422, "batch_too_large")), "split"],
    ["429 waits", apiErrorFor("m", init(429)), "wait"],
    ["502 waits", apiErrorFor("m", init(502)), "wait"],
    ["503 waits", apiErrorFor("m", init(503)), "wait"],
    ["504 waits", apiErrorFor("m", init(504)), "wait"],
    [
      "a connection failure waits",
      new VectorVueTransportError("m", {
        kind: "connection",
        attempts: 1,
      }),
      "wait",
    ],
    ["a timeout waits", new VectorVueTransportError("m", { kind: "timeout", attempts: 1 }), "wait"],
    ["TLS stops", new VectorVueTransportError("m", { kind: "tls", attempts: 1 }), "stop"],
    ["401 stops", apiErrorFor("m", init(401)), "stop"],
    ["403 stops", apiErrorFor("m", init(403)), "stop"],
    ["500 gives up on the batch", apiErrorFor("m", init(500)), "give_up"],
    ["422 gives up on the batch", apiErrorFor("m", init(422)), "give_up"],
    ["409 gives up on the batch", apiErrorFor("m", init(409)), "give_up"],
    ["a bug gives up on the batch", new TypeError("boom"), "give_up"],
  ];
  for (const [title, error, expected] of table) {
    test(`deliveryDecision(): ${title}`, () => {
      assert.equal(deliveryDecision(error), expected);
    });
  }

  test("isUnavailableStatus() is the transient list without 429", () => {
    for (const status of [502, 503, 504]) assert.equal(isUnavailableStatus(status), true);
    for (const status of [429, 500, 413, 200]) assert.equal(isUnavailableStatus(status), false);
  });
});
