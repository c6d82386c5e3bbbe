/**
 * `vectorvue send`: streams NDJSON or a JSON array to VectorVue in batches through the client's
 * bulk API, with progress, a dead-letter file, a checkpoint after every settled chunk, and
 * `--resume`.
 *
 * @module
 */
import { VectorVueClient, type VectorVueConfig } from "../mod.ts";
import { type FlagSpec, type ParsedArgs, UsageError } from "./args.ts";
import {
  type Checkpoint,
  fingerprint,
  fingerprintMismatch,
  type InputFingerprint,
  readCheckpoint,
} from "./checkpoint.ts";
import type { Command } from "./command.ts";
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionConfig } from "./connection.ts";
import { defaultHelp, readFlag } from "./flag_options.ts";
import type { CliSystem } from "../src/platform/command_line.ts";
import type { Kind } from "./send_chunks.ts";
import { type RunOptions, SendRun } from "./send_run.ts";

const FLAGS: readonly FlagSpec[] = [
  {
    name: "kind",
    type: "string",
    value: "events|findings",
    help: "what the input holds (required)",
  },
  {
    name: "batch-size",
    type: "integer",
    value: "N",
    help: "items per request, at most 1000 (VECTORVUE_MAX_BATCH_SIZE, default 100)",
  },
  {
    name: "concurrency",
    type: "integer",
    value: "N",
    help: `requests in flight, at most 16 ${defaultHelp("concurrency")}`,
  },
  {
    name: "dead-letter",
    type: "string",
    value: "FILE",
    help: "where items that did not make it go (default FILE.dead-letter.ndjson)",
  },
  {
    name: "state",
    type: "string",
    value: "FILE",
    help: "checkpoint file (default next to the dead-letter file)",
  },
  { name: "resume", type: "boolean", help: "continue an interrupted run from its checkpoint" },
  { name: "strict", type: "boolean", help: "stop at the first malformed line" },
  { name: "json", type: "boolean", help: "print one JSON summary on standard output" },
  { name: "quiet", short: "q", type: "boolean", help: "no progress and no per-line reports" },
  {
    name: "progress-interval",
    type: "integer",
    value: "S",
    help: "seconds between progress lines when not on a terminal (default 5)",
  },
  ...CONNECTION_FLAGS,
];

/** The `send` command. */
export const sendCommand: Command = {
  name: "send",
  summary: "send events or findings from an NDJSON file, a JSON array or standard input",
  usage: "vectorvue send FILE|- --kind events|findings [options]",
  description: [
    "Reads FILE (or standard input for -) as NDJSON, one JSON object a line, or as one JSON",
    "array, and sends the items in batches at the rate the server allows. Memory stays flat",
    "whatever the size of the input.",
    "",
    "Lines that are not JSON objects, items the server rejects, and items not delivered within",
    "the delivery budget go to the dead-letter file with their line number and the reason; the",
    "run goes on (unless --strict). The dead-letter file is NDJSON that send takes again once",
    "fixed: each record's `item` is what is sent.",
    "",
    "A checkpoint is written as items are settled. After a crash or Ctrl+C, run the same command",
    "with --resume: settled items are not sent again, and a batch that may have reached the",
    "server is sent again with its original Idempotency-Key.",
    "",
    "Ctrl+C once: stop reading, let batches in flight finish (up to 30 s), write the checkpoint",
    "and the summary. Again, a second or more later: exit at once; the checkpoint stays as last",
    "written. (Copies of one Ctrl+C that a parent such as `deno task` forwards count once.)",
    "",
    "Exit status: 0 all accepted; 1 some rejected, malformed or not delivered (see the",
    "dead-letter file); 2 usage or configuration error; 130 interrupted.",
    "",
    CONNECTION_HELP,
  ].join("\n"),
  flags: FLAGS,
  examples: [
    "vectorvue send events.ndjson --kind events                # send a file, progress on the terminal",
    "zcat findings.json.gz | vectorvue send - --kind findings  # a JSON array from standard input",
    "vectorvue send events.ndjson --kind events --resume       # continue after a crash or Ctrl+C",
    "vectorvue send events.ndjson.dead-letter.ndjson --kind events  # re-send fixed dead letters",
    "vectorvue send big.ndjson --kind events --json --quiet > summary.json",
  ],
  run: runSend,
  check: async (args, system) => (await prepareSend(args, system)).problems,
};

/** The dead-letter path for an input, and the checkpoint path next to a dead-letter file. */
export function defaultPaths(input: string, deadLetter?: string, state?: string) {
  const dead = deadLetter ??
    (input === "-" ? "vectorvue-send.dead-letter.ndjson" : `${input}.dead-letter.ndjson`);
  const checkpoint = state ??
    (dead.endsWith(".ndjson")
      ? `${dead.slice(0, -".ndjson".length)}.checkpoint.json`
      : `${dead}.checkpoint.json`);
  return { deadLetter: dead, checkpoint };
}

interface Flags {
  readonly [name: string]: string | number | boolean | undefined;
}

/** What a send run needs, once its arguments are checked; or every problem found. */
interface Prepared {
  readonly problems: readonly string[];
  readonly config: VectorVueConfig;
  readonly options: Omit<RunOptions, "strict" | "json" | "quiet" | "progressIntervalMs">;
}

/** Checks everything a run needs, sending nothing; every problem together. */
async function prepareSend(args: ParsedArgs, system: CliSystem): Promise<Prepared> {
  const flags: Flags = args.flags;
  const problems: string[] = [];
  if (args.positionals.length !== 1) {
    problems.push(
      args.positionals.length === 0
        ? "send needs the input: a FILE, or - for standard input"
        : `send takes one input, got ${args.positionals.length}: ${args.positionals.join(" ")}`,
    );
  }
  const kind = flags.kind;
  if (kind === undefined) problems.push("--kind events|findings is required");
  else if (kind !== "events" && kind !== "findings") {
    problems.push(`--kind must be events or findings, got "${kind}"`);
  }
  const concurrency = readFlag<number>("concurrency", flags, problems);
  const input = args.positionals[0] ?? "-";
  const fromStdin = input === "-";
  if (fromStdin && flags.resume) {
    problems.push("--resume needs a FILE: standard input cannot be read again");
  }
  if (!fromStdin && args.positionals.length === 1 && !(await system.isRegularFile(input))) {
    problems.push(
      (await system.size(input)) === undefined
        ? `${input} does not exist`
        : `${input} is not a regular file; pipe it into "send -" instead`,
    );
  }
  const paths = defaultPaths(
    input,
    flags["dead-letter"] as string | undefined,
    flags.state as string | undefined,
  );

  let config: VectorVueConfig;
  try {
    config = await connectionConfig(flags, system, { "batch-size": "maxBatchSize" });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(...error.problems);
    config = {};
  }

  let checkpoint: Checkpoint | undefined;
  let current: InputFingerprint | undefined;
  if (problems.length === 0 && !fromStdin) {
    ({ checkpoint, current } = await checkResume(system, flags, input, kind, paths, problems));
  }
  if (problems.length === 0 && !flags.resume && ((await system.size(paths.deadLetter)) ?? 0) > 0) {
    problems.push(
      `the dead-letter file ${paths.deadLetter} exists: move it away or choose --dead-letter FILE`,
    );
  }
  return {
    problems,
    config,
    options: { kind: kind as Kind, input, concurrency, paths, current, checkpoint },
  };
}

/**
 * What the checkpoint next to the dead-letter file says about this run: with `--resume`, the
 * checkpoint to continue (or why it cannot be); without, a problem if one exists. Problems are
 * added to `problems`.
 */
async function checkResume(
  system: CliSystem,
  flags: Flags,
  input: string,
  kind: unknown,
  paths: { readonly checkpoint: string },
  problems: string[],
): Promise<{ checkpoint?: Checkpoint; current: InputFingerprint }> {
  let checkpoint: Checkpoint | undefined;
  const current = await fingerprint(system, input);
  const saved = await readCheckpoint(system, paths.checkpoint);
  if (flags.resume) {
    if (!saved) problems.push(`no checkpoint at ${paths.checkpoint}: nothing to resume`);
    else {
      const mismatch = fingerprintMismatch(saved.input, current);
      if (mismatch) problems.push(`refusing to resume from ${paths.checkpoint}: ${mismatch}`);
      if (saved.kind !== kind) {
        problems.push(`the checkpoint is for --kind ${saved.kind}, not ${kind}`);
      }
      if (flags["batch-size"] !== undefined && flags["batch-size"] !== saved.batchSize) {
        problems.push(
          `the run used --batch-size ${saved.batchSize}; a resumed run must keep it`,
        );
      }
      if (saved.complete) problems.push(`${paths.checkpoint} says the run already completed`);
      checkpoint = saved;
    }
  } else if (saved) {
    problems.push(
      `a checkpoint of an interrupted run exists at ${paths.checkpoint}: add --resume to ` +
        "continue it, or remove it to start over",
    );
  }
  return { checkpoint, current };
}

async function runSend(args: ParsedArgs, system: CliSystem): Promise<number> {
  const { problems, config, options } = await prepareSend(args, system);
  if (problems.length > 0) throw new UsageError(problems);
  const flags: Flags = args.flags;
  const client = new VectorVueClient({
    ...config,
    ...(options.checkpoint ? { maxBatchSize: options.checkpoint.batchSize } : {}),
  });
  try {
    return await new SendRun(system, client, {
      ...options,
      verbose: flags.verbose === true,
      strict: flags.strict === true,
      json: flags.json === true,
      quiet: flags.quiet === true,
      progressIntervalMs: ((flags["progress-interval"] as number | undefined) ?? 5) * 1000,
    }).run();
  } finally {
    await client.close();
  }
}
