/**
 * One `vectorvue ship` process: opens the spooled batcher on the state directory, reads lines
 * from the followed files (from where the spool says each was taken) or from standard input,
 * takes them, serves metrics, reacts to signals, and at the end says what it did.
 *
 * @module
 */
import type { ItemOrigin, RejectedItem, VectorVueBatcher, VectorVueClient } from "../mod.ts";
import type { CliSystem } from "../src/platform/command_line.ts";
import type { Follower, FollowEvent, FollowOptions } from "./follow.ts";
import { EXIT } from "./command.ts";
import { describeError } from "./errors.ts";
import { serveMetrics } from "./metrics_server.ts";
import { ShipDeadLetters } from "./ship_dead_letter.ts";
import { DeliveryHealth } from "./ship_health.ts";
import type { OriginBatcher, ShipLine } from "./ship_lines.ts";
import type { ShipLog } from "./ship_log.ts";
import { shipMetrics } from "./ship_metrics.ts";
import type { ShipSettings } from "./ship_options.ts";
import { STDIN_SOURCE, stdinLines } from "./ship_stdin.ts";
import { ShipStop } from "./ship_stop.ts";
import { type ShipSummary, writeSummary } from "./ship_summary.ts";
import { LineTaker } from "./ship_take.ts";
import {
  DELIVER_UNTIL_DELIVERED_MS,
  LOGGED_EVENTS,
  MAX_QUEUE_BYTES,
  MAX_QUEUE_SIZE,
  maxLineBytes,
} from "./ship_limits.ts";

/** The follower as the shipper uses it. */
export type FollowerLike = Pick<Follower, "lines" | "rescan" | "files" | "close">;

/** Makes the follower of a run. */
export type FollowerFactory = (options: FollowOptions) => FollowerLike;

/** What a run is asked to do, once its arguments are checked. */
export interface ShipRunOptions {
  readonly settings: ShipSettings;
  /** Paths and globs to follow, or `["-"]` for standard input. */
  readonly inputs: readonly string[];
  readonly stateDir: string;
  readonly deadLetter: string;
  readonly json: boolean;
  readonly follower: FollowerFactory;
}

/** See the module comment. */
export class ShipRun {
  readonly #system: CliSystem;
  readonly #client: VectorVueClient;
  readonly #options: ShipRunOptions;
  readonly #log: ShipLog;
  readonly #health: DeliveryHealth;
  readonly #deadLetters: ShipDeadLetters;
  readonly #stop: ShipStop;
  /** The path last seen for each source (origins name sources, people read paths). */
  readonly #paths = new Map<string, string>();
  #batcher: OriginBatcher | undefined;
  #taker: LineTaker | undefined;
  #follower: FollowerLike | undefined;
  #closing: Promise<void> | undefined;
  /** Why the run must stop and exit 1, found outside the reading loop (a dead letter not written). */
  #fatal: unknown;
  readonly #maxLineBytes: number;

  /** `health` must be the one whose hooks the client was given (see {@linkcode ShipRun.health}). */
  constructor(
    system: CliSystem,
    client: VectorVueClient,
    options: ShipRunOptions,
    log: ShipLog,
    health: DeliveryHealth,
  ) {
    this.#system = system;
    this.#client = client;
    this.#options = options;
    this.#log = log;
    this.#health = health;
    this.#deadLetters = new ShipDeadLetters(system, options.deadLetter);
    this.#stop = new ShipStop(system, log, options.settings.graceMs, () => this.#stdinFields());
    this.#maxLineBytes = maxLineBytes(options.settings.spoolMaxBytes);
  }

  /** The run's health, which logs each change of state; its hooks go to the client. */
  static health(thresholdMs: number, log: ShipLog): DeliveryHealth {
    return new DeliveryHealth(thresholdMs, (change) =>
      log.log(
        change.state === "delivering" ? "info" : "warn",
        change.state,
        STATE_WORDS[change.state],
        { previous: change.previous, reason: change.reason },
      ));
  }

  /** Runs until the input ends or a signal stops it; resolves to the exit status. */
  async run(): Promise<number> {
    const { settings } = this.#options;
    const health = this.#health;
    const batcher = this.#client.createBatcher({
      kind: settings.kind,
      concurrency: settings.concurrency,
      maxQueueSize: MAX_QUEUE_SIZE,
      maxQueueBytes: MAX_QUEUE_BYTES,
      deliveryBudgetMs: DELIVER_UNTIL_DELIVERED_MS,
      spool: { dir: `${this.#options.stateDir}/spool`, maxBytes: settings.spoolMaxBytes },
      onRejected: (items) => this.#rejected(items),
      onDeadLetter: (items, error, origins) => this.#failed(items, error, origins),
    });
    this.#batcher = batcher;
    try {
      await batcher.ready();
    } catch (error) {
      return await this.#cannotStart(batcher, `cannot open the spool: ${describeError(error)}`);
    }
    this.#taker = new LineTaker(batcher, this.#deadLetters, {
      maxQueueSize: MAX_QUEUE_SIZE,
      maxQueueBytes: MAX_QUEUE_BYTES,
      spoolMaxBytes: settings.spoolMaxBytes,
    }, this.#maxLineBytes);
    let metrics;
    try {
      metrics = settings.metrics && await serveMetrics({
        metrics: () => shipMetrics(this.#snapshot(health)),
        health: () => health.check(),
      }, settings.metrics);
    } catch (error) {
      return await this.#cannotStart(batcher, `cannot serve metrics: ${describeError(error)}`);
    }
    const unlisten = this.#listen();
    this.#log.log("info", "started", "shipping", {
      inputs: this.#options.inputs,
      state_dir: this.#options.stateDir,
      dead_letter: this.#options.deadLetter,
      ...(metrics ? { metrics: metrics.url } : {}),
    });
    let fatal: unknown;
    try {
      fatal = (await this.#readAll(batcher)) ?? this.#fatal;
      // After a failure, what is in flight is not waited for: the spool keeps it.
      if (fatal !== undefined) this.#stop.giveUp.abort(fatal);
      await this.#close();
      fatal ??= this.#fatal;
    } finally {
      unlisten();
      await this.#deadLetters.close().catch(() => {});
      await metrics?.close();
    }
    return await this.#finish(fatal);
  }

  /** Start-up failed before any line was read: nothing is sent, the spool keeps what it holds. */
  async #cannotStart(batcher: VectorVueBatcher, message: string): Promise<number> {
    await batcher.close({ signal: AbortSignal.abort() }).catch(() => {});
    this.#log.log("error", "failed", message);
    return EXIT.failed;
  }

  /** Signals: SIGTERM and SIGINT stop, SIGHUP looks for new files at once. */
  #listen(): () => void {
    const stops = (["SIGTERM", "SIGINT"] as const).map((name) =>
      this.#system.onSignal(name, () => this.#stop.onSignal(name))
    );
    const hangUp = this.#system.onSignal("SIGHUP", () => {
      const stdin = this.#options.inputs[0] === STDIN_SOURCE;
      this.#log.log("info", "rescan", `SIGHUP: ${stdin ? "no paths to rescan" : "rescanning"}`);
      this.#follower?.rescan();
    });
    // Once the grace period is over, adds still waiting for room are refused (their lines are
    // not taken), and what is not delivered stays in the spool.
    this.#stop.giveUp.signal.addEventListener("abort", () => void this.#close().catch(() => {}));
    return () => [...stops, hangUp].forEach((stop) => stop());
  }

  /** Reads and takes lines until the input ends or reading stops; a fatal error, if any. */
  async #readAll(batcher: OriginBatcher): Promise<unknown> {
    const signal = this.#stop.stopReading.signal;
    const stdin = this.#options.inputs.length === 1 && this.#options.inputs[0] === STDIN_SOURCE;
    let source: AsyncIterable<readonly ShipLine[]>;
    if (stdin) {
      const before = batcher.origins().get(STDIN_SOURCE);
      if (before !== undefined) {
        this.#log.log(
          "info",
          "stdin_before",
          "the last shipper on this state directory took " +
            `standard input up to byte ${before} of its stream`,
          { bytes: before },
        );
      }
      source = stdinLines(this.#system.stdin(), { signal, maxLineBytes: this.#maxLineBytes });
    } else {
      this.#follower = this.#options.follower({
        patterns: this.#options.inputs,
        fromStart: this.#options.settings.fromStart,
        positions: batcher.origins(),
        // From the end: where new files started, kept until their lines reach the spool.
        ...(this.#options.settings.fromStart
          ? {}
          : { startsFile: `${this.#options.stateDir}/starts.json` }),
        maxLineBytes: this.#maxLineBytes,
        onEvent: (event) => this.#fileEvent(event),
        signal,
      });
      source = this.#follower.lines();
    }
    try {
      for await (const lines of source) {
        for (const line of lines) this.#notePath(line.source, line.path);
        await this.#taker!.take(lines);
        if (signal.aborted) break;
      }
      if (stdin && !signal.aborted) {
        this.#log.log("info", "stdin_ended", "end of standard input: delivering what is left");
      }
    } catch (error) {
      // Refused because the grace period ended while waiting for room: not an error.
      if (!this.#stop.giveUp.signal.aborted) return error;
    } finally {
      await this.#follower?.close();
    }
    return undefined;
  }

  /** Closes the batcher once: delivers what is queued, until the grace period ends. */
  #close(): Promise<void> {
    this.#closing ??= this.#batcher!.close({ signal: this.#stop.giveUp.signal });
    return this.#closing;
  }

  /** Remembers a source's path; the most recent 4,096 sources (as the spool keeps origins). */
  #notePath(source: string, path: string): void {
    if (this.#paths.get(source) === path) return;
    this.#paths.delete(source);
    this.#paths.set(source, path);
    if (this.#paths.size > 4_096) this.#paths.delete(this.#paths.keys().next().value!);
  }

  #fileEvent(event: FollowEvent): void {
    if (event.source) this.#notePath(event.source, event.path);
    if (event.kind === "line-too-long" && event.position !== undefined) {
      // Skipped by the follower, never sent: the dead-letter file says where it was.
      void this.#deadLetters.write([{
        reason: "malformed",
        code: "record_too_large",
        message: `longer than ${this.#maxLineBytes} bytes`,
        file: event.path,
        source: event.source,
        offset: event.position,
        ...(event.bytes === undefined ? {} : { end: event.position + event.bytes }),
        raw: "",
      }]).catch((error) => this.#deadLetterFailed(error));
    }
    const level = LOGGED_EVENTS[event.kind];
    if (level === undefined) return;
    const { kind, path, ...fields } = event;
    this.#log.log(level, `file_${kind.replace(/-/g, "_")}`, `${path}: ${event.reason ?? kind}`, {
      path,
      ...fields,
    });
  }

  /**
   * A dead letter that could not be written (a full disk, a file removed under us): its line is
   * counted as taken but is nowhere, so the run stops at once and exits 1 (as the help says),
   * rather than losing more the same way; what is not answered for stays in the spool, and so do
   * the items whose dead letter failed (the batcher keeps what a callback threw on).
   */
  #deadLetterFailed(error: unknown): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = new Error(`cannot write the dead-letter file: ${describeError(error)}`, {
      cause: error,
    });
    this.#log.log("error", "dead_letter_failed", (this.#fatal as Error).message, {
      dead_letter: this.#options.deadLetter,
    });
    this.#stop.stopReading.abort();
    this.#stop.giveUp.abort(this.#fatal);
  }

  /** A batcher callback's dead letter failed: thrown on, so the batcher keeps its items. */
  #reportedNot(error: unknown): never {
    this.#deadLetterFailed(error);
    throw error;
  }

  #rejected(items: RejectedItem[]): Promise<void> {
    return this.#deadLetters.write(items.map((rejected) => {
      return {
        reason: "rejected" as const,
        code: rejected.errorCode,
        message: rejected.errorMessage,
        ...this.#where(rejected.origin),
        item: rejected.item,
      };
    })).catch((error) => this.#reportedNot(error));
  }

  #failed(
    items: unknown[],
    error: Error,
    origins: readonly (ItemOrigin | undefined)[] = [],
  ): Promise<void> {
    const message = describeError(error);
    const code = (error as { errorCode?: string }).errorCode ?? error.name;
    return this.#deadLetters.write(items.map((item, index) => ({
      reason: "failed" as const,
      code,
      message,
      ...this.#where(origins[index]),
      item,
    }))).catch((error) => this.#reportedNot(error));
  }

  /** Where an item's line was: its file (by the path last seen for its source) and end. */
  #where(origin: ItemOrigin | undefined): { file?: string; source?: string; end?: number } {
    if (origin === undefined) return {};
    const file = this.#paths.get(origin.source) ??
      (origin.source === STDIN_SOURCE ? STDIN_SOURCE : undefined);
    return {
      file,
      source: file === origin.source ? undefined : origin.source,
      end: origin.position,
    };
  }

  #snapshot(health: DeliveryHealth) {
    const taker = this.#taker!;
    const files = this.#follower?.files() ?? [];
    return {
      linesRead: taker.read.lines,
      bytesRead: taker.read.bytes,
      linesTaken: taker.linesTaken,
      batcher: this.#batcher!.stats(),
      deadLettered: this.#deadLetters.byReason,
      lags: files,
      state: health.state,
      healthy: health.check().healthy,
    };
  }

  /** How far standard input was taken, for the last words of a run that reads it. */
  #stdinFields(): Record<string, unknown> {
    if (this.#options.inputs[0] !== STDIN_SOURCE) return {};
    const taken = this.#taker?.stdin;
    return { stdin_lines: taken?.lines ?? 0, stdin_bytes: taken?.end ?? 0 };
  }

  /** The last log lines and the summary; the exit status. */
  async #finish(fatal: unknown): Promise<number> {
    const stats = this.#batcher!.stats();
    const stdin = this.#stdinFields();
    if (stdin.stdin_lines !== undefined) {
      const { stdin_lines: lines, stdin_bytes: bytes } = stdin as Record<string, number>;
      this.#log.log(
        "info",
        "stdin_taken",
        `standard input taken: ${lines} lines, ${bytes} bytes; the rest starts at byte ` +
          `${bytes + 1} (line ${lines + 1}): pipe it to a shipper on the same state directory`,
        stdin,
      );
    }
    if (fatal !== undefined) {
      this.#log.log("error", "failed", `stopped: ${describeError(fatal)}`);
    }
    const summary: ShipSummary = {
      status: fatal !== undefined ? "failed" : this.#stop.signal ? "stopped" : "completed",
      signal: this.#stop.signal,
      linesRead: this.#taker!.read.lines,
      itemsAdded: this.#taker!.added,
      accepted: stats.accepted,
      rejected: stats.rejected,
      deadLettered: { ...this.#deadLetters.byReason },
      leftInSpool: stats.spool?.items ?? 0,
      requests: stats.requests,
      rateLimited: stats.rateLimited,
      stateDir: this.#options.stateDir,
      deadLetter: this.#options.deadLetter,
      ...(stdin.stdin_lines === undefined ? {} : {
        stdin: { lines: stdin.stdin_lines as number, bytes: stdin.stdin_bytes as number },
      }),
    };
    this.#log.log("info", "stopped", `${summary.status}`, { ...summary });
    await writeSummary(this.#system, summary, this.#options.json);
    return fatal !== undefined ? EXIT.failed : EXIT.ok;
  }
}

/** What each delivery state says in the log. */
const STATE_WORDS: Readonly<Record<string, string>> = {
  delivering: "delivering",
  rate_limited: "paused for the rate limit: the server's window for this address is full",
  unavailable: "server unavailable: lines wait in the spool",
  // A refusal the client cannot cure by logging in again is final for its batch (the client's
  // rule): those lines go to the dead-letter file as failed, they do not wait.
  refused:
    "the server refuses the requests (credentials, or no such route): batches it still refuses after a new login go to the dead-letter file (failed)",
  starting: "starting",
};
