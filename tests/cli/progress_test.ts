// The progress line: its format (pure functions), how often it is drawn, and what a user sees
// on a real pseudo-terminal (util-linux `script`).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  formatDuration,
  plainLine,
  ProgressRenderer,
  type ProgressState,
  RateMeter,
  terminalLine,
} from "../../cli/progress.ts";
import { startCli, withTarget, writeEvents } from "./_cli.ts";

const STATE: ProgressState = {
  done: 12_400,
  total: 30_000,
  estimated: true,
  accepted: 12_390,
  rejected: 8,
  failed: 0,
  malformed: 2,
  rate: 2_310,
};

describe("progress line", () => {
  test("terminal line: bar, done/~total, rate, counts, ETA; cut to the terminal width", () => {
    assert.equal(
      terminalLine(STATE, 0, 200),
      "[########............] 12,400/~30,000  2,310/s  ETA 8 s  accepted 12,390 rejected 8 failed 0 malformed 2",
    );
    assert.equal(terminalLine(STATE, 0, 40).length, 39);
  });

  test("a rate-limit pause replaces the ETA with the wait until the next slot, and says why", () => {
    const paused = { ...STATE, paused: { reason: "rate_limited", untilMs: 12_000 } };
    assert.match(terminalLine(paused, 0, 100), /\/s {2}rate limit, next slot in 12 s {2}accepted /);
    assert.doesNotMatch(terminalLine(paused, 0, 200), /ETA/);
    assert.match(plainLine(paused, 0), /, rate limit, next slot in 12 s$/);
    const shared = { ...STATE, paused: { reason: "rate_limited", untilMs: 4_000, shared: true } };
    assert.match(
      plainLine(shared, 0),
      /, rate limit: shared with others on this address, next slot in 4 s$/,
    );
    const soon = { ...STATE, paused: { reason: "rate_limited", untilMs: 300 } };
    assert.match(plainLine(soon, 0), /next slot in 0 s$/, "no 1 s floor");
  });

  test("the ETA comes from the average rate of the run, so a pause does not make it jump to hours", () => {
    const stalled = { ...STATE, rate: 1, averageRate: 2_310 };
    assert.match(terminalLine(stalled, 0, 200), /ETA 8 s/);
  });

  test("plain lines add the 429 answers and the rate-limit waits so far", () => {
    assert.equal(
      plainLine({ ...STATE, rateLimited: 3, rateLimitWaitMs: 61_000 }, 0),
      "progress: 12,400/~30,000 items, 2,310/s, accepted 12,390 rejected 8 failed 0 malformed 2, " +
        "429 answers 3, waited for rate limit 1:01, ETA 8 s",
    );
  });

  test("plain line for logs", () => {
    assert.equal(
      plainLine({ ...STATE, total: undefined }, 0),
      "progress: 12,400 items, 2,310/s, accepted 12,390 rejected 8 failed 0 malformed 2",
    );
  });

  test("durations", () => {
    assert.deepEqual([formatDuration(800), formatDuration(65_000), formatDuration(3_723_000)], [
      "1 s",
      "1:05",
      "1:02:03",
    ]);
  });

  test("rate over the recent window", () => {
    const meter = new RateMeter(10_000);
    assert.equal(meter.sample(0, 0), 0);
    assert.equal(meter.sample(1_000, 1_000), 1_000);
    assert.equal(meter.sample(3_000, 2_000), 1_500);
    meter.sample(3_000, 20_000);
    assert.equal(meter.sample(3_000, 21_000), 0);
  });

  test("a terminal is redrawn at most every 100 ms; otherwise a line every interval", () => {
    let now = 0;
    const tty: string[] = [];
    const terminal = new ProgressRenderer({
      write: (text) => tty.push(text),
      terminal: true,
      columns: () => 120,
      intervalMs: 5_000,
      now: () => now,
    });
    for (now = 0; now < 1_000; now += 10) terminal.update(STATE);
    assert.equal(tty.length, 10);
    assert.ok(tty.every((text) => text.startsWith("\r\x1b[2K")));
    const plain: string[] = [];
    const log = new ProgressRenderer({
      write: (text) => plain.push(text),
      terminal: false,
      columns: () => 120,
      intervalMs: 5_000,
      now: () => now,
    });
    for (now = 0; now < 20_000; now += 100) log.update(STATE);
    assert.equal(plain.length, 4);
    assert.ok(plain.every((text) => text.startsWith("progress: ") && text.endsWith("\n")));
  });

  test("off a terminal the closing forced line is not a repeat of the last line printed", () => {
    let now = 0;
    const plain: string[] = [];
    const log = new ProgressRenderer({
      write: (text) => plain.push(text),
      terminal: false,
      columns: () => 120,
      intervalMs: 5_000,
      now: () => now,
    });
    log.update(STATE);
    now = 5_000;
    log.update({ ...STATE, done: STATE.done + 10, accepted: STATE.accepted + 10 });
    now = 5_050; // the run ends: the summary's forced line, with the same counts
    log.update({ ...STATE, done: STATE.done + 10, accepted: STATE.accepted + 10, rate: 1 }, true);
    assert.equal(plain.length, 2);
    // A forced line with news is printed, however soon.
    log.update({ ...STATE, done: STATE.done + 11, accepted: STATE.accepted + 11 }, true);
    assert.equal(plain.length, 3);
  });
});

const hasScript = existsSync("/usr/bin/script");

describe("progress on a pseudo-terminal", { skip: !hasScript && "no util-linux script" }, () => {
  test("send on a terminal redraws one line with a bar and a rate", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 2_000);
      // Slow enough for several redraws.
      target.emulator.inject({ path: /\/batch$/, delayMs: 60, count: 1_000_000 });
      const quote = (arg: string) => `'${arg.replaceAll("'", "'\\''")}'`;
      const run = await startCli(["send", input, "--kind", "events", "--concurrency", "1"], {
        env: { ...target.env, COLUMNS: "150" },
        wrap: (argv) => ["script", "-qfec", argv.map(quote).join(" "), "/dev/null"],
      }).done;
      assert.equal(run.code, 0, run.stdout);
      const redraws = run.stdout.split("\r\x1b[2K").slice(1);
      assert.ok(redraws.length >= 3, `${redraws.length} redraws`);
      assert.ok(
        redraws.some((line) =>
          /^\[#*\.*\] [\d,]+\/~?[\d,]+ {2}[1-9][\d,]*\/s {2}(ETA [\d:]+( s)? {2})?accepted /.test(
            line,
          )
        ),
        JSON.stringify(redraws.slice(0, 4)),
      );
      assert.doesNotMatch(run.stdout, /^progress: /m);
      assert.match(run.stdout, /sent 2,000 events/);
    });
  });
});
