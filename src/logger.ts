/**
 * Logging is an interface, not a library: anything with `debug`, `info`,
 * `warn` and `error` taking `(message, fields)` fits (`console`, an
 * `@std/log` logger, pino, LogTape). The client is silent without one, and
 * redacts fields before the logger sees them.
 *
 * @module
 */

/**
 * Structured fields of a log record.
 *
 * @example
 * ```ts
 * import type { LogFields } from "@spectrastrike/vectorvue-client";
 *
 * const fields: LogFields = { endpoint: "/api/v1/client/events", httpStatus: 202 };
 * ```
 */
export type LogFields = Record<string, unknown>;

/**
 * The logger the client writes to. `console` fits.
 *
 * @example Log to the console
 * ```ts
 * import { type Logger, VectorVueClient } from "@spectrastrike/vectorvue-client";
 *
 * const logger: Logger = console;
 * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln", logger });
 * ```
 */
export interface Logger {
  /** Per-attempt detail: successes. */
  debug(message: string, fields?: LogFields): void;
  /** Notable events: a login, a clock correction. */
  info(message: string, fields?: LogFields): void;
  /** A failed attempt that will be retried. */
  warn(message: string, fields?: LogFields): void;
  /** A call that failed for good. */
  error(message: string, fields?: LogFields): void;
}

const noop = () => {};

/** The logger used when none is given: drops everything. */
export const silentLogger: Logger = Object.freeze({
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
});

/** The text that stands where a secret was. */
export const REDACTED = "[REDACTED]";

/** Field names whose values are secrets, whatever they hold. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|^signature$|x-signature|signing.?key/i;

/** How many per-request secrets (tokens, signatures) a scrubber remembers. */
export const RECENT_SECRETS = 64;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Replaces one secret in a text. A short secret (under 8 characters) is
 * replaced only where it stands alone, not inside a longer word, so that a
 * three-letter password does not blot out every word that contains it.
 */
function replaceSecret(text: string, secret: string): string {
  if (!text.includes(secret)) return text;
  if (secret.length >= 8) return text.split(secret).join(REDACTED);
  const alone = new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(secret)}(?![A-Za-z0-9])`, "g");
  return text.replace(alone, REDACTED);
}

/**
 * Replaces secrets in a value: every field whose name says secret, and every
 * occurrence of a known secret string anywhere in strings, deeply. Used on
 * log fields, error messages and error bodies. Configured secrets are kept
 * for the client's life; per-request ones (each token, each signature) only
 * for the last {@linkcode RECENT_SECRETS}, so a long-lived client does not
 * grow or slow down with every request.
 */
export class Scrubber {
  #secrets: Set<string> = new Set();
  #recent: string[] = [];

  /** Adds a secret kept for the scrubber's life (configured credentials). */
  add(secret: string | undefined): void {
    if (secret !== undefined && secret !== "") this.#secrets.add(secret);
  }

  /** Adds a per-request secret; the oldest is forgotten past {@linkcode RECENT_SECRETS}. */
  addRecent(secret: string | undefined): void {
    if (secret === undefined || secret === "" || this.#recent.includes(secret)) return;
    this.#recent.push(secret);
    if (this.#recent.length > RECENT_SECRETS) this.#recent.shift();
  }

  /** Replaces every known secret in a string. */
  text(value: string): string {
    let out = value;
    for (const secret of this.#secrets) out = replaceSecret(out, secret);
    for (const secret of this.#recent) out = replaceSecret(out, secret);
    return out;
  }

  /** Deep copy of a JSON-like value with secrets replaced. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === "string") return this.text(value);
    if (value === null || typeof value !== "object") return value;
    if (depth > 32) return "[TRUNCATED]";
    if (Array.isArray(value)) return value.map((item) => this.value(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) && item !== null && item !== undefined
        ? REDACTED
        : this.value(item, depth + 1);
    }
    return out;
  }

  /** Log fields with secrets replaced. */
  fields(fields: LogFields): LogFields {
    return this.value(fields) as LogFields;
  }
}
