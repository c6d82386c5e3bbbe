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

/** Header names whose values are secrets besides those: cookies, proxy credentials. */
const SECRET_HEADER = /cookie|proxy-authenticat|^x-api-key$|credential/i;

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

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The forms a secret takes when a server (or a proxy) echoes it back: as it is, JSON-escaped
 * (`\\` and `\"`, and with every non-ASCII character as `\uXXXX`, as Python writes JSON),
 * URL-encoded (`%20` and form `+`), HTML-escaped (named and numeric), and in base64 (standard
 * and URL-safe, without padding too). Base64 of `user:password`, as in Basic auth, is added by
 * {@linkcode Scrubber.addCredentials}.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set([secret]);
  const json = JSON.stringify(secret).slice(1, -1);
  forms.add(json);
  forms.add(
    json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  );
  forms.add(json.replace(/\//g, "\\/"));
  const url = encodeURIComponent(secret);
  forms.add(url);
  forms.add(
    url.toLowerCase() === url ? url : url.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()),
  );
  forms.add(new URLSearchParams({ s: secret }).toString().slice(2));
  forms.add(url.replace(/%20/g, "+"));
  forms.add(encodeURI(secret));
  forms.add(secret.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]));
  forms.add(secret.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`));
  forms.add(secret.replace(/[&<>"']/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`));
  forms.add(secret.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]).replace(/'/g, "&#x27;"));
  const b64 = base64(secret);
  forms.add(b64);
  forms.add(b64.replace(/=+$/, ""));
  forms.add(b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
  return [...forms].filter((form) => form !== "");
}

/**
 * Replaces secrets in a value: every field whose name says secret, and every
 * occurrence of a known secret string anywhere in strings, deeply, in each of the forms
 * {@linkcode secretForms} lists. Used on
 * log fields, error messages and error bodies. Configured secrets are kept
 * for the client's life; per-request ones (each token, each signature) only
 * for the last {@linkcode RECENT_SECRETS}, so a long-lived client does not
 * grow or slow down with every request.
 */
export class Scrubber {
  #secrets: Set<string> = new Set();
  /**
   * Each per-request secret, with its forms longest first, worked out the first time a text is
   * long enough to hold it (most are never needed: a signature per request, short headers).
   */
  #recent: { readonly secret: string; forms?: readonly string[] }[] = [];

  /** Adds a secret kept for the scrubber's life (configured credentials), in all its forms. */
  add(secret: string | undefined): void {
    if (secret === undefined || secret === "") return;
    for (const form of secretForms(secret)) this.#secrets.add(form);
    // Longest first: a form that contains another is replaced whole.
    this.#secrets = new Set([...this.#secrets].sort((a, b) => b.length - a.length));
  }

  /** Adds a user name and password, and the base64 of `user:password` that Basic auth sends. */
  addCredentials(username: string | undefined, password: string | undefined): void {
    this.add(password);
    if (username === undefined || password === undefined) return;
    const pair = `${username}:${password}`;
    const b64 = base64(pair);
    for (const form of [b64, b64.replace(/=+$/, "")]) this.#secrets.add(form);
    this.add(pair);
  }

  /** Adds a per-request secret; the oldest is forgotten past {@linkcode RECENT_SECRETS}. */
  addRecent(secret: string | undefined): void {
    if (secret === undefined || secret === "") return;
    if (this.#recent.some((recent) => recent.secret === secret)) return;
    this.#recent.push({ secret });
    if (this.#recent.length > RECENT_SECRETS) this.#recent.shift();
  }

  /**
   * Replaces every known secret, in every form, in a string. Every form of a secret is at least
   * as long as the secret, so a text shorter than a secret cannot hold any of its forms: the
   * short texts of every answer (most headers) are passed over without a search per form.
   */
  text(value: string): string {
    let out = value;
    for (const secret of this.#secrets) {
      if (secret.length <= out.length) out = replaceSecret(out, secret);
    }
    for (const recent of this.#recent) {
      if (recent.secret.length > out.length) continue;
      recent.forms ??= secretForms(recent.secret).sort((a, b) => b.length - a.length);
      for (const form of recent.forms) {
        if (form.length <= out.length) out = replaceSecret(out, form);
      }
    }
    return out;
  }

  /**
   * Response headers made safe to show: a header whose name says secret (`Authorization`,
   * `Set-Cookie`, anything with token or password in its name) is `[REDACTED]`, and every
   * known secret is replaced in the others (a server that echoes the request's headers).
   */
  headers(headers: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      out[name] = SECRET_KEY.test(name) || SECRET_HEADER.test(name) ? REDACTED : this.text(value);
    }
    return out;
  }

  /**
   * Scrubs an error's message and stack, and those of its `cause` chain, in place: what the
   * client wraps (a transport failure, a hook's error) may quote a secret it was given.
   */
  error(error: unknown, depth = 0): void {
    if (!(error instanceof Error) || depth > 8) return;
    const message = this.text(error.message);
    if (message !== error.message) {
      try {
        error.message = message;
        if (typeof error.stack === "string") error.stack = this.text(error.stack);
      } catch {
        // A frozen error: its message cannot be changed, the wrapper's is scrubbed anyway.
      }
    }
    this.error(error.cause, depth + 1);
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
