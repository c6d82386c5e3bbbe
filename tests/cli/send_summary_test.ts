import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type RunTally, summarise } from "../../cli/send_summary.ts";

const TALLY: RunTally = {
  kind: "events",
  input: "events.ndjson",
  counts: { accepted: 90, rejected: 3, failed: 2, malformed: 1 },
  inFlightAccepted: 0,
  unsettled: 0,
  elapsedMs: 1_500,
  requests: 4,
  rateLimited: 1,
  rateLimitWaitMs: 250,
  rejectedRequestIds: ["req-1"],
  deadLetter: { path: "events.ndjson.dead-letter.ndjson", bytes: 600 },
  checkpoint: "events.ndjson.dead-letter.checkpoint.json",
};

describe("summarise()", () => {
  test("a completed run: items settled, sent without the malformed, no checkpoint", () => {
    assert.deepEqual(summarise("completed", TALLY), {
      status: "completed",
      kind: "events",
      input: "events.ndjson",
      items: 96,
      sent: 95,
      accepted: 90,
      rejected: 3,
      failed: 2,
      malformed: 1,
      unsettled: 0,
      elapsedMs: 1_500,
      requests: 4,
      rateLimited: 1,
      rateLimitWaitMs: 250,
      rejectedRequestIds: ["req-1"],
      deadLetter: { path: "events.ndjson.dead-letter.ndjson", records: 6 },
      checkpoint: null,
    });
  });

  test("an interrupted run counts what the server confirmed of the chunk cut short", () => {
    const summary = summarise("interrupted", { ...TALLY, inFlightAccepted: 7, unsettled: 3 });
    assert.equal(summary.items, 103);
    assert.equal(summary.accepted, 97);
    assert.equal(summary.sent, 102);
    assert.equal(summary.unsettled, 3);
    assert.equal(summary.checkpoint, "events.ndjson.dead-letter.checkpoint.json");
  });

  test("a stopped run names its error; standard input has no checkpoint; no dead letters, no file", () => {
    const summary = summarise(
      "stopped",
      { ...TALLY, checkpoint: undefined, deadLetter: { path: "x", bytes: 0 } },
      "nothing delivered: server unavailable",
    );
    assert.equal(summary.error, "nothing delivered: server unavailable");
    assert.equal(summary.checkpoint, null);
    assert.equal(summary.deadLetter, null);
    assert.equal("error" in summarise("stopped", TALLY), false);
  });
});
