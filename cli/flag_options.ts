/**
 * The flags that set a library option, each read by that option's row (`option_rules.ts`): its
 * default comes from the table, and its problem is the table's, in the command line's words
 * (`--concurrency must be a whole number from 1 to 16, got 0`). A flag may narrow the option's
 * range (`send` keeps at most 16 requests in flight) but never restates its default.
 *
 * @module
 */
import {
  BULK_OPTIONS,
  EMULATOR_OPTIONS,
  flagProblem,
  type OptionRow,
  SERVE_OPTIONS,
} from "./_library_internals.ts";

/** The row named `name` of `rows`. */
function row(rows: readonly OptionRow[], name: string): OptionRow {
  const found = rows.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no option ${name}`);
  return found;
}

/** Most requests `send` keeps in flight: more only earns 429s from a server with a rate limit. */
const MAX_SEND_CONCURRENCY = 16;

/** Each flag that sets an option: the option's row, narrowed where the command narrows it. */
export const FLAG_OPTIONS = Object.freeze(
  {
    /** `send --concurrency` sets `BulkOptions.concurrency`. */
    concurrency: {
      ...row(BULK_OPTIONS, "concurrency"),
      max: MAX_SEND_CONCURRENCY,
      words: `a whole number from 1 to ${MAX_SEND_CONCURRENCY}`,
    },
    /** `emulator --hostname` sets `ServeOptions.hostname`. */
    hostname: row(SERVE_OPTIONS, "hostname"),
    /**
     * `emulator --port` sets `ServeOptions.port`; its own default (8443) is the command's, a port
     * a person can type, where the library's (0, a free one) suits tests.
     */
    port: { ...row(SERVE_OPTIONS, "port"), default: 8443 },
    /** `emulator --max-batch-size` sets `EmulatorOptions.maxBatchSize`. */
    "max-batch-size": row(EMULATOR_OPTIONS, "maxBatchSize"),
  } satisfies Record<string, OptionRow>,
);

/** A flag that sets an option. */
export type OptionFlag = keyof typeof FLAG_OPTIONS;

/** A flag's value (or its option's default) and its problem, if any. */
export function readFlag<T>(
  flag: OptionFlag,
  flags: Readonly<Record<string, unknown>>,
  problems: string[],
): T {
  const spec = FLAG_OPTIONS[flag];
  const value = flags[flag];
  const problem = flagProblem(flag, spec, value);
  if (problem !== undefined) problems.push(problem);
  return (value === undefined || problem !== undefined ? spec.default : value) as T;
}

/** The help text's `(default …)` of a flag, from its option's table. */
export function defaultHelp(flag: OptionFlag): string {
  return `(default ${FLAG_OPTIONS[flag].default})`;
}
