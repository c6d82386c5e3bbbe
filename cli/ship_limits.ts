/**
 * The bounds of one `vectorvue ship` run: the longest line it takes, the batcher's queue it
 * counts on, how long it waits for the server, and which follower events it logs.
 *
 * @module
 */
import { BATCHER_OPTIONS, defaultsOf } from "./_library_internals.ts";

/** Longest line taken; longer ones go to the dead-letter file (the server's body limit is 1 MiB). */
export const MAX_LINE_BYTES = 1024 * 1024;

/**
 * The longest line a run takes: {@linkcode MAX_LINE_BYTES}, or a quarter of the spool when that
 * is less. A line the spool can never hold would otherwise be refused by `add()` on every start
 * (a poison line: the shipper would stop on it again and again); a quarter leaves room for the
 * spool's active segment and the records' headers, so such a line always fits once the spool
 * has drained.
 */
export function maxLineBytes(spoolMaxBytes: number): number {
  return Math.min(MAX_LINE_BYTES, Math.floor(spoolMaxBytes / 4));
}

const BATCHER_DEFAULTS = defaultsOf(BATCHER_OPTIONS);
/** The batcher's queue bounds (its defaults, from its table), which the taker needs to know. */
export const MAX_QUEUE_SIZE = BATCHER_DEFAULTS.maxQueueSize as number;
export const MAX_QUEUE_BYTES = BATCHER_DEFAULTS.maxQueueBytes as number;

/**
 * A shipper waits for the server as long as it takes (the spool holds the lines meanwhile, and
 * reading stops when it is full): transient failures never dead-letter a line.
 */
export const DELIVER_UNTIL_DELIVERED_MS = Number.MAX_SAFE_INTEGER;

/** Follow events worth a log line (the others are routine or said by another line). */
export const LOGGED_EVENTS: Readonly<Record<string, "info" | "warn">> = {
  found: "info",
  resumed: "info",
  rotated: "info",
  truncated: "warn",
  gone: "info",
  closed: "info",
  copy: "info",
  unreadable: "warn",
  "line-too-long": "warn",
};
