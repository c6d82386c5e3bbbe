/**
 * Command-line flags: a small parser that knows each command's flags, so an unknown flag is an
 * error with a did-you-mean, and a secret can never be passed as a flag.
 *
 * @module
 */
import { didYouMean } from "./_library_internals.ts";

export { didYouMean };

/** A flag a command takes. */
export interface FlagSpec {
  /** Long name without dashes: `batch-size`. */
  readonly name: string;
  /** `boolean` flags take no value; `string` and `integer` take the next argument or `=value`. */
  readonly type: "boolean" | "string" | "integer";
  /** What the value is, for the help text: `FILE`, `N`. */
  readonly value?: string;
  /** One line of help. */
  readonly help: string;
  /** One-letter alias: `q` for `--quiet`. */
  readonly short?: string;
}

/** A usage or configuration mistake: exit status 2, with every problem listed. */
export class UsageError extends Error {
  /** Each problem, one sentence. */
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[]) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("\n"));
    this.name = "UsageError";
    this.problems = list;
  }
}

/** Mistakes in the command line itself, with what could be parsed (to check it further). */
export class ArgumentsError extends UsageError {
  /** The flags and positionals that were understood. */
  readonly parsed: ParsedArgs;
  constructor(problems: readonly string[], parsed: ParsedArgs) {
    super(problems);
    this.name = "ArgumentsError";
    this.parsed = parsed;
  }
}

/** Flags that would put a secret into the process list, and where the secret goes instead. */
const SECRET_FLAGS: Readonly<Record<string, string>> = {
  password: "VECTORVUE_PASSWORD or --password-file FILE",
  token: "VECTORVUE_TOKEN or --token-file FILE",
  "signature-secret": "VECTORVUE_SIGNATURE_SECRET or --signature-secret-file FILE",
  "response-signing-key": "VECTORVUE_RESPONSE_SIGNING_KEY or --response-signing-key-file FILE",
  secret: "an environment variable or a file option",
};

/** Parsed flags (by long name) and positional arguments. */
export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Parses `args` against `specs`. Every mistake is collected and thrown together as one
 * {@linkcode ArgumentsError}, which carries what was understood. `--` ends flags; `-` alone is a positional (standard input).
 */
export function parseArgs(args: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const byShort = new Map(specs.filter((s) => s.short).map((spec) => [spec.short!, spec]));
  const flags: Record<string, string | number | boolean | undefined> = {};
  const positionals: string[] = [];
  const problems: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg === "-" || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const [rawName, inline] = long
      ? splitOnce(arg.slice(2), "=")
      : [arg.slice(1), undefined] as const;
    const spec = long ? byName.get(rawName) : byShort.get(rawName);
    if (!spec) {
      const secret = SECRET_FLAGS[rawName];
      if (long && secret) {
        problems.push(
          `--${rawName} is not accepted: a secret on the command line is visible to every ` +
            `user in the process list; use ${secret}`,
        );
        if (inline === undefined && i + 1 < args.length && !args[i + 1].startsWith("-")) i++;
        continue;
      }
      const names = specs.map((s) => s.name);
      const guess = long ? didYouMean(rawName, names) : undefined;
      problems.push(`unknown option ${arg}${guess ? ` (did you mean --${guess}?)` : ""}`);
      continue;
    }
    if (spec.type === "boolean") {
      if (inline !== undefined) problems.push(`--${spec.name} takes no value`);
      else flags[spec.name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      // `--kind --resume` is a forgotten value, not a kind called "--resume".
      if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
        problems.push(`--${spec.name} needs a value (${spec.value ?? "VALUE"})`);
        continue;
      }
      value = args[++i];
    }
    if (spec.type === "integer") {
      if (!/^\d+$/.test(value)) {
        problems.push(`--${spec.name} must be a whole number, got "${value}"`);
        continue;
      }
      flags[spec.name] = Number(value);
    } else {
      flags[spec.name] = value;
    }
  }
  if (problems.length > 0) throw new ArgumentsError(problems, { flags, positionals });
  return { flags, positionals };
}

function splitOnce(text: string, separator: string): readonly [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
