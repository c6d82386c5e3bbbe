// One Ctrl+C through `npx deno task vectorvue send`, as the README runs it: the terminal sends
// SIGINT to the whole process group (npx, deno task and the CLI), and `deno task` forwards its
// own copy to the CLI. One press must count once: the batches in flight finish and the summary
// is printed. Deno only (it runs the task through npx, and waits for the rate limit).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { until, withTarget, writeEvents } from "./_cli.ts";

const isDeno = typeof Deno !== "undefined";
const hasSetsid = isDeno && Deno.build.os !== "windows" &&
  new Deno.Command("setsid", { args: ["--version"], stdout: "null", stderr: "null" })
    .outputSync().success;
const root = fileURLToPath(new URL("../../", import.meta.url));

describe("Ctrl+C through npx deno task", {
  skip: !isDeno ? "Deno only" : !hasSetsid && "no setsid",
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
