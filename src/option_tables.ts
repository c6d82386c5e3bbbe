/**
 * The options tables of everything but the client (whose table is `options.ts`): per-call
 * options, bulk sends, the batcher and its spool. Their defaults live here and nowhere else; a
 * test compares them with the `@default` tags of the option types.
 *
 * @module
 */

import { VectorVueConfigError } from "./errors.ts";
import { VECTORVUE_OPTIONS } from "./options.ts";
import {
  callVoice,
  defaultsOf,
  type OptionRow,
  readOptions,
  show,
  type Voice,
} from "./option_rules.ts";

/** A client option's rule, without its default (per call, the client's own value applies). */
function clientRule(name: "timeoutMs" | "maxRetries"): OptionRow {
  const row = VECTORVUE_OPTIONS.find((option) => option.name === name)!;
  return { name, rule: row.rule };
}

/** The wording sizes and counts of bulk sends and batchers have always had. */
const WHOLE = "a positive whole number";

/** Options every method call takes (`CallOptions`, `SendEventOptions`). */
export const CALL_OPTIONS: readonly OptionRow[] = Object.freeze([
  { name: "signal", rule: "signal" },
  clientRule("timeoutMs"),
  clientRule("maxRetries"),
  // A string for sendEvent, checked there; a function for bulk sends and batchers.
  { name: "idempotencyKey", rule: "any" },
]);

/** Default cap of one batch body: nginx's default `client_max_body_size` is 1 MiB. */
const MAX_BATCH_BYTES = 1024 * 1024;
/** Default time a batch keeps being retried through transient failures: 10 minutes. */
const DELIVERY_BUDGET_MS = 10 * 60_000;

/** `BulkOptions` of `sendEvents`/`sendFindings`. */
export const BULK_OPTIONS: readonly OptionRow[] = Object.freeze([
  { name: "concurrency", rule: "positive-integer", words: WHOLE, default: 2 },
  { name: "maxBatchBytes", rule: "positive-integer", words: WHOLE, default: MAX_BATCH_BYTES },
  { name: "signal", rule: "signal" },
  clientRule("timeoutMs"),
  clientRule("maxRetries"),
  { name: "deliveryBudgetMs", rule: "positive", default: DELIVERY_BUDGET_MS },
  { name: "idempotencyKey", rule: "function" },
  { name: "onProgress", rule: "function" },
]);

/** `BatcherOptions` of `createBatcher()`; `maxBatchSize` defaults to the client's. */
export const BATCHER_OPTIONS: readonly OptionRow[] = Object.freeze([
  { name: "kind", rule: "enum", values: ["events", "findings"], required: true },
  { name: "maxBatchSize", rule: "positive-integer", words: WHOLE },
  { name: "maxBatchBytes", rule: "positive-integer", words: WHOLE, default: MAX_BATCH_BYTES },
  { name: "flushIntervalMs", rule: "positive-integer", words: WHOLE, default: 1000 },
  { name: "maxQueueSize", rule: "positive-integer", words: WHOLE, default: 10_000 },
  {
    name: "maxQueueBytes",
    rule: "positive-integer",
    words: WHOLE,
    default: 64 * 1024 * 1024,
  },
  { name: "deliveryBudgetMs", rule: "positive", default: DELIVERY_BUDGET_MS },
  { name: "idempotencyKey", rule: "function" },
  { name: "concurrency", rule: "positive-integer", words: WHOLE, default: 2 },
  { name: "onDeadLetter", rule: "function" },
  { name: "onRejected", rule: "function" },
  // Read by SPOOL_OPTIONS, its problems named `spool.…`.
  { name: "spool", rule: "object" },
]);

/** Smallest `spool.maxBytes` accepted: 64 KiB. */
const MIN_SPOOL_MAX_BYTES = 64 * 1024;

/** `SpoolOptions` of `createBatcher({ spool })`. */
export const SPOOL_OPTIONS: readonly OptionRow[] = Object.freeze([
  { name: "dir", rule: "path", required: true },
  {
    name: "maxBytes",
    rule: "whole",
    min: MIN_SPOOL_MAX_BYTES,
    words: `a whole number of at least ${MIN_SPOOL_MAX_BYTES}`,
    default: 256 * 1024 * 1024,
  },
]);

/** Default of `spool.maxBytes` (from the table): 256 MiB. */
export const DEFAULT_SPOOL_MAX_BYTES = defaultsOf(SPOOL_OPTIONS).maxBytes as number;

/** The spool's voice (Deno std's wording, which it has always had). */
const SPOOL_VOICE: Voice = {
  kind: "spool option",
  quote: "'",
  lead: ": current value is ",
  path: "spool.",
};

/** A method's options object, or the one problem that it is none. */
export function mustBeObject(method: string, options: unknown): asserts options is object {
  if (options === null || typeof options !== "object") {
    throw new VectorVueConfigError([
      `${method} options must be an object, got ${options === null ? "null" : typeof options}`,
    ]);
  }
}

/** The values of an options object by its table, or one error listing every problem. */
function valuesOrThrow(
  options: object,
  rows: readonly OptionRow[],
  voice: Voice,
  fallbacks?: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const { values, problems } = readOptions(options, rows, voice, fallbacks);
  if (problems.length > 0) throw new VectorVueConfigError(problems);
  return values;
}

/** Options of a bulk send, defaults applied; throws every problem at once. */
export function bulkOptions(method: string, options: object) {
  mustBeObject(method, options);
  const values = valuesOrThrow(options, BULK_OPTIONS, callVoice(method));
  return values as { concurrency: number; maxBatchBytes: number; deliveryBudgetMs: number };
}

/** Options of a batcher, defaults applied (`maxBatchSize`: the client's); throws every problem. */
export function batcherOptions(options: object, maxBatchSize: number) {
  // No options at all is a batcher without a kind, as it always was.
  const given = options ?? {};
  mustBeObject("createBatcher", given);
  const voice = callVoice("createBatcher");
  const { values, problems } = readOptions(given, BATCHER_OPTIONS, voice, { maxBatchSize });
  const spool = (given as { spool?: unknown }).spool;
  if (spool !== undefined) problems.push(...spoolOptionProblems(spool));
  if (problems.length > 0) throw new VectorVueConfigError(problems);
  return values as {
    maxBatchSize: number;
    maxBatchBytes: number;
    flushIntervalMs: number;
    maxQueueSize: number;
    maxQueueBytes: number;
    deliveryBudgetMs: number;
    concurrency: number;
  };
}

/** Every problem with spool options, in the spool's words. */
export function spoolOptionProblems(options: unknown): string[] {
  if (typeof options !== "object" || options === null) {
    return ["spool must be an object { dir, maxBytes? }"];
  }
  return readOptions(options, SPOOL_OPTIONS, SPOOL_VOICE).problems;
}

/** Longest `origin.source` of `batcher.add()`, in bytes of UTF-8 (Linux's PATH_MAX). */
const MAX_ORIGIN_SOURCE_BYTES = 4096;

/** `AddOptions` of `batcher.add()`. */
export const ADD_OPTIONS: readonly OptionRow[] = Object.freeze([
  // Read by ORIGIN_OPTIONS, its problems named `origin.…`.
  { name: "origin", rule: "object" },
]);

/** `ItemOrigin`, the `origin` of `batcher.add()`. */
export const ORIGIN_OPTIONS: readonly OptionRow[] = Object.freeze([
  { name: "source", rule: "text", required: true },
  { name: "position", rule: "whole", words: "a whole number (0 or more)", required: true },
]);

/**
 * The origin of `batcher.add(item, options)` (a copy), or undefined; throws one
 * `VectorVueConfigError` with every problem. A well-formed one is checked without a table pass
 * (this runs once per item); anything else goes through the tables for their messages.
 */
export function addOrigin(options: unknown): { source: string; position: number } | undefined {
  if (options === undefined) return undefined;
  const origin = (options as { origin?: { source?: unknown; position?: unknown } })?.origin;
  const { source, position } = origin ?? {};
  if (
    typeof source === "string" && source !== "" && Number.isSafeInteger(position) &&
    (position as number) >= 0 && originSourceFits(source) &&
    Object.keys(options as object).length === 1 && Object.keys(origin!).length === 2
  ) {
    return { source, position: position as number };
  }
  mustBeObject("add", options);
  const voice = callVoice("add");
  const { problems } = readOptions(options, ADD_OPTIONS, voice);
  if (origin !== undefined) {
    if (typeof origin !== "object" || origin === null) {
      problems.push(`add: origin must be an object { source, position }, got ${show(origin)}`);
    } else {
      problems.push(...readOptions(origin, ORIGIN_OPTIONS, { ...voice, path: "origin." }).problems);
      if (typeof source === "string" && !originSourceFits(source)) {
        problems.push(
          `add: origin.source must be at most ${MAX_ORIGIN_SOURCE_BYTES} bytes of UTF-8`,
        );
      }
    }
  }
  if (problems.length > 0) throw new VectorVueConfigError(problems);
  // Valid, but not a plain object of its own two fields (a class with getters, say).
  return origin === undefined
    ? undefined
    : { source: source as string, position: position as number };
}

function originSourceFits(source: string): boolean {
  // Three bytes of UTF-8 at most per UTF-16 unit: a short one fits without counting.
  return source.length * 3 <= MAX_ORIGIN_SOURCE_BYTES ||
    new TextEncoder().encode(source).length <= MAX_ORIGIN_SOURCE_BYTES;
}
