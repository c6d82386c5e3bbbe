/**
 * Client configuration for the commands that talk to VectorVue: the `VECTORVUE_*` variables,
 * overridden by flags for non-secret options; secrets only from the environment or from files.
 *
 * @module
 */
import {
  configFromEnv,
  ENV_VARIABLES,
  VectorVueClient,
  type VectorVueConfig,
  VectorVueConfigError,
} from "../mod.ts";
import { type FlagSpec, UsageError } from "./args.ts";
import { inCliWords, type Option, whereToSet } from "./words.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

/** Flags of every command that connects. */
export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  { name: "base-url", type: "string", value: "URL", help: "server (VECTORVUE_BASE_URL)" },
  {
    name: "ca-cert",
    type: "string",
    value: "FILE",
    help: "trust this PEM CA certificate (VECTORVUE_CA_CERT)",
  },
  { name: "username", type: "string", value: "NAME", help: "login user (VECTORVUE_USERNAME)" },
  { name: "tenant-id", type: "string", value: "ID", help: "tenant (VECTORVUE_TENANT_ID)" },
  {
    name: "password-file",
    type: "string",
    value: "FILE",
    help: "read the password from FILE (else VECTORVUE_PASSWORD)",
  },
  {
    name: "token-file",
    type: "string",
    value: "FILE",
    help: "read a bearer token from FILE (else VECTORVUE_TOKEN)",
  },
  {
    name: "signature-secret-file",
    type: "string",
    value: "FILE",
    help: "request signing secret from FILE (else VECTORVUE_SIGNATURE_SECRET)",
  },
  {
    name: "response-signing-key-file",
    type: "string",
    value: "FILE",
    help: "key to verify response signatures (else VECTORVUE_RESPONSE_SIGNING_KEY)",
  },
  {
    name: "timeout-seconds",
    type: "string",
    value: "S",
    help: "time limit of one attempt (VECTORVUE_TIMEOUT_SECONDS)",
  },
  {
    name: "verbose",
    type: "boolean",
    help: "on errors, the error's class and the full request line too",
  },
];

/** What the environment section of each connecting command's help says. */
export const CONNECTION_HELP = "Connection: the VECTORVUE_* variables (see the README), " +
  "overridden by the flags below. Secrets are read only from the environment or from files.";

type Flags = Readonly<Record<string, string | number | boolean | undefined>>;

/** Library problems the command line replaces with its own (naming what is missing). */
const CREDENTIAL_PROBLEMS = [
  /^give either token, or all of username, password and tenantId/,
  /^username, password and tenantId go together/,
];

const LOGIN: readonly Option[] = ["username", "password", "tenantId"];

/**
 * The client configuration the flags and environment describe, checked by building a client:
 * every problem (the environment's, the flags', the files', the client's own) is in one
 * {@linkcode UsageError}, in the words the user sets: `--batch-size`, `VECTORVUE_TENANT_ID`.
 * `extra` maps further flags of the command to options (`{ "batch-size": "maxBatchSize" }`).
 */
export async function connectionConfig(
  flags: Flags,
  system: CliSystem,
  extra: Readonly<Record<string, Option>> = {},
): Promise<VectorVueConfig> {
  const gathered = new Gathered();
  const { unreadable, misspelled } = readVariables(gathered, system);
  await readFlags(gathered, flags, system, extra);
  const { problems, sources, given, config, fromFlag, envProblems } = gathered;

  for (const [option, problem] of envProblems) if (!fromFlag.has(option)) problems.push(problem);
  problems.push(...misspelled);

  // What the runtime's permissions hide is named, not taken as unset: a variable skipped
  // silently (a CA, a rate limit) would change what the run does without a word.
  const hidden = unreadable.filter((name) => !given.has(ENV_VARIABLES[name] as Option));
  if (hidden.length > 0) {
    problems.push(
      `${hidden.join(", ")} cannot be read: Deno's --allow-env does not grant ${
        hidden.length === 1 ? "it" : "them"
      }; run Deno with --allow-env=VECTORVUE_* (or --allow-env)`,
    );
  }
  const hiddenOption = (option: Option) => hidden.some((name) => ENV_VARIABLES[name] === option);

  // No default server: a forgotten variable must not send the run to https://127.0.0.1.
  if (!given.has("baseUrl") && !hiddenOption("baseUrl")) {
    problems.push(`no server given: set ${whereToSet("baseUrl")}`);
  }
  const credentials = credentialProblem(given, hiddenOption);
  if (credentials !== undefined) problems.push(credentials);

  try {
    // Building a client is what checks the rest; it opens nothing yet.
    await new VectorVueClient(config as VectorVueConfig).close();
  } catch (error) {
    if (!(error instanceof VectorVueConfigError)) throw error;
    for (const problem of error.problems) {
      if (CREDENTIAL_PROBLEMS.some((pattern) => pattern.test(problem))) continue;
      problems.push(inCliWords(problem, sources));
    }
  }
  if (problems.length > 0) throw new UsageError(problems);
  return config as VectorVueConfig;
}

/** Reads the `VECTORVUE_*` variables into `gathered`: what is unreadable, what is misspelled. */
function readVariables(
  gathered: Gathered,
  system: CliSystem,
): { unreadable: string[]; misspelled: readonly string[] } {
  const { sources, given, config, envProblems } = gathered;
  // The environment, one variable at a time: each problem is the variable's, in one round.
  const names = Object.keys(ENV_VARIABLES);
  const read = system.readEnvironment(names);
  const unreadable: string[] = [];
  for (const name of names) {
    const option = ENV_VARIABLES[name] as Option;
    if (read.unreadable.includes(name)) {
      unreadable.push(name);
      continue;
    }
    const value = read.values[name];
    if (value === undefined || value.trim() === "") continue;
    given.add(option);
    sources.set(option, name);
    try {
      const parsed = configFromEnv({ [name]: value }) as Record<string, unknown>;
      if (option in parsed) config[option] = parsed[option];
    } catch (error) {
      if (!(error instanceof VectorVueConfigError)) throw error;
      envProblems.push(...error.problems.map((problem) => [option, problem] as const));
    }
  }
  // A misspelled VECTORVUE_* variable (when the runtime lets us list them).
  const others = Object.entries(read.all ?? {}).filter(([name]) =>
    name.startsWith("VECTORVUE_") && !names.includes(name)
  );
  let misspelled: readonly string[] = [];
  try {
    configFromEnv(Object.fromEntries(others));
  } catch (error) {
    if (!(error instanceof VectorVueConfigError)) throw error;
    misspelled = error.problems;
  }
  return { unreadable, misspelled };
}

/** Reads the flags into `gathered`, over the environment; secrets and the CA from their files. */
async function readFlags(
  gathered: Gathered,
  flags: Flags,
  system: CliSystem,
  extra: Readonly<Record<string, Option>>,
): Promise<void> {
  const { problems, sources, given, config, fromFlag } = gathered;
  const set = (option: Option, value: unknown, source: string) => {
    config[option] = value;
    sources.set(option, source);
    given.add(option);
    if (source.startsWith("--")) fromFlag.add(option);
  };
  // Flags override the environment.
  const text = (name: string) =>
    typeof flags[name] === "string" ? flags[name] as string : undefined;
  for (
    const [flag, option] of [["base-url", "baseUrl"], ["username", "username"], [
      "tenant-id",
      "tenantId",
    ]] as const
  ) {
    const value = text(flag);
    if (value !== undefined) set(option, value, `--${flag}`);
  }
  for (const [flag, option] of Object.entries(extra)) {
    if (flags[flag] !== undefined) set(option, flags[flag], `--${flag}`);
  }
  const flagged = (option: Option, flag: string) => {
    fromFlag.add(option);
    given.add(option);
    sources.set(option, `--${flag}`);
    delete config[option];
  };
  const timeout = text("timeout-seconds");
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    flagged("timeoutMs", "timeout-seconds");
    if (!Number.isFinite(seconds) || seconds <= 0) {
      problems.push(`--timeout-seconds must be a positive number of seconds, got "${timeout}"`);
    } else set("timeoutMs", Math.round(seconds * 1000), "--timeout-seconds");
  }
  const caPath = text("ca-cert");
  if (caPath !== undefined) {
    flagged("caCerts", "ca-cert");
    try {
      const pem = await system.readTextFile(caPath);
      if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
        problems.push(`--ca-cert ${caPath} holds no PEM certificate`);
      } else set("caCerts", [pem], "--ca-cert");
    } catch (error) {
      problems.push(`--ca-cert ${caPath} cannot be read: ${(error as Error).message}`);
    }
  }
  const secrets: Array<[string, Option]> = [
    ["password-file", "password"],
    ["token-file", "token"],
    ["signature-secret-file", "signatureSecret"],
    ["response-signing-key-file", "responseSigningKey"],
  ];
  for (const [flag, option] of secrets) {
    const path = text(flag);
    if (path === undefined) continue;
    flagged(option, flag);
    try {
      const value = (await system.readTextFile(path)).trim();
      if (value === "") problems.push(`--${flag} ${path} is empty`);
      else set(option, value, `--${flag}`);
    } catch (error) {
      problems.push(`--${flag} ${path} cannot be read: ${(error as Error).message}`);
    }
  }
}

/** The configuration being gathered, and where each option came from. */
class Gathered {
  readonly problems: string[] = [];
  readonly sources = new Map<Option, string>();
  /** Options given a value, valid or not (an invalid one has its own problem). */
  readonly given = new Set<Option>();
  readonly config: Record<string, unknown> = {};
  /** Options a flag gives: a problem of the variable it overrides does not matter. */
  readonly fromFlag = new Set<Option>();
  readonly envProblems: (readonly [Option, string])[] = [];
}

/** Which credentials are missing, by the variables and flags that give them. */
function credentialProblem(
  given: ReadonlySet<Option>,
  hidden: (option: Option) => boolean,
): string | undefined {
  // A variable the runtime hides is reported as such; what it holds is unknown.
  if ([...LOGIN, "token" as const].some(hidden)) return undefined;
  const missing = LOGIN.filter((option) => !given.has(option));
  const list = (options: readonly Option[]) => {
    const names = options.map((option) => whereToSet(option));
    return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
  };
  if (!given.has("token")) {
    if (missing.length === 0) return undefined;
    if (missing.length === 3) {
      return `no credentials: set ${whereToSet("token")}; or, to log in, ${list(LOGIN)}`;
    }
    return `missing credentials: to log in, also set ${list(missing)}; or set ${
      whereToSet("token")
    } instead`;
  }
  // With a token, a login is optional (the token is used until it expires), but half a one is
  // a mistake; the tenant id alone goes with a token.
  if ((given.has("username") || given.has("password")) && missing.length > 0) {
    return `missing credentials: to log in, also set ${list(missing)}; or leave the login out ` +
      "and use the token alone";
  }
  return undefined;
}
