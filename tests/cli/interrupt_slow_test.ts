// One Ctrl+C through `npx deno task vectorvue send`, as the README runs it: the terminal sends
// SIGINT to the whole process group (npx, deno task and the CLI), and `deno task` forwards its
// own copy to the CLI. One press must count once: the batches in flight finish and the summary
// is printed. Deno only (it runs the task through npx, and waits for the rate limit).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runCli, startCli, until, withTarget, writeEvents } from "./_cli.ts";

const isDeno = typeof Deno !== "undefined";
const runs = (command: string) => {
  try {
    return new Deno.Command(command, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
};
const hasSetsid = isDeno && Deno.build.os !== "windows" && runs("setsid") && runs("npx");
const root = fileURLToPath(new URL("../../", import.meta.url));

describe("Ctrl+C through npx deno task", {
  skip: !isDeno ? "Deno only" : !hasSetsid && "no setsid or npx",
}, () => {
  test("one SIGINT to the process group finishes the batches in flight and prints the summary", async () => {
    // 20 requests per 5 s: 40,000 events in batches of 100 take over a minute.
    await withTarget({ rateLimit: { requests: 20, windowMs: 5_000 } }, async (target, dir) => {
      const input = join(dir, "big.ndjson");
      writeEvents(input, 40_000);
      const env: Record<string, string> = { ...target.env, NO_COLOR: "1" };
      for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "npm_config_cache"]) {
        if (process.env[name] !== undefined) env[name] = process.env[name]!;
      }
      // setsid makes the group a terminal would have: npx leads it, everything below is in it.
      const child = new Deno.Command("setsid", {
        args: [
          "npx",
          "-y",
          "deno@2.9.6",
          "task",
          "vectorvue",
          "send",
          input,
          "--kind",
          "events",
          "--json",
          "-q",
        ],
        cwd: root,
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const output = child.output();
      try {
        // The "after 12 s": past the first window, so the run is paced by 429s and has
        // batches in flight or waiting when the signal comes.
        await until(() => target.emulator.events().length >= 2_500, 60_000);
        // The group's id is setsid's pid (setsid execs npx in a new session).
        Deno.kill(-child.pid, "SIGINT");
      } catch (error) {
        Deno.kill(-child.pid, "SIGKILL");
        await output;
        throw error;
      }
      const run = await output;
      const stdout = new TextDecoder().decode(run.stdout);
      const stderr = new TextDecoder().decode(run.stderr);
      assert.match(stderr, /interrupted: finishing the batches in flight/);
      assert.doesNotMatch(stderr, /interrupted again/);
      const summary = JSON.parse(stdout.trim());
      assert.equal(summary.status, "interrupted", stderr);
      // Every batch sent was answered and counted: what the server stored is what the summary says.
      assert.equal(summary.accepted, target.emulator.events().length);
      assert.ok(summary.accepted >= 2_500 && summary.accepted < 40_000, stdout);
      assert.equal(summary.failed, 0);
      assert.match(summary.checkpoint, /big\.ndjson\.dead-letter\.checkpoint\.json$/);
    });
  });
});

describe("vectorvue send interrupted", { skip: !isDeno && "Deno only" }, () => {
  test("the grace period runs out mid-chunk: the summary agrees with the last progress line", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 2_000);
      // Chunks of 400 (4 batches of 100, one at a time): the first 3 batches are answered, the
      // 4th hangs past the 30 s grace period, so the run ends inside its first chunk.
      target.emulator.inject({ path: /\/batch$/, delayMs: 1, count: 3 });
      target.emulator.inject({ path: /\/batch$/, delayMs: 120_000, count: 1_000 });
      const args = ["send", input, "--kind", "events", "--batch-size", "100", "--concurrency", "1"];
      const run = startCli([...args, "--progress-interval", "1"], { env: target.env });
      await until(() => target.emulator.events().length === 300 && batches(target) === 4);
      run.kill("SIGINT");
      const done = await run.done;
      assert.equal(done.code, 130, done.stderr);
      const last = done.stderr.split("\n").filter((line) => line.startsWith("progress: ")).at(-1);
      assert.match(last!, /accepted 300 rejected 0 failed 0/);
      assert.match(done.stdout, /^interrupted after 300 events/);
      assert.match(done.stdout, /accepted +300\n/);
      assert.match(done.stdout, /failed +0\n/);
      assert.match(done.stdout, /unsettled +100 +\(not confirmed in the grace period/);
      assert.equal(target.emulator.events().length, 300);
      // --resume sends the whole chunk again; the server keeps each event once.
      target.emulator.clearFaults();
      const resumed = await runCli([...args, "--resume", "--json"], { env: target.env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(JSON.parse(resumed.stdout).accepted, 2_000);
      assert.equal(target.emulator.events().length, 2_000);
    });
  });

  test("a second Ctrl+C before the first checkpoint says to start again, not to --resume", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 1_000);
      target.emulator.inject({ path: /\/batch$/, delayMs: 120_000, count: 1_000 });
      const args = ["send", input, "--kind", "events"];
      const run = startCli(args, { env: target.env });
      await until(() => batches(target) >= 1);
      run.kill("SIGINT");
      await until(() => run.output().stderr.includes("interrupted: finishing"));
      // A second press, distinct from the first (copies of one press come within milliseconds).
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      run.kill("SIGINT");
      const done = await run.done;
      assert.equal(done.code, 130, done.stderr);
      assert.match(
        done.stderr,
        /interrupted again: exiting now; nothing was checkpointed yet: run the same command again, without --resume/,
      );
      assert.doesNotMatch(done.stderr, /checkpoint\.json/);
      assert.equal(existsSync(join(dir, "events.ndjson.dead-letter.checkpoint.json")), false);
      // As it says: the same command again, without --resume, goes through.
      target.emulator.clearFaults();
      const again = await runCli(args, { env: target.env });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(target.emulator.events().length, 1_000);
    });
  });
});

function batches(target: { emulator: { requests: readonly { path: string }[] } }): number {
  return target.emulator.requests.filter((request) => request.path.endsWith("/batch")).length;
}
