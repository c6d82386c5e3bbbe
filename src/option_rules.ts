/**
 * The one way options are read: a table of rows (name, rule, default, bounds), checked in one
 * pass that reports every problem at once (unknown names with a did-you-mean, then each value
 * against its rule) and applies the defaults. The client, its per-call options, bulk sends, the
 * batcher, the spool and the emulator all read their options through it; their tables are in
 * `options.ts` (the client) and `option_tables.ts` (the rest).
 *
 * Messages have one shape: `<subject> must be <requirement><lead><value>`, and
 * `unknown <kind> <name>` with `(did you mean <name>?)` when one is close. The lead before the
 * value (`, got ` or `: current value is `) and the quote around names are the table's
 * {@linkcode Voice}: the spool and the emulator keep the wording they had (Deno std's).
 *
 * @module
 */

import type { OptionRule } from "./options.ts";
import { didYouMean } from "./did_you_mean.ts";

/** How a value is checked: the client's rules and a few more for the other tables. */
export type CheckRule =
  | OptionRule
  /** A whole number (safe integer) of at least `min` (0 when not given). */
  | "whole"
  /** An integer of at least `min`, when given. */
  | "integer"
  /** A non-blank string naming a directory. */
  | "path"
  /** Any string. */
  | "string"
  /** One of `values`. */
  | "enum"
  | "signal"
  /** An object, read by a table of its own. */
  | "object"
  /** Anything: checked where it is used, with its own message. */
  | "any";

/** One row of an options table. */
export interface OptionRow {
  readonly name: string;
  readonly rule: CheckRule;
  /** The value used when it is not given; absent when there is none. */
  readonly default?: unknown;
  /** Smallest value allowed, for `whole` and `integer`. */
  readonly min?: number;
  /** Largest value allowed, for numbers (a problem of its own: the server's hard limit). */
  readonly max?: number;
  /** A secret: its value is never shown. */
  readonly secret?: boolean;
  /** The requirement where the rule's own words are not what this table has always said. */
  readonly words?: string;
  /** The allowed values, for `enum`. */
  readonly values?: readonly string[];
  /** Must be given (`undefined` is a problem too). */
  readonly required?: boolean;
}

/** How a table's messages are worded: what an unknown name is called, quotes and the lead. */
export interface Voice {
  /** `option`, `spool option`: the word after `unknown`. */
  readonly kind: string;
  /** Around unknown names and guesses. */
  readonly quote: string;
  /** Before the value shown: `, got ` or `: current value is `. */
  readonly lead: string;
  /** Put before every problem (`sendEvents: `). */
  readonly prefix?: string;
  /** Quote the subject too (`'tokenTtlSeconds' must be …`). */
  readonly quoteSubject?: boolean;
  /** Where the options object sits, before each subject (`spool.`). */
  readonly path?: string;
}

/** The client's voice, and every table's unless it kept its own. */
export const CLIENT_VOICE: Voice = Object.freeze({ kind: "option", quote: '"', lead: ", got " });

/** The command line's voice for a flag that sets an option: `--concurrency must be …, got 0`. */
export const FLAG_VOICE: Voice = Object.freeze({
  kind: "option",
  quote: "",
  lead: ", got ",
  path: "--",
});

/** A flag's problem by the row of the option it sets (`flag`: its name without dashes). */
export function flagProblem(flag: string, row: OptionRow, value: unknown): string | undefined {
  const problem = scalarProblem(row, value);
  return problem === undefined
    ? undefined
    : problemText({ ...row, name: flag }, problem, value, FLAG_VOICE);
}

/** The client's voice for a method's options: each problem led by the method's name. */
export function callVoice(method: string): Voice {
  return { ...CLIENT_VOICE, prefix: `${method}: ` };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RULE_WORDS: Partial<Record<CheckRule, string>> = {
  "text": "a non-empty string",
  "uuid": "a UUID (VectorVue's tenant ids are UUIDs)",
  "positive": "a positive number",
  "non-negative": "a non-negative number",
  "positive-integer": "a positive integer",
  "non-negative-integer": "a non-negative integer",
  "boolean": "true or false",
  "whole": "a whole number",
  "integer": "an integer",
  "path": "a directory path",
  "string": "a string",
  "signal": "an AbortSignal",
  "function": "a function",
};

/** Rules whose value says nothing printed (an object or a function): the message omits it. */
const UNSHOWN: ReadonlySet<CheckRule> = new Set(["signal", "object"]);

/** A value as a message shows it: strings quoted, numbers as they are, objects by their type. */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  return typeof value;
}

/** Whether `value` meets a row's rule; the structured rules are checked by their parts. */
function meetsRule(row: OptionRow, value: unknown): boolean {
  const rule = row.rule;
  switch (rule) {
    case "text":
      return typeof value === "string" && value !== "";
    case "uuid":
      return typeof value === "string" && UUID.test(value);
    case "boolean":
      return typeof value === "boolean";
    case "positive":
    case "non-negative":
    case "positive-integer":
    case "non-negative-integer":
      return typeof value === "number" && Number.isFinite(value) &&
        (rule.startsWith("positive") ? value > 0 : value >= 0) &&
        (!rule.endsWith("integer") || Number.isInteger(value));
    case "whole":
      return Number.isSafeInteger(value) && (value as number) >= (row.min ?? 0);
    case "integer":
      return Number.isInteger(value) && (value as number) >= (row.min ?? -Infinity);
    case "path":
      return typeof value === "string" && value.trim() !== "";
    case "string":
      return typeof value === "string";
    case "enum":
      return (row.values ?? []).includes(value as string);
    case "signal":
      return value instanceof AbortSignal;
    case "function":
      return typeof value === "function";
    default:
      return true;
  }
}

/** The requirement a row states, or `undefined` for rules checked by their parts elsewhere. */
function requirement(row: OptionRow): string | undefined {
  if (row.words !== undefined) return row.words;
  if (row.rule === "enum") return (row.values ?? []).map((v) => JSON.stringify(v)).join(" or ");
  if (row.rule === "integer" && "min" in row) return `an integer >= ${row.min}`;
  return RULE_WORDS[row.rule];
}

/**
 * What is wrong with `value` by a row's rule and bound (`must be a UUID …`), or `undefined`;
 * also for `configFromEnv()`, so that a variable is judged in the same round as its format and
 * named itself.
 */
export function scalarProblem(row: OptionRow, value: unknown): string | undefined {
  const words = requirement(row);
  if (words === undefined || (value === undefined && !row.required)) {
    return undefined;
  }
  if (!meetsRule(row, value)) return `must be ${words}`;
  if (row.max !== undefined && (value as number) > row.max) {
    // A row that states its range says it again; otherwise the bound is the server's.
    return row.words !== undefined
      ? `must be ${row.words}`
      : `must be at most ${row.max} (the server's hard limit)`;
  }
  return undefined;
}

/** One problem in a table's voice: `<prefix><subject> <problem><lead><value>`. */
export function problemText(
  row: OptionRow,
  problem: string,
  value: unknown,
  voice: Voice = CLIENT_VOICE,
): string {
  const name = `${voice.path ?? ""}${row.name}`;
  const subject = voice.quoteSubject ? `${voice.quote}${name}${voice.quote}` : name;
  const shown = row.secret || UNSHOWN.has(row.rule) ? "" : `${voice.lead}${show(value)}`;
  return `${voice.prefix ?? ""}${subject} ${problem}${shown}`;
}

/** One problem per key of `options` that no row has, with a did-you-mean when one is close. */
export function unknownNames(
  options: object,
  rows: readonly OptionRow[],
  voice: Voice = CLIENT_VOICE,
): string[] {
  const known = rows.map((row) => row.name);
  const q = (name: string) => `${voice.quote}${name}${voice.quote}`;
  return Object.keys(options).filter((key) => !known.includes(key)).map((key) => {
    const guess = didYouMean(key, known);
    const hint = guess === undefined ? "" : ` (did you mean ${q(guess)}?)`;
    return `${voice.prefix ?? ""}unknown ${voice.kind} ${q(key)}${hint}`;
  });
}

/** What reading an options object gave: every value (given or default) and every problem. */
export interface ReadOptions {
  readonly values: Record<string, unknown>;
  readonly problems: string[];
}

/**
 * Reads `options` by `rows`: unknown names first, then each value against its row; a value not
 * given (or one with a problem) takes the row's default, or `fallbacks`' (defaults that are not
 * constants, such as the client's `maxBatchSize` for a batcher).
 */
export function readOptions(
  options: object,
  rows: readonly OptionRow[],
  voice: Voice = CLIENT_VOICE,
  fallbacks: Readonly<Record<string, unknown>> = {},
): ReadOptions {
  const problems = unknownNames(options, rows, voice);
  const values: Record<string, unknown> = {};
  const given = options as Record<string, unknown>;
  for (const row of rows) {
    const value = given[row.name];
    const problem = scalarProblem(row, value);
    const fallback = row.name in fallbacks ? fallbacks[row.name] : row.default;
    if (problem !== undefined) problems.push(problemText(row, problem, value, voice));
    values[row.name] = problem === undefined && value !== undefined ? value : fallback;
  }
  return { values, problems };
}

/** The defaults of a table, by name. */
export function defaultsOf(rows: readonly OptionRow[]): Readonly<Record<string, unknown>> {
  return Object.freeze(
    Object.fromEntries(
      rows.flatMap((row) => row.default === undefined ? [] : [[row.name, row.default]]),
    ),
  );
}
