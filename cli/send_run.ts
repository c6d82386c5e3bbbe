/**
 * One `vectorvue send` run: reads chunks of the input, sends them, settles each (dead letters,
 * counts, checkpoint), shows progress, handles Ctrl+C, and ends with the summary.
 *
 * @module
 */
import type { VectorVueClient } from "../mod.ts";
import {
  type Checkpoint,
  type Counts,
  HEAD_BYTES,
  type InputFingerprint,
  writeCheckpoint,
} from "./checkpoint.ts";
import { EXIT } from "./command.ts";
import { DeadLetterWriter } from "./dead_letter.ts";
import { detectFormat, type InputFormat, type InputRecord, readRecords } from "./input.ts";
import { ProgressRenderer, type ProgressState, RateMeter } from "./progress.ts";
import type { CliSystem } from "../src/platform/command_line.ts";
import { describeError } from "./errors.ts";
import { afterHardExit, SendStop } from "./send_stop.ts";
import {
  bulk,
  type Chunk,
  deadLetterEntries,
  type Delivered,
  deliveredOf,
  type Kind,
  readChunk,
  ReadTracker,
} from "./send_chunks.ts";
import { printSummary, type SendSummary, summarise } from "./send_summary.ts";

/** What a run is asked to do, once its arguments are checked. */
export interface RunOptions {
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

/** One run of `send`, from login to summary. */
export class SendRun {
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
  /** How much of the input this run has read (set when it starts). */
  #read = new ReadTracker(0, 0);
  /** Whether a checkpoint file exists for this run (written by it, or the one it resumes). */
  #checkpointed: boolean;
  readonly #stop: SendStop;
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
    this.#stop = new SendStop(
      system,
      this.#progress,
      () => afterHardExit(options, this.#checkpointed, this.#deadLetters.bytes),
    );
  }

  get #settled(): number {
    const c = this.#counts;
    return c.accepted + c.rejected + c.failed + c.malformed;
  }

  #state(): ProgressState {
    const c = this.#counts;
    const f = this.#inFlight;
    const done = this.#settled + f.accepted + f.rejected + f.failed;
    const total = this.#read.total(this.#options.current?.size);
    return {
      done,
      total,
      estimated: !this.#read.done,
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

  #showProgress(force = false): void {
    if (this.#options.quiet) return;
    this.#progress.update(this.#state(), force);
  }

  async run(): Promise<number> {
    const saved = this.#options.checkpoint;
    this.#read = new ReadTracker(saved ? this.#settled : 0, this.#next.offset);
    const removeSignals = [
      this.#system.onSignal("SIGINT", this.#stop.onSignal),
      this.#system.onSignal("SIGTERM", this.#stop.onSignal),
    ];
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
      const { status, stopError } = await this.#sendChunks(await this.#openRecords());
      return await this.#finish(status, stopError);
    } finally {
      for (const remove of removeSignals) remove();
    }
  }

  /** The records of the input, from where the run starts. */
  async #openRecords(): Promise<AsyncIterator<InputRecord>> {
    const { input } = this.#options;
    // The checkpoint must know the layout to resume inside a JSON array.
    if (input !== "-" && this.#format === undefined) {
      this.#format = detectFormat(await this.#system.readHead(input, HEAD_BYTES));
    }
    const stream = input === "-"
      ? this.#system.stdin()
      : await this.#system.readFrom(input, this.#next.offset);
    const records = readRecords(stream, { ...this.#next, format: this.#format });
    const iterator = records[Symbol.asyncIterator]();
    return iterator;
  }

  /** The chunk loop: reads the next chunk while this one is sent, until the end or a stop. */
  async #sendChunks(
    iterator: AsyncIterator<InputRecord>,
  ): Promise<{ status: SendSummary["status"]; stopError?: string }> {
    const { input } = this.#options;
    const saved = this.#options.checkpoint;
    let status: SendSummary["status"] = "completed";
    let stopError: string | undefined;
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
        if (this.#stop.stopReading.signal.aborted) {
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
        if (this.#stop.stopReading.signal.aborted) {
          status = "interrupted";
          break;
        }
      }
    } finally {
      clearInterval(ticker);
      await iterator.return?.(undefined).catch(() => {});
    }
    return { status, stopError };
  }

  /** Ends the run: final progress, dead letters closed, checkpoint, summary; the exit status. */
  async #finish(status: SendSummary["status"], stopError: string | undefined): Promise<number> {
    this.#showProgress(true);
    if (!this.#options.quiet) this.#progress.finish();
    await this.#deadLetters.close();
    const complete = status === "completed";
    if (this.#options.current) {
      if (complete) await this.#system.remove(this.#options.paths.checkpoint);
      else await this.#saveCheckpoint(false);
    }
    const summary = summarise(status, {
      kind: this.#options.kind,
      input: this.#options.input,
      counts: this.#counts,
      inFlightAccepted: this.#inFlight.accepted,
      unsettled: this.#unsettled,
      elapsedMs: this.#priorElapsedMs + (Date.now() - this.#startedMs),
      requests: this.#requests,
      rateLimited: this.#rateLimited,
      rateLimitWaitMs: this.#rateLimitWaitMs,
      rejectedRequestIds: this.#rejectedRequestIds,
      deadLetter: { path: this.#options.paths.deadLetter, bytes: this.#deadLetters.bytes },
      checkpoint: this.#options.current ? this.#options.paths.checkpoint : undefined,
    }, stopError);
    await printSummary(this.#system, summary, this.#options.json);
    if (status === "interrupted") return EXIT.interrupted;
    const c = this.#counts;
    return status === "completed" && c.rejected + c.failed + c.malformed === 0
      ? EXIT.ok
      : EXIT.failed;
  }

  #noteRead(chunk: Chunk): void {
    this.#read.note(chunk);
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
      signal: this.#stop.abortDelivery.signal,
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
    if (this.#stop.abortDelivery.signal.aborted) {
      // The chunk stays unsettled (a resumed run sends all of it again; the server stores each
      // item once). What the server confirmed is still counted, as the progress line showed it;
      // the rest is not "failed" (nothing is dead-lettered), only not settled.
      this.#inFlight = { accepted: result.accepted, rejected: 0, failed: 0 };
      this.#unsettled = chunk.items.length + chunk.malformed.length - result.accepted;
      return "interrupted";
    }
    return deliveredOf(chunk, result, this.#options.verbose);
  }

  async #settle(chunk: Chunk, delivered: Delivered): Promise<void> {
    const entries = deadLetterEntries(chunk, delivered, this.#counts);
    // Counted now as settled, no longer as in flight (in the same turn, so progress never dips).
    this.#inFlight = { accepted: 0, rejected: 0, failed: 0 };
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
}
