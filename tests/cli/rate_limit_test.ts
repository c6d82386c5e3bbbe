// `vectorvue send` against a server with the real average rate limit in a 5 s window: nothing
// fails, and the progress says when it waits for the limit. Deno only: 15 s of wall time, and
// the same client code runs under Node in the other send tests.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runCli, startCli, withTarget, writeEvents } from "./_cli.ts";

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

  test("killed with SIGKILL after 6 s and resumed at once: the resumed run shares the window the killed one still holds, within 1.3 x ideal + 3 s", async () => {
    await withTarget({ rateLimit: { requests: 20, windowMs: 5_000 } }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 16_000);
      const args = ["send", input, "--kind", "events", "--batch-size", "250", "--json"];
      const first = startCli([...args, "--progress-interval", "1"], { env: target.env });
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      first.kill("SIGKILL");
      await first.done;
      const storedBefore = target.emulator.events().length;
      // The run's counts so far (the summary adds the resumed run's to them).
      const saved = JSON.parse(readFileSync(`${input}.dead-letter.checkpoint.json`, "utf8"));
      assert.ok(storedBefore > 0 && storedBefore < 16_000, `${storedBefore} stored when killed`);
      const started = Date.now();
      const resumed = await runCli([...args, "--resume", "--progress-interval", "1"], {
        env: target.env,
      });
      const elapsed = Date.now() - started;
      assert.equal(resumed.code, 0, resumed.stderr);
      const summary = JSON.parse(resumed.stdout);
      assert.equal(summary.failed, 0);
      const stored = new Set(target.emulator.events().map((e) => e.event_id));
      assert.equal(stored.size, 16_000);
      // The ideal: the killed run's full window (20 requests still counting) plus the requests
      // the resumed run got granted, at 20 per 5 s.
      const sent = summary.requests - saved.requests;
      const refused = summary.rateLimited - saved.rateLimited;
      const granted = sent - refused;
      const ideal = Math.floor((20 + granted - 1) / 20) * 5_000;
      assert.ok(
        elapsed <= 1.3 * ideal + 3_000,
        `${elapsed} ms for ${granted} requests after the killed run (ideal ${ideal} ms)`,
      );
      assert.ok(refused <= 0.25 * sent, `${refused} of ${sent} answered 429`);
      // What the progress said while it waited: the next slot, not a clamped second or 0/s.
      assert.match(resumed.stderr, /next slot in \d+ s/);
      console.log(
        `resumed after SIGKILL: ${(elapsed / 1000).toFixed(1)} s for ${granted} requests ` +
          `(ideal ${ideal / 1000} s, bound ${(1.3 * ideal + 3_000) / 1000} s), ` +
          `${sent} sent, ${refused} answered 429`,
      );
    });
  });
});
