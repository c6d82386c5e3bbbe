// `vectorvue send` against a server with the real average rate limit in a 5 s window: nothing
// fails, and the progress says when it waits for the limit. Deno only: 15 s of wall time, and
// the same client code runs under Node in the other send tests.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, withTarget, writeEvents } from "./_cli.ts";

describe("vectorvue send under the rate limit", { skip: typeof Deno === "undefined" }, () => {
  test("20,000 events at 20 requests per 5 s: 0 failed, waits shown in the progress", async () => {
    await withTarget({ rateLimit: { requests: 20, windowMs: 5_000 } }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 20_000);
      const started = Date.now();
      const run = await runCli(
        [
          "send",
          input,
          "--kind",
          "events",
          "--batch-size",
          "250",
          "--json",
          "--progress-interval",
          "1",
        ],
        { env: target.env },
      );
      const elapsed = Date.now() - started;
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.accepted, 20_000);
      assert.equal(summary.failed, 0);
      assert.equal(target.emulator.events().length, 20_000);
      // 81 requests (login included): 20 at once, then 20 per 5 s: about 15 s at best.
      assert.ok(elapsed >= 14_000, `${elapsed} ms is faster than the limit allows`);
      assert.match(run.stderr, /^progress: .*, 429 answers [1-9]\d*, waited for rate limit \d+ s/m);
      assert.ok(summary.rateLimited >= 1);
      assert.ok(summary.rateLimitWaitMs > 0);
    });
  });
});
