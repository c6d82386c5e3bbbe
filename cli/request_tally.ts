/**
 * What `send` learns from the client's log records (the public `logger` interface): requests
 * sent, 429 answers, and the rate-limit pauses the client announces, for the progress line and
 * the summary.
 *
 * @module
 */
import type { LogFields, Logger } from "../src/logger.ts";

/** A pause of delivery, as the progress line shows it. */
export interface Pause {
  readonly reason: string;
  readonly untilMs: number;
}

/** A logger that counts; it prints nothing. */
export class RequestTally implements Logger {
  /** Attempts that reached the server or the network. */
  requests = 0;
  /** Answers with status 429. */
  rateLimited = 0;
  /** Time announced as paused for the rate limit, overlapping pauses counted once. */
  rateLimitWaitMs = 0;
  #pause: Pause | undefined;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The pause in force now, if any. */
  get paused(): Pause | undefined {
    if (this.#pause && this.#pause.untilMs <= this.#now()) this.#pause = undefined;
    return this.#pause;
  }

  #record(message: string, fields: LogFields = {}): void {
    if (message === "vectorvue rate limit") {
      const untilMs = Date.parse(String(fields.resumeAt ?? ""));
      if (Number.isNaN(untilMs)) return;
      const now = this.#now();
      const from = Math.max(now, this.#pause?.untilMs ?? now);
      if (untilMs > from) this.rateLimitWaitMs += untilMs - from;
      if (untilMs > (this.#pause?.untilMs ?? 0)) {
        this.#pause = { reason: String(fields.reason ?? "rate_limited"), untilMs };
      }
      return;
    }
    if (!message.startsWith("vectorvue request") || typeof fields.attempt !== "number") return;
    // A record without a status and without a network failure never left the client.
    if (
      fields.httpStatus === null && fields.outcome !== "connection" && fields.outcome !== "timeout"
    ) {
      return;
    }
    this.requests++;
    if (fields.httpStatus === 429) this.rateLimited++;
  }

  debug(message: string, fields?: LogFields): void {
    this.#record(message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#record(message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#record(message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#record(message, fields);
  }
}
