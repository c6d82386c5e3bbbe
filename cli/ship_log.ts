/**
 * The shipper's log: one JSON object per line on standard error, one line per change of state
 * (started, paused for the rate limit, server unavailable, delivering again, file found, rotated,
 * truncated, gone, stopping), never one per batch, so a journal or a container log stays
 * readable for days and a log pipeline can parse it.
 *
 * @module
 */
import type { LogFields, Logger } from "../mod.ts";

/** Writes one line of text to standard error. */
export type WriteLine = (line: string) => void;

/** A JSON-lines log: `{"time", "level", "event", "msg", ...fields}`. */
export class ShipLog {
  readonly #write: WriteLine;
  readonly #now: () => Date;

  constructor(write: WriteLine, now: () => Date = () => new Date()) {
    this.#write = write;
    this.#now = now;
  }

  /** One line: `event` names the change (`rate_limited`, `file_rotated`), `msg` says it. */
  log(
    level: "info" | "warn" | "error",
    event: string,
    msg: string,
    fields: Readonly<Record<string, unknown>> = {},
  ): void {
    const line = { time: this.#now().toISOString(), level, event, msg, ...fields };
    this.#write(`${JSON.stringify(line, jsonSafe)}\n`);
  }

  /**
   * The client's logger, writing to this log. The client's per-request lines (a success, a
   * retry, a failed call, each 429 pause) are left out: the shipper's own state changes say the
   * same once. The rest (logins, spool recovery, dead letters, a lost lock) is kept.
   */
  clientLogger(): Logger {
    const forward = (level: "info" | "warn" | "error") => (message: string, fields?: LogFields) => {
      if (PER_REQUEST.has(message)) return;
      this.log(level, "client", message, fields ?? {});
    };
    return {
      debug: () => {},
      info: forward("info"),
      warn: forward("warn"),
      error: forward("error"),
    };
  }
}

/**
 * The client's messages that come once per request or pause (a 401 or a signature retry repeats
 * with every batch while it lasts: the `refused` state says it once).
 */
const PER_REQUEST: ReadonlySet<string> = new Set([
  "vectorvue request",
  "vectorvue request retrying",
  "vectorvue request failed",
  "vectorvue request re-authenticating",
  "vectorvue request re-signing",
  "vectorvue rate limit",
]);

/** Errors as their message (JSON.stringify makes `{}` of them); bigints as strings. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return value.message;
  if (typeof value === "bigint") return String(value);
  return value;
}
