/**
 * A follower's options, checked and given their defaults once: every problem is reported
 * together, before any file is opened.
 *
 * @module
 */
import type { FollowEvent, FollowOptions } from "./follow_types.ts";
import { defaultsOf, type OptionRow, readOptions, show, type Voice } from "./_library_internals.ts";

/** Options with their defaults applied. */
export interface NormalizedFollowOptions {
  readonly patterns: readonly string[];
  readonly fromStart: boolean;
  readonly positions: ReadonlyMap<string, number>;
  readonly pollMs: number;
  readonly rescanMs: number;
  readonly maxLineBytes: number;
  readonly lingerMs: number;
  readonly maxOpenFiles: number;
  readonly emit: (event: FollowEvent) => void;
  readonly signal: AbortSignal | undefined;
  readonly now: () => number;
  readonly startsFile: string | undefined;
}

/**
 * The follower's options table, read by the one options mechanism (`src/option_rules.ts`): every
 * problem at once, unknown names with a did-you-mean, each default here only.
 */
export const FOLLOW_OPTIONS: readonly OptionRow[] = Object.freeze([
  // Checked by shapeProblems (a list of strings, a Map of offsets): no rule says those.
  { name: "patterns", rule: "any" },
  { name: "fromStart", rule: "boolean", required: true },
  { name: "positions", rule: "any" },
  { name: "pollMs", rule: "positive-integer", default: 250 },
  { name: "rescanMs", rule: "positive-integer", default: 1000 },
  { name: "maxLineBytes", rule: "positive-integer", default: 1024 * 1024 },
  { name: "lingerMs", rule: "non-negative-integer", default: 5000 },
  { name: "maxOpenFiles", rule: "positive-integer", default: 256 },
  { name: "onEvent", rule: "function" },
  { name: "signal", rule: "signal" },
  { name: "now", rule: "function" },
  { name: "startsFile", rule: "text", words: "a path" },
]);

/** The defaults of {@linkcode FollowOptions}, from the table. */
export const FOLLOW_DEFAULTS = defaultsOf(FOLLOW_OPTIONS) as Readonly<{
  pollMs: number;
  rescanMs: number;
  maxLineBytes: number;
  lingerMs: number;
  maxOpenFiles: number;
}>;

const VOICE: Voice = { kind: "option", quote: '"', lead: ", got ", prefix: "Follower: " };

/** The problems of the two options no rule describes: the patterns and the positions. */
function shapeProblems(options: FollowOptions): string[] {
  const problems: string[] = [];
  const { patterns, positions } = options;
  if (!Array.isArray(patterns) || patterns.length === 0) {
    problems.push("Follower: patterns must name at least one path");
  } else if (patterns.some((pattern) => typeof pattern !== "string" || pattern === "")) {
    problems.push("Follower: patterns must be non-empty strings");
  }
  if (!(positions instanceof Map)) {
    problems.push("Follower: positions must be a Map of source to offset");
  } else {
    for (const [source, offset] of positions) {
      if (!(Number.isSafeInteger(offset) && offset >= 0)) {
        problems.push(
          `Follower: positions must hold byte offsets, got ${show(offset)} for ${source}`,
        );
        break;
      }
    }
  }
  return problems;
}

/**
 * Checks `options` and applies the defaults; throws a `TypeError` naming every problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeFollowOptions } from "./follow_options.ts";
 * const options = normalizeFollowOptions({ patterns: ["a.log"], fromStart: true, positions: new Map() });
 * assert.equal(options.pollMs, 250);
 * assert.throws(
 *   () => normalizeFollowOptions({ patterns: [], fromStart: true, positions: new Map(), pollMs: 0 }),
 *   { name: "TypeError", message: "Follower: patterns must name at least one path; Follower: pollMs must be a positive integer, got 0" },
 * );
 * ```
 */
export function normalizeFollowOptions(options: FollowOptions): NormalizedFollowOptions {
  const read = readOptions(options, FOLLOW_OPTIONS, VOICE);
  const problems = [...shapeProblems(options), ...read.problems];
  if (problems.length > 0) throw new TypeError(problems.join("; "));
  const values = read.values as Omit<NormalizedFollowOptions, "emit"> & {
    onEvent?: (event: FollowEvent) => void;
  };
  const onEvent = values.onEvent;
  return {
    patterns: values.patterns,
    fromStart: values.fromStart,
    positions: values.positions,
    pollMs: values.pollMs,
    rescanMs: values.rescanMs,
    maxLineBytes: values.maxLineBytes,
    lingerMs: values.lingerMs,
    maxOpenFiles: values.maxOpenFiles,
    emit(event) {
      try {
        onEvent?.(event);
      } catch {
        // A logger that throws must not stop the follower (nor leave a look half done).
      }
    },
    signal: values.signal,
    now: values.now ?? Date.now,
    startsFile: values.startsFile,
  };
}
