/**
 * Options from environment variables, for scripts and the QA smoke run.
 * Which variable sets which option, and in which unit, is the option table's
 * (`VECTORVUE_OPTIONS`); durations keep the design note's seconds
 * (`VECTORVUE_TIMEOUT_SECONDS`).
 *
 * @module
 */

import { readTextFile } from "./platform/files.ts";
import { readEnvironment } from "./platform/process.ts";
import { UNREADABLE_VARIABLES, type VectorVueConfig, withRedactedPrinting } from "./config.ts";
import { VectorVueConfigError } from "./errors.ts";
import { didYouMean } from "./did_you_mean.ts";
import { scalarProblem } from "./option_rules.ts";
import { ENV_VARIABLES, type OptionSpec, VECTORVUE_OPTIONS } from "./options.ts";

export { ENV_VARIABLES };

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);
const PREFIX = "VECTORVUE_";
/** `VECTORVUE_*` variables that are not options but are not misspellings either. */
const OTHER_VARIABLES = ["VECTORVUE_QA_LIVE"];

/** Parses one variable by its option's rule; returns the value or a problem sentence. */
function parseVariable(
  row: OptionSpec & { env: string },
  value: string,
): { value: unknown } | { problem: string } {
  const name = row.env;
  switch (row.rule) {
    case "boolean": {
      const lower = value.toLowerCase();
      if (TRUE.has(lower)) return { value: true };
      if (FALSE.has(lower)) return { value: false };
      return { problem: `${name} must be true or false, got "${value}"` };
    }
    case "positive-integer":
    case "non-negative-integer":
      return /^\d+$/.test(value)
        ? { value: Number(value) }
        : { problem: `${name} must be a whole number, got "${value}"` };
    case "positive":
    case "non-negative": {
      const parsed = Number(value);
      const unit = row.envUnit === "seconds" ? "seconds" : "milliseconds";
      if (!Number.isFinite(parsed)) {
        return { problem: `${name} must be a number of ${unit}, got "${value}"` };
      }
      return { value: row.envUnit === "seconds" ? Math.round(parsed * 1000) : parsed };
    }
    case "rate-limit": {
      const match = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(value);
      if (FALSE.has(value.toLowerCase())) return { value: false };
      if (match && Number(match[1]) > 0 && Number(match[2]) > 0) {
        return { value: { requests: Number(match[1]), windowMs: Number(match[2]) * 1000 } };
      }
      return {
        problem:
          `${name} must be <requests>/<window seconds> (such as 240/60) or off, got "${value}"`,
      };
    }
    case "pem-list":
      try {
        const pem = readTextFile(value);
        return pem.includes("-----BEGIN CERTIFICATE-----")
          ? { value: [pem] }
          : { problem: `${name} (${value}) holds no PEM certificate` };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { problem: `${name} (${value}) cannot be read: ${reason}` };
      }
    default:
      return { value };
  }
}

/**
 * Reads client options from `VECTORVUE_*` variables (see `ENV_VARIABLES`).
 * Unset or empty variables are left out, so the client's defaults apply.
 * `VECTORVUE_CA_CERT` is a path to a PEM file. Malformed values, and
 * `VECTORVUE_*` variables that look like misspellings of known ones, are all
 * reported in one {@linkcode VectorVueConfigError}. The result prints with
 * secrets redacted.
 *
 * In Deno each variable is read on its own: with `--allow-env` for only some,
 * the others count as unset, and if the client then lacks what they would
 * have given, its `VectorVueConfigError` names them and the flag to add.
 *
 * @param env Variables to read; the process environment by default.
 *
 * @example Build a client from the environment
 * ```ts
 * import { configFromEnv, VectorVueClient } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const config = configFromEnv({
 *   VECTORVUE_BASE_URL: "https://vectorvue.internal",
 *   VECTORVUE_TOKEN: "eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRfaWQiOiIxMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDEifQ.c2ln",
 *   VECTORVUE_TIMEOUT_SECONDS: "2.5",
 * });
 * assert.equal(config.timeoutMs, 2500);
 * const client = new VectorVueClient(config);
 * ```
 */
export function configFromEnv(env?: Record<string, string | undefined>): VectorVueConfig {
  const names = Object.keys(ENV_VARIABLES);
  const read = env === undefined
    ? readEnvironment(names)
    : { values: env, unreadable: [], all: env as Record<string, string> };
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const row of VECTORVUE_OPTIONS as readonly OptionSpec[]) {
    if (row.env === undefined) continue;
    const value = read.values[row.env]?.trim();
    if (value === undefined || value === "") continue;
    const parsed = parseVariable(row as OptionSpec & { env: string }, value);
    // The option's own rule too (a UUID, a bound), so one call reports every bad variable.
    const problem = "problem" in parsed ? parsed.problem : scalarProblem(row, parsed.value);
    if (problem === undefined) config[row.name] = (parsed as { value: unknown }).value;
    else if ("problem" in parsed) problems.push(problem);
    else problems.push(`${row.env} ${problem}${row.secret ? "" : `, got "${value}"`}`);
  }
  const suffixes = names.map((name) => name.slice(PREFIX.length));
  for (const name of Object.keys(read.all ?? {})) {
    if (!name.startsWith(PREFIX) || names.includes(name) || OTHER_VARIABLES.includes(name)) {
      continue;
    }
    // Only a likely misspelling is a problem: other tools may own other VECTORVUE_* names.
    // Compared without the shared prefix, which would make every name look close to every other.
    const guess = didYouMean(name.slice(PREFIX.length), suffixes);
    if (guess !== undefined) {
      problems.push(
        `unknown variable "${name}" (did you mean "${PREFIX}${guess}"?)`,
      );
    }
  }
  if (problems.length > 0) throw new VectorVueConfigError(problems);
  if (read.unreadable.length > 0) config[UNREADABLE_VARIABLES as never] = read.unreadable;
  return withRedactedPrinting(config as VectorVueConfig);
}
