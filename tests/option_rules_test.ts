// The one way options are read (src/option_rules.ts): every problem at once, unknown names with a
// did-you-mean, defaults and fallbacks, and the message shape in each table's voice.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type OptionRow, readOptions, scalarProblem } from "../src/option_rules.ts";
import { batcherOptions, bulkOptions } from "../src/option_tables.ts";

const ROWS: readonly OptionRow[] = [
  { name: "kind", rule: "enum", values: ["a", "b"], required: true },
  { name: "size", rule: "positive-integer", default: 10, max: 100 },
  { name: "waitMs", rule: "non-negative", default: 500 },
  { name: "secret", rule: "text", secret: true },
  { name: "bytes", rule: "whole", min: 64, words: "a whole number of at least 64" },
  { name: "onDone", rule: "function" },
  { name: "signal", rule: "signal" },
];

test("readOptions() reports every problem at once: unknown names first, then rows in order", () => {
  const { problems } = readOptions(
    { sise: 1, colour: "red", size: 0, waitMs: -1, secret: "", signal: "no", onDone: 5 },
    ROWS,
  );
  assert.deepEqual(problems, [
    'unknown option "sise" (did you mean "size"?)',
    'unknown option "colour"',
    'kind must be "a" or "b", got undefined',
    "size must be a positive integer, got 0",
    "waitMs must be a non-negative number, got -1",
    "secret must be a non-empty string",
    "onDone must be a function, got 5",
    "signal must be an AbortSignal",
  ]);
});

test("readOptions() applies a row's default, or a fallback, and keeps what was given", () => {
  assert.deepEqual(readOptions({ kind: "a" }, ROWS).values, {
    kind: "a",
    size: 10,
    waitMs: 500,
    secret: undefined,
    bytes: undefined,
    onDone: undefined,
    signal: undefined,
  });
  const read = readOptions({ kind: "b", waitMs: 0, size: -3 }, ROWS, undefined, { size: 7 });
  assert.equal(read.values.waitMs, 0, "0 is a value, not a missing one");
  assert.equal(read.values.size, 7, "a value with a problem takes the fallback");
  assert.equal(readOptions({ kind: "b", size: 5 }, ROWS, undefined, { size: 7 }).values.size, 5);
});

test("readOptions() speaks in the table's voice: quotes, lead, prefix and path", () => {
  const spool = { kind: "spool option", quote: "'", lead: ": current value is ", path: "spool." };
  assert.deepEqual(readOptions({ kind: "a", bytes: 10, byts: 1 }, ROWS, spool).problems, [
    "unknown spool option 'byts' (did you mean 'bytes'?)",
    "spool.bytes must be a whole number of at least 64: current value is 10",
  ]);
  const emulator = { kind: "option", quote: "'", lead: ": current value is ", quoteSubject: true };
  assert.deepEqual(readOptions({ kind: "c" }, ROWS, emulator).problems, [
    `'kind' must be "a" or "b": current value is "c"`,
  ]);
  const call = { kind: "option", quote: '"', lead: ", got ", prefix: "sendEvents: " };
  assert.deepEqual(readOptions({ kind: "a", size: 101 }, ROWS, call).problems, [
    "sendEvents: size must be at most 100 (the server's hard limit), got 101",
  ]);
});

test("scalarProblem() leaves structured rules to their own checks and undefined alone", () => {
  assert.equal(scalarProblem({ name: "baseUrl", rule: "url" }, 5), undefined);
  assert.equal(scalarProblem({ name: "size", rule: "positive-integer" }, undefined), undefined);
  assert.equal(
    scalarProblem({ name: "size", rule: "positive-integer" }, 2.5),
    "must be a positive integer",
  );
  assert.equal(scalarProblem({ name: "n", rule: "integer", min: 1 }, 0), "must be an integer >= 1");
  assert.equal(scalarProblem({ name: "n", rule: "integer" }, 1e300), undefined);
  assert.equal(scalarProblem({ name: "n", rule: "whole" }, 2 ** 53), "must be a whole number");
});

test("bulk and batcher options: not an object is one problem; no batcher options is no kind", () => {
  assert.throws(() => bulkOptions("sendEvents", null as never), {
    name: "VectorVueConfigError",
    message: "Invalid VectorVue configuration: sendEvents options must be an object, got null",
  });
  assert.throws(() => batcherOptions(undefined as never, 100), {
    name: "VectorVueConfigError",
    message:
      'Invalid VectorVue configuration: createBatcher: kind must be "events" or "findings", got undefined',
  });
  assert.deepEqual(batcherOptions({ kind: "events" }, 42), {
    kind: "events",
    maxBatchSize: 42,
    maxBatchBytes: 1024 * 1024,
    flushIntervalMs: 1000,
    maxQueueSize: 10_000,
    maxQueueBytes: 64 * 1024 * 1024,
    deliveryBudgetMs: 600_000,
    idempotencyKey: undefined,
    concurrency: 2,
    onDeadLetter: undefined,
    onRejected: undefined,
    spool: undefined,
  });
});
