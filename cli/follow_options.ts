/**
 * A follower's options, checked and given their defaults once: every problem is reported
 * together, before any file is opened.
 *
 * @module
 */
import type { FollowEvent, FollowOptions } from "./follow_types.ts";

/** The defaults of {@linkcode FollowOptions}. */
export const FOLLOW_DEFAULTS = {
  pollMs: 250,
  rescanMs: 1000,
  maxLineBytes: 1024 * 1024,
  lingerMs: 5000,
  maxOpenFiles: 256,
} as const;

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

const POSITIVE = ["pollMs", "rescanMs", "maxLineBytes", "maxOpenFiles"] as const;

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
 *   { name: "TypeError", message: "Follower: patterns must name at least one path; pollMs must be a positive integer, not 0" },
 * );
 * ```
 */
export function normalizeFollowOptions(options: FollowOptions): NormalizedFollowOptions {
  const problems: string[] = [];
  const { patterns, positions, onEvent, now } = options;
  if (!Array.isArray(patterns) || patterns.length === 0) {
    problems.push("patterns must name at least one path");
  } else if (patterns.some((pattern) => typeof pattern !== "string" || pattern === "")) {
    problems.push("patterns must be non-empty strings");
  }
  if (typeof options.fromStart !== "boolean") problems.push("fromStart must be true or false");
  if (!(positions instanceof Map)) {
    problems.push("positions must be a Map of source to offset");
  } else {
    for (const [source, offset] of positions) {
      if (!(Number.isSafeInteger(offset) && offset >= 0)) {
        problems.push(`positions must hold byte offsets, not ${String(offset)} for ${source}`);
        break;
      }
    }
  }
  for (const name of POSITIVE) {
    const value = options[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      problems.push(`${name} must be a positive integer, not ${String(value)}`);
    }
  }
  const linger = options.lingerMs;
  if (linger !== undefined && !(Number.isSafeInteger(linger) && linger >= 0)) {
    problems.push(`lingerMs must be an integer of 0 or more, not ${String(linger)}`);
  }
  if (onEvent !== undefined && typeof onEvent !== "function") {
    problems.push("onEvent must be a function");
  }
  if (now !== undefined && typeof now !== "function") problems.push("now must be a function");
  const startsFile = options.startsFile;
  if (startsFile !== undefined && (typeof startsFile !== "string" || startsFile === "")) {
    problems.push("startsFile must be a path");
  }
  if (problems.length > 0) throw new TypeError(`Follower: ${problems.join("; ")}`);
  return {
    patterns,
    fromStart: options.fromStart,
    positions,
    pollMs: options.pollMs ?? FOLLOW_DEFAULTS.pollMs,
    rescanMs: options.rescanMs ?? FOLLOW_DEFAULTS.rescanMs,
    maxLineBytes: options.maxLineBytes ?? FOLLOW_DEFAULTS.maxLineBytes,
    lingerMs: options.lingerMs ?? FOLLOW_DEFAULTS.lingerMs,
    maxOpenFiles: options.maxOpenFiles ?? FOLLOW_DEFAULTS.maxOpenFiles,
    emit(event) {
      try {
        onEvent?.(event);
      } catch {
        // A logger that throws must not stop the follower (nor leave a look half done).
      }
    },
    signal: options.signal,
    now: now ?? Date.now,
    startsFile,
  };
}
