// A batcher that the process leaves with items still queued says so, once, through the client's
// logger, as the process exits (Deno's `unload`, Node's and Bun's `exit`). The scenarios run in a
// child process: this same file, run with VECTORVUE_BATCHER_EXIT_CHILD set to the scenario.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { VectorVueClient } from "../mod.ts";
import { createVectorVueEmulator } from "../src/testing/mod.ts";

const isDeno = typeof Deno !== "undefined";
const SCENARIO = process.env.VECTORVUE_BATCHER_EXIT_CHILD;

const event = (n: number) => ({
  event_id: `exit-${n}`,
  source_system: "exit-test",
  event_type: "PROCESS_ANOMALY",
  occurred_at: "2026-11-30T12:00:00Z",
  severity: "low",
  asset_ref: "host-1",
  message: `event ${n}`,
});

/** The child: three events into a batcher that flushes only hourly, then one way of leaving. */
async function child(scenario: string): Promise<void> {
  const emulator = createVectorVueEmulator();
  const logger = {
    debug() {},
    info() {},
    warn: (message: string, fields?: unknown) =>
      process.stderr.write(`WARN ${JSON.stringify({ message, fields })}\n`),
    error() {},
  };
  const client = new VectorVueClient({
    ...emulator.defaults,
    fetch: (input, init) => emulator.fetch(new Request(input, init)),
    logger,
  });
  const batcher = client.createBatcher({ kind: "events", flushIntervalMs: 3_600_000 });
  for (let n = 1; n <= 3; n++) await batcher.add(event(n));
  if (scenario === "closed") {
    await batcher.close();
    process.stdout.write(`stored ${emulator.events().length}\n`);
  } else if (scenario === "exit") {
    process.exit(0);
  }
  // "unclosed": nothing left to do; the event loop runs dry and the process exits.
}

function runChild(scenario: string) {
  const file = fileURLToPath(import.meta.url);
  const argv = isDeno ? [Deno.execPath(), "run", "-A", file] : [process.execPath, file];
  const started = Date.now();
  const result = spawnSync(argv[0], argv.slice(1), {
    env: { ...process.env, VECTORVUE_BATCHER_EXIT_CHILD: scenario, NO_COLOR: "1" },
    encoding: "utf8",
    timeout: 60_000,
  });
  const warnings = result.stderr.split("\n").filter((line) => line.startsWith("WARN "))
    .map((line) => JSON.parse(line.slice(5)));
  return { ...result, warnings, elapsedMs: Date.now() - started };
}

if (SCENARIO !== undefined) {
  await child(SCENARIO);
} else {
  describe("a batcher not closed at process exit", () => {
    for (const scenario of ["unclosed", "exit"]) {
      test(`${scenario === "exit" ? "process.exit()" : "the event loop runs dry"}: one warning names the 3 events lost`, () => {
        const run = runChild(scenario);
        assert.equal(run.status, 0, run.stderr);
        assert.equal(run.warnings.length, 1, run.stderr);
        assert.match(
          run.warnings[0].message,
          /^vectorvue batcher: the process exits with 3 events not delivered, which are lost: await batcher\.close\(\) before exiting$/,
        );
        assert.deepEqual(run.warnings[0].fields, { queued: 3, inFlight: 0 });
        // The hour-long flush interval and the exit listener did not keep the process alive.
        assert.ok(run.elapsedMs < 30_000, `${run.elapsedMs} ms`);
      });
    }

    test("closed: the events are delivered and nothing is said", () => {
      const run = runChild("closed");
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /^stored 3$/m);
      assert.deepEqual(run.warnings, []);
    });

    test("the process-level listener is added once for every batcher and removed by close()", {
      skip: isDeno && "Deno's unload listeners cannot be counted",
    }, async () => {
      const emulator = createVectorVueEmulator();
      const client = new VectorVueClient({
        ...emulator.defaults,
        fetch: (input, init) => emulator.fetch(new Request(input, init)),
      });
      const before = process.listenerCount("exit");
      const batchers = Array.from({ length: 12 }, () => client.createBatcher({ kind: "events" }));
      assert.equal(process.listenerCount("exit"), before + 1);
      for (const batcher of batchers) await batcher.close();
      assert.equal(process.listenerCount("exit"), before);
      await client.close();
    });
  });
}
