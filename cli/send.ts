/**
 * `vectorvue send`: streams NDJSON or a JSON array to VectorVue in batches through the client's
 * bulk API, with progress, a dead-letter file, a checkpoint after every settled chunk, and
 * `--resume`.
 *
 * @module
 */
import { VectorVueClient } from "../src/client.ts";
import type { BulkItemResult, BulkOptions, BulkResult } from "../src/delivery/bulk.ts";
import type { VectorVueConfig } from "../src/config.ts";
import type { VectorVueEvent, VectorVueFinding } from "../src/payloads/types.ts";
import { type FlagSpec, type ParsedArgs, UsageError } from "./args.ts";
import {
  type Checkpoint,
  type Counts,
  fingerprint,
  fingerprintMismatch,
  HEAD_BYTES,
  type InputFingerprint,
  readCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import { type Command, EXIT } from "./command.ts";
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionConfig } from "./connection.ts";
import { type DeadLetter, DeadLetterWriter } from "./dead_letter.ts";
import { detectFormat, type InputFormat, type InputRecord, readRecords } from "./input.ts";
import { formatDuration, ProgressRenderer, type ProgressState, RateMeter } from "./progress.ts";
import type { CliSystem } from "../src/platform/command_line.ts";
import { describeError, describeMessage } from "./errors.ts";
import { InterruptCounter } from "./interrupts.ts";

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
  { name: "concurrency", type: "integer", value: "N", help: "requests in flight (default 2)" },
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

/** How long in-flight batches may take to finish after the first Ctrl+C. */
const GRACE_MS = 30_000;

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

/** The final account of a run, as `--json` prints it. */
export interface SendSummary {
  status: "completed" | "interrupted" | "stopped";
  kind: "events" | "findings";
  input: string;
  /** Items settled (malformed lines included). */
  items: number;
  /** Items sent to the server: accepted, rejected or failed (malformed lines are never sent). */
  sent: number;
  accepted: number;
  rejected: number;
  failed: number;
  malformed: number;
  /** Items read but not settled when the grace period after Ctrl+C ran out: --resume sends them. */
  unsettled: number;
  elapsedMs: number;
  requests: number;
  rateLimited: number;
  rateLimitWaitMs: number;
  rejectedRequestIds: string[];
  deadLetter: { path: string; records: number } | null;
  checkpoint: string | null;
  error?: string;
}

/** One chunk of items read, with the line of each and where it ends. */
interface Chunk {
  readonly items: Record<string, unknown>[];
  readonly lines: number[];
  readonly malformed: InputRecord[];
  readonly end: { offset: number; line: number };
  readonly eof: boolean;
}

async function readChunk(
  records: AsyncIterator<InputRecord>,
  start: { offset: number; line: number },
  size: number,
  strict: boolean,
): Promise<Chunk> {
  const items: Record<string, unknown>[] = [];
  const lines: number[] = [];
  const malformed: InputRecord[] = [];
  let end = start;
  while (items.length < size) {
    const next = await records.next();
    if (next.done) return { items, lines, malformed, end, eof: true };
    const record = next.value;
    end = { offset: record.endOffset, line: record.line + 1 };
    if (record.item) {
      items.push(record.item);
      lines.push(record.line);
    } else {
      malformed.push(record);
      if (strict) break;
    }
  }
  return { items, lines, malformed, end, eof: false };
}

/** Per-chunk outcome of the client's bulk send. */
interface Delivered {
  readonly items: readonly BulkItemResult[];
  readonly rejectedRequestIds: readonly string[];
}

type Kind = "events" | "findings";

function bulk(
  client: VectorVueClient,
  kind: Kind,
  items: Record<string, unknown>[],
  options: BulkOptions,
): Promise<BulkResult> {
  // Lines from a file: the server judges them (a refused one comes back `rejected`).
  return kind === "events"
    ? client.sendEvents(items as unknown as VectorVueEvent[], options)
    : client.sendFindings(items as unknown as VectorVueFinding[], options);
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
  const concurrency = (flags.concurrency as number | undefined) ?? 2;
  if (concurrency < 1 || concurrency > 16) {
    problems.push(`--concurrency must be 1..16, got ${concurrency}`);
  }
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
    current = await fingerprint(system, input);
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

interface RunOptions {
  readonly kind: Kind;
  readonly input: string;
  readonly concurrency: number;
  readonly paths: { readonly deadLetter: string; readonly checkpoint: string };
  readonly current?: InputFingerprint;
  readonly checkpoint?: Checkpoint;
  readonly strict: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly progressIntervalMs: number;
  /** Errors with their class and full request line. */
  readonly verbose?: boolean;
}

/** Lines of malformed input reported on standard error before the rest go to the file only. */
const REPORTED_LINES = 20;

class SendRun {
  readonly #system: CliSystem;
  readonly #client: VectorVueClient;
  readonly #options: RunOptions;
  readonly #counts: Counts;
  readonly #deadLetters: DeadLetterWriter;
  readonly #progress: ProgressRenderer;
  readonly #rate = new RateMeter();
  readonly #startedMs = Date.now();
  readonly #priorElapsedMs: number;
  readonly #runId: string;
  readonly #batchSize: number;
  readonly #chunkItems: number;
  readonly #rejectedRequestIds: string[] = [];
  #requests: number;
  #rateLimited: number;
  #rateLimitWaitMs: number;
  /** Why the chunk being sent waits, and until when, from the client's progress reports. */
  #paused: { reason: string; untilMs: number; shared?: boolean } | undefined;
  #next: { offset: number; line: number };
  #format: InputFormat | undefined;
  #reported = 0;
  #bytesPerItem: number | undefined;
  readonly #interrupts = new InterruptCounter();
  /** Whether a checkpoint file exists for this run (written by it, or the one it resumes). */
  #checkpointed: boolean;
  readonly #stopReading = new AbortController();
  readonly #abortDelivery = new AbortController();
  #inFlight = { accepted: 0, rejected: 0, failed: 0 };
  /** Items of a chunk cut short by the grace period's end: not settled, sent again by --resume. */
  #unsettled = 0;

  constructor(
    system: CliSystem,
    client: VectorVueClient,
    options: RunOptions,
  ) {
    this.#system = system;
    this.#client = client;
    this.#options = options;
    const saved = options.checkpoint;
    this.#counts = saved
      ? { ...saved.counts }
      : { accepted: 0, rejected: 0, failed: 0, malformed: 0 };
    this.#priorElapsedMs = saved?.elapsedMs ?? 0;
    this.#checkpointed = saved !== undefined;
    this.#requests = saved?.requests ?? 0;
    this.#rateLimited = saved?.rateLimited ?? 0;
    this.#rateLimitWaitMs = saved?.rateLimitWaitMs ?? 0;
    this.#runId = saved?.runId ?? crypto.randomUUID();
    this.#batchSize = client.maxBatchSize;
    this.#chunkItems = saved?.chunkItems ?? this.#batchSize * options.concurrency * 4;
    this.#next = saved ? { ...saved.next } : { offset: 0, line: 1 };
    this.#format = saved?.format;
    this.#deadLetters = new DeadLetterWriter(
      system,
      options.paths.deadLetter,
      saved?.deadLetter.bytes,
    );
    this.#progress = new ProgressRenderer({
      write: (text) => system.stderr(text),
      terminal: system.stderrIsTerminal(),
      columns: () => system.columns(),
      intervalMs: options.progressIntervalMs,
    });
  }

  get #settled(): number {
    const c = this.#counts;
    return c.accepted + c.rejected + c.failed + c.malformed;
  }

  #state(): ProgressState {
    const c = this.#counts;
    const f = this.#inFlight;
    const done = this.#settled + f.accepted + f.rejected + f.failed;
    let total: number | undefined;
    const size = this.#options.current?.size;
    if (this.#readDone) total = this.#readItems + this.#priorItems;
    else if (size !== undefined && this.#bytesPerItem) {
      total = this.#priorItems + this.#readItems +
        Math.round((size - this.#readOffset) / this.#bytesPerItem);
    }
    return {
      done,
      total,
      estimated: !this.#readDone,
      accepted: c.accepted + f.accepted,
      rejected: c.rejected + f.rejected,
      failed: c.failed + f.failed,
      malformed: c.malformed,
      rate: this.#rate.sample(done, Date.now()),
      averageRate: this.#rate.average(Date.now(), done),
      paused: this.#paused,
      rateLimited: this.#rateLimited,
      rateLimitWaitMs: this.#rateLimitWaitMs,
    };
  }

  #readItems = 0;
  #readOffset = 0;
  #readDone = false;
  #priorItems = 0;

  #showProgress(force = false): void {
    if (this.#options.quiet) return;
    this.#progress.update(this.#state(), force);
  }

  #onSignal = (): void => {
    // A parent that forwards signals (`deno task`) delivers one Ctrl+C twice: count presses.
    const count = this.#interrupts.deliver();
    if (count === undefined) return;
    if (count >= 2) {
      this.#progress.finish();
      this.#system.stderr(`interrupted again: exiting now; ${this.#afterHardExit()}\n`);
      this.#system.exit(EXIT.interrupted);
    }
    this.#progress.message(
      "interrupted: finishing the batches in flight (Ctrl+C again to exit at once)",
    );
    this.#stopReading.abort();
    const timer = setTimeout(() => this.#abortDelivery.abort(new Error("interrupted")), GRACE_MS);
    // The grace period must not keep a finished run alive.
    this.#system.unrefTimer(timer);
  };

  /** What to do after an exit that skips the summary: resume, or start again. */
  #afterHardExit(): string {
    const { paths, current } = this.#options;
    if (!current) return "standard input cannot be resumed: send what is left of it again";
    if (this.#checkpointed) {
      return `the checkpoint stays as last written (${paths.checkpoint}): ` +
        "run the same command with --resume to continue";
    }
    // Nothing settled yet: a checkpoint would only say "start at line 1".
    return "nothing was checkpointed yet: run the same command again, without --resume" +
      (this.#deadLetters.bytes > 0 ? `, once ${paths.deadLetter} is moved away` : "");
  }

  async run(): Promise<number> {
    const { input } = this.#options;
    const saved = this.#options.checkpoint;
    this.#priorItems = saved ? this.#settled : 0;
    const removeSignals = [
      this.#system.onSignal("SIGINT", this.#onSignal),
      this.#system.onSignal("SIGTERM", this.#onSignal),
    ];
    let status: SendSummary["status"] = "completed";
    let stopError: string | undefined;
    try {
      // Bad credentials or an unreachable server: say so before reading anything.
      try {
        await this.#client.login();
      } catch (error) {
        // Exit 2 (nothing was sent), without the usage hint: the command line was right.
        this.#system.stderr(
          `vectorvue send: cannot log in: ${describeError(error, this.#options.verbose)}\n`,
        );
        return EXIT.usage;
      }
      // The checkpoint must know the layout to resume inside a JSON array.
      if (input !== "-" && this.#format === undefined) {
        this.#format = detectFormat(await this.#system.readHead(input, HEAD_BYTES));
      }
      const stream = input === "-"
        ? this.#system.stdin()
        : await this.#system.readFrom(input, this.#next.offset);
      const records = readRecords(stream, { ...this.#next, format: this.#format });
      const iterator = records[Symbol.asyncIterator]();
      this.#readOffset = this.#next.offset;
      let reading = readChunk(iterator, this.#next, this.#chunkItems, this.#options.strict);
      if (saved && !this.#options.quiet) {
        this.#progress.message(
          `resuming ${input} at line ${this.#next.line}: ${
            this.#settled.toLocaleString("en-US")
          } items already settled`,
        );
      }
      const ticker = setInterval(() => this.#showProgress(), 100);
      try {
        while (true) {
          const chunk = await reading;
          if (this.#stopReading.signal.aborted) {
            status = "interrupted";
            break;
          }
          this.#noteRead(chunk);
          const more = !chunk.eof && !(this.#options.strict && chunk.malformed.length > 0);
          if (more) {
            reading = readChunk(iterator, chunk.end, this.#chunkItems, this.#options.strict);
          }
          const outcome = await this.#deliver(chunk);
          if (outcome === "interrupted") {
            status = "interrupted";
            break;
          }
          if (typeof outcome === "string") {
            status = "stopped";
            stopError = outcome;
            break;
          }
          await this.#settle(chunk, outcome);
          this.#showProgress();
          if (!more) {
            if (chunk.malformed.length > 0 && this.#options.strict) {
              status = "stopped";
              stopError = `--strict: line ${chunk.malformed[0].line} is malformed`;
            }
            break;
          }
          if (this.#stopReading.signal.aborted) {
            status = "interrupted";
            break;
          }
        }
      } finally {
        clearInterval(ticker);
        await iterator.return?.(undefined).catch(() => {});
      }
      this.#showProgress(true);
      if (!this.#options.quiet) this.#progress.finish();
      await this.#deadLetters.close();
      const complete = status === "completed";
      if (this.#options.current) {
        if (complete) await this.#system.remove(this.#options.paths.checkpoint);
        else await this.#saveCheckpoint(false);
      }
      const summary = this.#summary(status, stopError);
      await this.#printSummary(summary);
      if (status === "interrupted") return EXIT.interrupted;
      const c = this.#counts;
      return status === "completed" && c.rejected + c.failed + c.malformed === 0
        ? EXIT.ok
        : EXIT.failed;
    } finally {
      for (const remove of removeSignals) remove();
    }
  }

  #noteRead(chunk: Chunk): void {
    this.#readItems += chunk.items.length + chunk.malformed.length;
    const bytes = chunk.end.offset - this.#readOffset;
    const consumed = chunk.end.offset - (this.#options.checkpoint?.next.offset ?? 0);
    if (this.#readItems > 0 && consumed > 0) this.#bytesPerItem = consumed / this.#readItems;
    this.#readOffset += bytes;
    if (chunk.eof) this.#readDone = true;
    for (const record of chunk.malformed) {
      if (this.#options.quiet) continue;
      if (this.#reported < REPORTED_LINES) {
        this.#progress.message(`line ${record.line}: ${record.errorMessage}`);
      } else if (this.#reported === REPORTED_LINES) {
        this.#progress.message(`more malformed lines: see ${this.#options.paths.deadLetter}`);
      }
      this.#reported++;
    }
  }

  /** Sends a chunk; a string is an error that stops the run (nothing of the chunk settled). */
  async #deliver(chunk: Chunk): Promise<Delivered | "interrupted" | string> {
    if (chunk.items.length === 0) {
      return { items: [], rejectedRequestIds: [] };
    }
    const result = await bulk(this.#client, this.#options.kind, chunk.items, {
      concurrency: this.#options.concurrency,
      signal: this.#abortDelivery.signal,
      // The same batch gets the same key in a resumed run: chunks start where the checkpoint
      // says and are packed the same way, and the key names the run and the batch's first line.
      idempotencyKey: ({ firstIndex, count }) =>
        `vectorvue-send-${this.#runId}-${chunk.lines[firstIndex]}-${count}`,
      onProgress: (progress) => {
        this.#inFlight = {
          accepted: progress.accepted,
          rejected: progress.rejected,
          failed: progress.failed,
        };
        this.#paused = progress.paused && {
          reason: progress.paused.reason,
          untilMs: progress.paused.until,
          shared: progress.paused.shared,
        };
      },
    });
    this.#paused = undefined;
    this.#requests += result.requests;
    this.#rateLimited += result.rateLimited;
    this.#rateLimitWaitMs += result.rateLimitWaitMs;
    if (this.#abortDelivery.signal.aborted) {
      // The chunk stays unsettled (a resumed run sends all of it again; the server stores each
      // item once). What the server confirmed is still counted, as the progress line showed it;
      // the rest is not "failed" (nothing is dead-lettered), only not settled.
      this.#inFlight = { accepted: result.accepted, rejected: 0, failed: 0 };
      this.#unsettled = chunk.items.length + chunk.malformed.length - result.accepted;
      return "interrupted";
    }
    const rejectedRequestIds = new Set<string>();
    for (const item of result.items) {
      if (item.status === "rejected" && item.requestId) rejectedRequestIds.add(item.requestId);
    }
    const delivered: Delivered = {
      items: result.items,
      rejectedRequestIds: [...rejectedRequestIds],
    };
    if (result.failed === chunk.items.length && result.failed > 0) {
      // Nothing got through: the server is down or refusing us beyond the delivery budget.
      // Stop here with the chunk unsettled, rather than dead-letter the rest of the input.
      const first = result.items.find((item) => item.status === "failed");
      return `nothing delivered: ${
        this.#options.verbose
          ? `${first?.errorCode}: ${first?.errorMessage}`
          : describeMessage(first?.errorMessage ?? "")
      }`;
    }
    return delivered;
  }

  async #settle(chunk: Chunk, delivered: Delivered): Promise<void> {
    const entries: DeadLetter[] = chunk.malformed.map((record) => ({
      line: record.line,
      reason: "malformed",
      code: record.errorCode ?? "malformed",
      message: record.errorMessage ?? "",
      raw: record.raw,
    }));
    for (const outcome of delivered.items) {
      if (outcome.status === "accepted") {
        this.#counts.accepted++;
        continue;
      }
      if (outcome.status === "rejected") this.#counts.rejected++;
      else this.#counts.failed++;
      entries.push({
        line: chunk.lines[outcome.index],
        reason: outcome.status,
        code: outcome.errorCode ?? outcome.status,
        message: outcome.errorMessage ?? "",
        requestId: outcome.requestId,
        item: chunk.items[outcome.index],
      });
    }
    this.#counts.malformed += chunk.malformed.length;
    // Counted now as settled, no longer as in flight (in the same turn, so progress never dips).
    this.#inFlight = { accepted: 0, rejected: 0, failed: 0 };
    entries.sort((a, b) => a.line - b.line);
    await this.#deadLetters.write(entries);
    await this.#deadLetters.sync();
    for (const id of delivered.rejectedRequestIds) {
      if (!this.#rejectedRequestIds.includes(id)) this.#rejectedRequestIds.push(id);
    }
    this.#next = chunk.end;
    if (this.#options.current) await this.#saveCheckpoint(false);
  }

  async #saveCheckpoint(complete: boolean): Promise<void> {
    const current = this.#options.current;
    if (!current) return;
    await writeCheckpoint(this.#system, this.#options.paths.checkpoint, {
      version: 1,
      kind: this.#options.kind,
      input: current,
      format: this.#format ?? "ndjson",
      runId: this.#runId,
      batchSize: this.#batchSize,
      chunkItems: this.#chunkItems,
      next: this.#next,
      counts: this.#counts,
      requests: this.#requests,
      rateLimited: this.#rateLimited,
      rateLimitWaitMs: this.#rateLimitWaitMs,
      deadLetter: { path: this.#options.paths.deadLetter, bytes: this.#deadLetters.bytes },
      elapsedMs: this.#priorElapsedMs + (Date.now() - this.#startedMs),
      complete,
      updatedAt: new Date().toISOString(),
    });
    this.#checkpointed = true;
  }

  #summary(status: SendSummary["status"], error?: string): SendSummary {
    const c = this.#counts;
    const deadRecords = this.#deadLetters.bytes > 0;
    // Confirmed items of a chunk cut short count as the progress line counted them.
    const accepted = c.accepted + this.#inFlight.accepted;
    return {
      status,
      kind: this.#options.kind,
      input: this.#options.input,
      items: this.#settled + this.#inFlight.accepted,
      sent: accepted + c.rejected + c.failed,
      ...c,
      accepted,
      unsettled: this.#unsettled,
      elapsedMs: this.#priorElapsedMs + (Date.now() - this.#startedMs),
      requests: this.#requests,
      rateLimited: this.#rateLimited,
      rateLimitWaitMs: this.#rateLimitWaitMs,
      rejectedRequestIds: this.#rejectedRequestIds,
      deadLetter: deadRecords
        ? { path: this.#options.paths.deadLetter, records: c.rejected + c.failed + c.malformed }
        : null,
      checkpoint: status === "completed" || !this.#options.current
        ? null
        : this.#options.paths.checkpoint,
      ...(error === undefined ? {} : { error }),
    };
  }

  async #printSummary(summary: SendSummary): Promise<void> {
    if (this.#options.json) {
      await this.#system.stdout(`${JSON.stringify(summary)}\n`);
      return;
    }
    await this.#system.stdout(formatSummary(summary));
  }
}

/** The human summary. */
export function formatSummary(s: SendSummary): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const seconds = s.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(s.sent / seconds) : 0;
  const head = s.status === "completed"
    ? "sent"
    : s.status === "interrupted"
    ? "interrupted after"
    : "stopped after";
  const lines = [
    `${head} ${n(s.sent)} ${s.kind} from ${s.input} in ${formatDuration(s.elapsedMs)} (${
      n(rate)
    }/s)`,
    `  accepted   ${n(s.accepted)}`,
    `  rejected   ${n(s.rejected)}${s.rejected ? "  (refused by the server)" : ""}`,
    `  failed     ${n(s.failed)}${s.failed ? "  (not delivered in the delivery budget)" : ""}`,
    `  malformed  ${n(s.malformed)}${s.malformed ? "  (lines that are not JSON objects)" : ""}`,
    ...(s.unsettled > 0
      ? [`  unsettled  ${n(s.unsettled)}  (not confirmed in the grace period: --resume sends them)`]
      : []),
    `  requests   ${n(s.requests)}, answered 429: ${n(s.rateLimited)}, waited for the rate limit ${
      formatDuration(s.rateLimitWaitMs)
    }`,
  ];
  if (s.rejectedRequestIds.length > 0) {
    lines.push(`  request ids of batches with rejected items: ${s.rejectedRequestIds.join(" ")}`);
  }
  if (s.deadLetter) lines.push(`  dead-letter file: ${s.deadLetter.path}`);
  if (s.error) lines.push(`  stopped: ${s.error}`);
  if (s.checkpoint) {
    lines.push(`  checkpoint: ${s.checkpoint} (run the same command with --resume to continue)`);
  }
  return `${lines.join("\n")}\n`;
}
