// The random-kill soak (`scripts/spool_kill_soak.ts`, `deno task spool-soak`) at CI size: five
// SIGKILLs of a spooled producer at seeded moments (seed 48 draws one in full flow, one during
// recovery, one while the backlog is sent, one at start-up, one more in full flow), then a final
// producer drains the spool. Deno only (a `_slow_test`): the script drives its producers with
// Deno's subprocess API; the full run (50 kills) is recorded in docs/durability.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../../scripts/spool_kill_soak.ts", import.meta.url));

test("five random SIGKILLs of a spooled producer: every acknowledged event stored exactly once, nothing left in the directory", async () => {
  const args = ["run", "-A", SCRIPT, "--kills", "5", "--seed", "48", "--final-events", "500"];
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
    // Bounded: each producer's run is bounded by the script (120 s); the whole, here.
    execFile(
      process.execPath,
      [...args, "--json"],
      { timeout: 180_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
  const summary = JSON.parse(stdout.trim().split("\n").at(-1)!);
  assert.deepEqual(summary.failed, [], stdout);
  assert.equal(code, 0, stdout);
  assert.equal(summary.kills, 5);
  assert.equal(summary.lost, 0);
  assert.equal(summary.storedTwice, 0);
  // The killed producers acknowledged events too, not only the final one.
  assert.ok(summary.acknowledged > 500 + 1_000, `${summary.acknowledged} acknowledged`);
  assert.equal(summary.stored, summary.acknowledged + summary.storedUnacknowledged);
});
