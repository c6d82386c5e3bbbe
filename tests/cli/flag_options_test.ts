// The flags that set a library option read it through the option's row: the table's default, the
// table's check, every problem at once, in the command line's words.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFlag } from "../../cli/flag_options.ts";
import { emulatorCommand } from "../../cli/emulator.ts";
import { BULK_OPTIONS } from "../../src/option_tables.ts";

const CONCURRENCY_DEFAULT = BULK_OPTIONS.find((row) => row.name === "concurrency")!.default;

test("send --concurrency takes BulkOptions' default and refuses 0 and 17 in the table's words", () => {
  const problems: string[] = [];
  assert.equal(readFlag("concurrency", {}, problems), CONCURRENCY_DEFAULT);
  assert.equal(readFlag("concurrency", { concurrency: 16 }, problems), 16);
  assert.deepEqual(problems, []);
  readFlag("concurrency", { concurrency: 0 }, problems);
  readFlag("concurrency", { concurrency: 17 }, problems);
  assert.deepEqual(problems, [
    "--concurrency must be a whole number from 1 to 16, got 0",
    "--concurrency must be a whole number from 1 to 16, got 17",
  ]);
});

test("emulator's check reports every flag problem at once: --hostname, --port, --rate-limit", async () => {
  const problems = await emulatorCommand.check!({
    flags: { hostname: "", port: 70_000, "rate-limit": "20" },
    positionals: [],
  }, undefined as never);
  assert.deepEqual(problems, [
    '--hostname must be a non-empty string, got ""',
    "--port must be an integer from 0 to 65535, got 70000",
    '--rate-limit must be REQUESTS/SECONDS such as 20/5, got "20"',
  ]);
  assert.deepEqual(
    await emulatorCommand.check!({ flags: { port: 65_535 }, positionals: [] }, undefined as never),
    [],
  );
});
