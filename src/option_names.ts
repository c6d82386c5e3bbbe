/**
 * Unknown option names, caught the same way everywhere options are taken
 * (client, per-call, bulk and batcher options, `VECTORVUE_*` variables), with
 * a did-you-mean when the name is close to a known one.
 *
 * @module
 */

import { VectorVueConfigError } from "./errors.ts";

/** Letters only, lower case: `VECTORVUE_BASEURL` and `VECTORVUE_BASE_URL` compare equal. */
function squash(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/** Optimal string alignment distance (a swap of neighbours counts one), capped for speed. */
function editDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2] + 1);
      }
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > cap) return cap + 1;
    before = previous;
    previous = current;
  }
  return previous[b.length];
}

/**
 * The known name `name` most likely misspells, or `undefined` when none is
 * close: the same letters ignoring case and separators, a missing unit
 * suffix (`flushInterval` for `flushIntervalMs`), or a few typos.
 */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  const squashed = squash(name);
  if (squashed.length === 0) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const other = squash(candidate);
    if (other === squashed) return candidate;
    const cap = Math.max(1, Math.min(3, Math.floor(other.length / 4)));
    let distance = editDistance(squashed, other, cap);
    if (distance > cap && squashed.length >= 4 && other.startsWith(squashed)) distance = cap;
    if (distance <= cap && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `unknown option "x"`, with a did-you-mean when one is close. */
export function unknownName(kind: string, name: string, known: Iterable<string>): string {
  const guess = didYouMean(name, known);
  return `unknown ${kind} "${name}"${guess === undefined ? "" : ` (did you mean "${guess}"?)`}`;
}

/** One problem per key of `options` that is not in `known`. */
export function unknownOptionProblems(
  options: object,
  known: readonly string[],
  kind = "option",
): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) problems.push(unknownName(kind, key, known));
  }
  return problems;
}

/**
 * Checks the options object of a method: an object (or nothing), with only
 * known names and, when given, an `AbortSignal` as `signal`. Throws one
 * {@linkcode VectorVueConfigError} listing every problem.
 */
export function checkCallOptions(method: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  const problems: string[] = [];
  if (options === null || typeof options !== "object") {
    problems.push(
      `${method} options must be an object, got ${options === null ? "null" : typeof options}`,
    );
  } else {
    for (const problem of unknownOptionProblems(options, known)) {
      problems.push(`${method}: ${problem}`);
    }
    const signal = (options as { signal?: unknown }).signal;
    if (known.includes("signal") && signal !== undefined && !(signal instanceof AbortSignal)) {
      problems.push(`${method}: signal must be an AbortSignal`);
    }
    const { timeoutMs, maxRetries } = options as { timeoutMs?: unknown; maxRetries?: unknown };
    const number = (value: unknown) => typeof value === "number" && Number.isFinite(value);
    const shown = (value: unknown) => typeof value === "number" ? value : JSON.stringify(value);
    if (
      known.includes("timeoutMs") && timeoutMs !== undefined &&
      !(number(timeoutMs) && (timeoutMs as number) > 0)
    ) {
      problems.push(`${method}: timeoutMs must be a positive number, got ${shown(timeoutMs)}`);
    }
    if (
      known.includes("maxRetries") && maxRetries !== undefined &&
      !(number(maxRetries) && Number.isInteger(maxRetries) && (maxRetries as number) >= 0)
    ) {
      problems.push(
        `${method}: maxRetries must be a non-negative integer, got ${shown(maxRetries)}`,
      );
    }
  }
  if (problems.length > 0) throw new VectorVueConfigError(problems);
}
