/**
 * One HTTP attempt: `fetch` under a deadline that covers the headers and the
 * whole body, a body size limit, no redirects, and the runtime's errors
 * sorted into connection, timeout and TLS failures.
 *
 * @module
 */

import type { TransportFailureKind } from "../errors.ts";

/** One request, ready to send. */
export interface AttemptRequest {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** The answer of one attempt, body read in full. */
export interface AttemptAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
}

/** Limits of one attempt. */
export interface AttemptLimits {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  /** The caller's signal: its abort ends the attempt with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Why an attempt got no usable answer; the client turns it into a public error. */
export class TransportFailure extends Error {
  /** What failed. */
  readonly kind: TransportFailureKind;

  /** Creates the failure. */
  constructor(kind: TransportFailureKind, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = "TransportFailure";
    this.kind = kind;
  }
}

// "peer" alone is not TLS ("Connection reset by peer"), and URLs in messages may contain "ssl".
const TLS_WORDS = /certificate|\bcert\b|\btls\b|\bssl\b|handshake|unknownissuer|self.signed|x509/i;
const URLS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s)]*/gi;
const TLS_CODES = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME|DEPTH_ZERO/;
// A peer that drops an established connection is reported by rustls as "peer closed connection
// without sending TLS close_notify" and by Node as "socket disconnected before secure TLS
// connection was established": both name TLS, but they are resets (retryable), not failed checks.
const ABRUPT_CLOSE = /close_notify|unexpected.?eof|disconnected before secure tls/i;

/** The messages and codes along an error's `cause` chain, outermost first. */
function causeChain(error: unknown): { messages: string[]; codes: string[] } {
  const messages: string[] = [];
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (current instanceof Error || typeof current === "object") {
      const { message, code } = current as { message?: unknown; code?: unknown };
      if (typeof message === "string" && message !== "") messages.push(message);
      if (typeof code === "string") codes.push(code);
      current = (current as { cause?: unknown }).cause;
    } else {
      messages.push(String(current));
      break;
    }
  }
  return { messages, codes };
}

/**
 * Sorts a rejected `fetch` into a TLS failure or a connection failure, with a
 * message that says which, rather than "fetch failed".
 */
export function classifyNetworkError(error: unknown, url: string): TransportFailure {
  const { messages, codes } = causeChain(error);
  const origin = URL.canParse(url) ? new URL(url).origin : url;
  const detail = [...new Set([...codes, ...messages])].join(": ") || "unknown error";
  if (
    codes.some((code) => TLS_CODES.test(code)) ||
    messages.some((m) => !ABRUPT_CLOSE.test(m) && TLS_WORDS.test(m.replace(URLS, "")))
  ) {
    return new TransportFailure(
      "tls",
      `TLS/certificate verification with ${origin} failed (${detail}); ` +
        "if the server uses a private CA, pass it with caCerts",
      error,
    );
  }
  return new TransportFailure("connection", `connection to ${origin} failed (${detail})`, error);
}

function headersToRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, key) => {
    record[key] = value;
  });
  return record;
}

async function readLimited(
  response: Response,
  maxBytes: number,
): Promise<string> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw responseTooLarge(maxBytes, declared);
  }
  if (!response.body) return "";
  // Within its declared length the body is read in one call: the HTTP stack stops at
  // Content-Length, and a chunk-by-chunk reader costs a runtime round trip per chunk (about
  // 55 µs of CPU per request in `deno task bench`). Not when compressed: fetch decompresses,
  // and Content-Length counts the compressed bytes.
  if (
    response.headers.has("content-length") && Number.isFinite(declared) &&
    !response.headers.has("content-encoding")
  ) {
    const text = await response.text();
    // An injected fetch may not honour its own Content-Length; UTF-8 has at least one byte
    // per UTF-16 unit, so this still refuses anything over the limit.
    if (text.length > maxBytes) {
      throw new TransportFailure(
        "response_too_large",
        `response body exceeds maxResponseBytes (${maxBytes})`,
      );
    }
    return text;
  }
  const reader = response.body.getReader();
  return await readCapped(
    async () => (await reader.read()).value,
    maxBytes,
    () => reader.cancel().catch(() => {}),
  );
}

/**
 * Reads a body chunk by chunk (`next` gives `undefined` at its end) and decodes it as UTF-8,
 * refusing it, and cancelling the rest, as soon as it passes `maxBytes`.
 */
export async function readCapped(
  next: () => Promise<Uint8Array | undefined>,
  maxBytes: number,
  cancel: () => Promise<unknown> | void,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let chunk = await next(); chunk !== undefined; chunk = await next()) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await cancel();
      throw responseTooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  if (chunks.length === 1) return new TextDecoder().decode(chunks[0]);
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

class TimeoutMarker extends Error {}

/** The refusal of a body larger than `maxResponseBytes`. */
export function responseTooLarge(maxBytes: number, declared?: number): TransportFailure {
  return new TransportFailure(
    "response_too_large",
    declared === undefined
      ? `response body exceeds maxResponseBytes (${maxBytes}); refused without buffering the rest`
      : `response body of ${declared} bytes exceeds maxResponseBytes (${maxBytes})`,
  );
}

/**
 * Runs one attempt, `perform`, within `timeoutMs`: the deadline covers whatever `perform`
 * awaits (headers and the whole body). Rejects with the caller's abort reason when the caller
 * aborts, and with a {@linkcode TransportFailure} when there is no usable answer. `perform`
 * gets the signal that ends it; a `perform` that ignores it still cannot outlive the deadline.
 */
export async function runAttempt(
  perform: (signal: AbortSignal) => Promise<AttemptAnswer>,
  url: string,
  limits: AttemptLimits,
): Promise<AttemptAnswer> {
  const { signal } = limits;
  signal?.throwIfAborted();
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new TimeoutMarker("timeout")),
    limits.timeoutMs,
  );
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener("abort", () => reject(controller.signal.reason), {
      once: true,
    });
  });
  aborted.catch(() => {});
  try {
    return await Promise.race([perform(controller.signal), aborted]);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (controller.signal.reason instanceof TimeoutMarker) {
      throw new TransportFailure(
        "timeout",
        `no complete answer within timeoutMs (${limits.timeoutMs} ms)`,
        error,
      );
    }
    if (error instanceof TransportFailure) throw error;
    throw classifyNetworkError(error, url);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Sends one request with `fetchImpl` and reads the whole answer within `timeoutMs` (see
 * {@linkcode runAttempt}), never following a redirect.
 */
export function sendAttempt(
  fetchImpl: typeof fetch,
  request: AttemptRequest,
  limits: AttemptLimits,
): Promise<AttemptAnswer> {
  return runAttempt(
    async (signal) => {
      const response = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body as Uint8Array<ArrayBuffer> | undefined,
        redirect: "manual",
        signal,
      });
      const text = await readLimited(response, limits.maxResponseBytes);
      return { status: response.status, headers: headersToRecord(response.headers), text };
    },
    request.url,
    limits,
  );
}
