/**
 * The options of a method call (`login`, `sendEvent`, …), read through the one
 * options mechanism (`option_rules.ts`).
 *
 * @module
 */

import { VectorVueConfigError } from "./errors.ts";
import { CALL_OPTIONS, mustBeObject } from "./option_tables.ts";
import { callVoice, readOptions } from "./option_rules.ts";

/**
 * Checks the options object of a method: an object (or nothing), with only
 * known names and, when given, an `AbortSignal` as `signal` and a valid
 * `timeoutMs`/`maxRetries` (the client table's rules). Throws one
 * {@linkcode VectorVueConfigError} listing every problem.
 */
export function checkCallOptions(method: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  mustBeObject(method, options);
  // No option given: nothing to check (no call option is required). The common case, per call.
  if (!hasOwnKey(options) && CALL_OPTIONS.every((row) => given(options, row.name) === undefined)) {
    return;
  }
  const rows = CALL_OPTIONS.filter((row) => known.includes(row.name));
  const { problems } = readOptions(options, rows, callVoice(method));
  if (problems.length > 0) throw new VectorVueConfigError(problems);
}

/** An option's value as the table reads it (inherited ones too). */
function given(options: object, name: string): unknown {
  return (options as Record<string, unknown>)[name];
}

/** Whether `value` has an own enumerable key, without building the list of them. */
function hasOwnKey(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}
