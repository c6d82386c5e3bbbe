// `vectorvue ship` under the server's rate limit (the emulator's shrunk window: 20 requests per
// 5 s, the real 240 per 60 s's average), CI-sized: a burst above the limit, then a writer below
// it. Nothing lost or stored twice; the lag falls under one window once the writer slows; the log
// says "paused for the rate limit" once, not once per 429. And with tokens that expire every 2 s,
// no item fails.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { until, withTarget } from "./_cli.ts";
import { eventLines, keysById, metricsOf, startShip } from "./_ship.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("vectorvue ship and the server's limits", () => {
  test("20 per 5 s: a burst then a slower writer; all stored once, lag back under a window", async () => {
    await withTarget({ rateLimit: { requests: 20, windowMs: 5_000 } }, async (target, dir) => {
      const log = join(dir, "app.ndjson");
      appendFileSync(log, eventLines(1, 2_500, "rate"));
      const args = ["--kind", "events", "--state-dir", join(dir, "state"), "--metrics-port", "0"];
      const shipper = startShip([...args, log], target.env);
      try {
        await shipper.endInput();
        await until(() => shipper.logs().some((line) => line.event === "started"), 30_000);
        const base = String(shipper.logs().find((line) => line.event === "started")!.metrics);
        // Below the limit (400 items/s at 100 per batch): 100 a second for 8 s.
        let written = 2_500;
        for (let second = 0; second < 8; second++) {
          for (let tick = 0; tick < 5; tick++) {
            appendFileSync(log, eventLines(written + 1, written + 20, "rate"));
            written += 20;
            await pause(200);
          }
        }
        // The writer has been below the limit for 8 s: the shipper is less than a window behind,
        // both in reading the file and in delivering what it took.
        const metrics = await metricsOf(base);
        const lag = metrics.get(
          `vectorvue_ship_lag_seconds{path="${log}",source="${sourceOf(metrics)}"}`,
        );
        assert.ok(lag !== undefined && lag < 5, `file lag ${lag} s`);
        const behind = metrics.get("vectorvue_ship_spool_oldest_age_seconds") ?? Infinity;
        assert.ok(behind < 5, `oldest line not delivered: ${behind} s`);
        await until(() => target.emulator.events().length === written, 60_000);
        assert.ok((metrics.get("vectorvue_ship_rate_limited_total") ?? 0) > 0, "the limit was hit");
        const twice = [...keysById(target.emulator.requests)].filter(([, keys]) => keys.size !== 1);
        assert.deepEqual(twice, []);
        const paused = shipper.logs().filter((line) => line.event === "rate_limited").length;
        assert.ok(paused >= 1 && paused <= 2, `${paused} "rate_limited" lines`);
        shipper.kill("SIGTERM");
        assert.equal((await shipper.done).code, 0);
      } finally {
        shipper.kill("SIGKILL");
        await shipper.done;
      }
    });
  });

  test("tokens that expire every 2 s: every line delivered, none failed", async () => {
    await withTarget({ rateLimit: false, tokenTtlSeconds: 2 }, async (target, dir) => {
      const state = join(dir, "state");
      const shipper = startShip(
        ["-", "--kind", "events", "--state-dir", state, "--json"],
        target.env,
      );
      try {
        let written = 0;
        // 6 s of lines: three tokens' lifetimes.
        for (let tick = 0; tick < 30; tick++) {
          await shipper.write(eventLines(written + 1, written + 50, "token"));
          written += 50;
          await pause(200);
        }
        await shipper.endInput();
        const end = await shipper.done;
        assert.equal(end.code, 0, end.stderr);
        const summary = JSON.parse(end.stdout);
        assert.equal(summary.accepted, written);
        assert.deepEqual(summary.deadLettered, { malformed: 0, rejected: 0, failed: 0 });
        assert.equal(target.emulator.events().length, written);
        const logins = target.emulator.requests.filter((r) => r.path.endsWith("/auth/login"));
        assert.ok(logins.length >= 3, `${logins.length} logins`);
        const dead = join(state, "dead-letter.ndjson");
        assert.equal(existsSync(dead) ? readFileSync(dead, "utf8") : "", "");
      } finally {
        shipper.kill("SIGKILL");
        await shipper.done;
      }
    });
  });
});

/** The source label of the one followed file in `metrics`. */
function sourceOf(metrics: Map<string, number>): string {
  const key = [...metrics.keys()].find((name) => name.startsWith("vectorvue_ship_lag_seconds{"));
  return /source="([^"]*)"/.exec(key ?? "")?.[1] ?? "";
}
