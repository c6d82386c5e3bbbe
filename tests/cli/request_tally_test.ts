import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RequestTally } from "../../cli/request_tally.ts";

describe("RequestTally", () => {
  test("counts attempts and 429s from the client's request records", () => {
    const tally = new RequestTally(() => 0);
    tally.debug("vectorvue request", { attempt: 1, httpStatus: 202, outcome: "ok" });
    tally.warn("vectorvue request retrying", { attempt: 1, httpStatus: 429 });
    tally.warn("vectorvue request retrying", { attempt: 2, httpStatus: null, outcome: "timeout" });
    tally.error("vectorvue request failed", { attempt: 3, httpStatus: null, outcome: "not_sent" });
    tally.info("vectorvue login", { endpoint: "/api/v1/client/auth/login" });
    assert.equal(tally.requests, 3);
    assert.equal(tally.rateLimited, 1);
  });

  test("a rate-limit pause is shown until it ends; overlapping pauses count once", () => {
    let now = 1_000_000;
    const tally = new RequestTally(() => now);
    const at = (ms: number) => new Date(ms).toISOString();
    tally.info("vectorvue rate limit", { reason: "rate_limited", resumeAt: at(now + 5_000) });
    tally.info("vectorvue rate limit", { reason: "rate_limited", resumeAt: at(now + 8_000) });
    assert.deepEqual(tally.paused, { reason: "rate_limited", untilMs: now + 8_000 });
    assert.equal(tally.rateLimitWaitMs, 8_000);
    now += 8_001;
    assert.equal(tally.paused, undefined);
  });
});
