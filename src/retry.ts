/**
 * The retry policy: the one ordered decision of what follows an attempt,
 * how long to wait, and an abortable wait. Pure functions, so the policy is
 * tested as a table, without time.
 *
 * @module
 */

import {
  type TransportFailureKind,
  VectorVueAPIError,
  VectorVueAuthError,
  VectorVueError,
  VectorVuePayloadTooLargeError,
  VectorVueRateLimitError,
  VectorVueSerializationError,
  VectorVueServerError,
  VectorVueTransportError,
  VectorVueValidationError,
} from "./errors.ts";

/** Statuses that mean "try again later": rate limiting and proxy/gateway trouble. The one list. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Whether an HTTP status is worth another attempt. Every other status is final. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/** Whether a status says the server (or the proxy before it) is unavailable: retryable, not 429. */
export function isUnavailableStatus(status: number): boolean {
  return status !== 429 && RETRYABLE_STATUSES.has(status);
}

/** Back-off settings, in milliseconds. */
export interface BackoffOptions {
  /** Base delay: the cap of the first retry's wait. */
  readonly backoffMs: number;
  /** Upper bound of any single wait, `Retry-After` included. */
  readonly maxBackoffMs: number;
}

/**
 * Exponential back-off with full jitter: a uniform random wait in
 * `[0, min(maxBackoffMs, backoffMs * 2 ** retry))`. Full jitter spreads
 * retries of many clients best (AWS architecture blog, "Exponential Backoff
 * And Jitter").
 *
 * @param retry 0 for the wait before the first retry.
 * @param random A source of numbers in `[0, 1)`; injectable for tests.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = growing(options.backoffMs, 2, retry, options.maxBackoffMs);
  return Math.floor(random() * ceiling);
}

/** Jitter of the pacer's probe gaps (a fraction of the gap), so clients refused together drift apart. */
export const PROBE_JITTER = 0.25;
/** Refusals after which a failing probe's gap stops growing. */
const PROBE_GROWTH_STEPS = 5;

/**
 * The gap before the pacer's next probe of a window others fill, after `refusals` probes in a
 * row were refused: `spacingMs` growing fourfold per refusal (five times at most), capped by
 * `maxMs`, then jittered by ±`PROBE_JITTER / 2` (others are replacing what leaves; clients
 * refused together drift apart). The pacer's half of the back-off; the other half is
 * {@linkcode backoffDelay}.
 *
 * @param random A source of numbers in `[0, 1)`; called once.
 */
export function probeGap(
  refusals: number,
  spacingMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const gap = growing(spacingMs, 4, Math.min(refusals, PROBE_GROWTH_STEPS), maxMs);
  return gap * (1 - PROBE_JITTER / 2 + PROBE_JITTER * random());
}

/** `base` multiplied by `factor` `steps` times, capped: the one exponential growth of waits. */
function growing(base: number, factor: number, steps: number, cap: number): number {
  return Math.min(cap, base * factor ** steps);
}

/**
 * Reads a `Retry-After` header: delay-seconds or an HTTP-date. Returns the
 * wait in milliseconds (never negative), or `undefined` when absent or
 * unreadable.
 *
 * @param nowMs The current time, for HTTP-dates.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only an IMF-fixdate-looking value counts: Date.parse accepts far too much.
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The wait before retry number `retry`: the server's `Retry-After` when it
 * gave one (capped, no jitter: the server already said when), else back-off.
 */
export function retryDelay(
  retry: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, options.maxBackoffMs);
  return backoffDelay(retry, options, random);
}

/**
 * The one abortable wait: waits `ms` (`Infinity`: until woken), or until
 * `wake` settles, or rejects with the signal's reason as soon as it aborts.
 * The timer and the listener are cleared either way, so nothing is left
 * pending once the caller has gone.
 */
export function abortableDelay(
  ms: number,
  signal?: AbortSignal,
  wake?: Promise<unknown>,
): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let done = false;
    const end = () => {
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      if (done) return;
      end();
      reject(signal?.reason);
    };
    const onTime = () => {
      if (done) return;
      end();
      resolve();
    };
    if (Number.isFinite(ms)) timer = setTimeout(onTime, ms);
    wake?.then(onTime, onTime);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The server's signature failures: logging in again does not cure them. */
const SIGNATURE_FAILURES: ReadonlySet<string> = new Set([
  "Missing request signature headers",
  "Invalid X-Timestamp",
  "Signature timestamp out of range",
  "Invalid request signature",
]);

/** What one attempt produced, as the retry decision sees it. */
export type AttemptOutcome =
  | {
    readonly kind: "answer";
    readonly status: number;
    /** The body's `detail` or first error message, when it has one. */
    readonly detail?: string;
    /** The `Retry-After` wait, already read, when the answer carried one. */
    readonly retryAfterMs?: number;
  }
  | { readonly kind: "failure"; readonly failure: TransportFailureKind };

/** Where a call stands when an attempt ends. */
export interface AttemptState extends BackoffOptions {
  /** Retries spent on 5xx answers and connection failures (bounded by `maxRetries`). */
  readonly failureRetries: number;
  readonly maxRetries: number;
  /** Whether the request carries a bearer token (a 401 may then be cured by logging in). */
  readonly auth: boolean;
  /** Whether the client holds credentials to log in with. */
  readonly canLogin: boolean;
  /** Whether this call already logged in again once. */
  readonly reauthenticated: boolean;
  /** Whether this call already re-signed once after a clock correction. */
  readonly resigned: boolean;
  /** Whether the client's clock correction changed since this attempt was signed. */
  readonly clockCorrected: boolean;
  /** 429s this call already waited out (the back-off exponent when nothing paces it). */
  readonly rateLimitRetries: number;
  /** Milliseconds left of the call's rate-limit budget (`rateLimitWaitMs`). */
  readonly rateLimitBudgetLeftMs: number;
  /** Whether a pacer governs the next attempt (it then computes the wait after a 429). */
  readonly paced: boolean;
  /**
   * Whether the next attempt waits in the client's pacer, which pauses every call once for an
   * unavailable server (502/503/504, connection failure, timeout): the call then waits 0 itself.
   */
  readonly gated?: boolean;
}

/**
 * What follows an attempt: `return` the answer as it is (success or final
 * error), `retry` after `delayMs` (a 429 leaves the wait to the pacer when
 * the server gave no `Retry-After`: `delayMs` is then 0), `relogin` (once,
 * for a 401), `resign` (once, for a timestamp refused after the clock was
 * corrected), or `fail` (a transport failure that is not retried).
 */
export type RetryDecision =
  | { readonly action: "return" }
  | { readonly action: "fail" }
  | { readonly action: "relogin" }
  | { readonly action: "resign" }
  | {
    readonly action: "retry";
    readonly delayMs: number;
    /** `rate_limited` waits do not spend `maxRetries`; the others do. */
    readonly reason: "rate_limited" | "retryable_status" | "connection" | "timeout";
  };

/**
 * The ordered retry decision, in one place:
 * 1. a connection failure or timeout is retried while `maxRetries` lasts, any
 *    other transport failure fails at once;
 * 2. a 401 naming a signature failure is re-signed once if the clock
 *    correction changed since signing, else returned (logging in cannot cure it);
 * 3. any other 401 on an authenticated call logs in again, once;
 * 4. a 429 is retried while the call's rate-limit budget lasts (not counted
 *    against `maxRetries`) after `Retry-After` (capped by `maxBackoffMs`);
 *    without it, the pacer computes the wait (`delayMs` is then 0), or, with
 *    no pacer, back-off;
 * 5. 502/503/504 are retried while `maxRetries` lasts;
 * 6. everything else is returned.
 *
 * A call gated by the pacer (`gated`) waits 0 itself after 502/503/504, a
 * connection failure or a timeout: the pacer's one pause for an unavailable
 * server holds every call of the client, so the server is backed off once.
 *
 * @param random A source of numbers in `[0, 1)` for the back-off jitter.
 */
export function decideRetry(
  outcome: AttemptOutcome,
  state: AttemptState,
  random: () => number = Math.random,
): RetryDecision {
  const backoff = () =>
    state.gated ? 0 : retryDelay(state.failureRetries, undefined, state, random);
  if (outcome.kind === "failure") {
    const retryable = outcome.failure === "connection" || outcome.failure === "timeout";
    if (!retryable || state.failureRetries >= state.maxRetries) return { action: "fail" };
    return { action: "retry", delayMs: backoff(), reason: outcome.failure };
  }
  const { status } = outcome;
  if (status === 401 && state.auth) {
    if (SIGNATURE_FAILURES.has(outcome.detail ?? "")) {
      const cured = outcome.detail === "Signature timestamp out of range" && state.clockCorrected;
      return cured && !state.resigned ? { action: "resign" } : { action: "return" };
    }
    if (state.canLogin && !state.reauthenticated) return { action: "relogin" };
    return { action: "return" };
  }
  if (status === 429) {
    const wait = outcome.retryAfterMs !== undefined
      ? Math.min(outcome.retryAfterMs, state.maxBackoffMs)
      : state.paced
      ? 0
      : retryDelay(state.rateLimitRetries, undefined, state, random);
    if (state.rateLimitBudgetLeftMs <= 0 || wait > state.rateLimitBudgetLeftMs) {
      return { action: "return" };
    }
    // Without Retry-After the pacer (when there is one) computes the wait.
    return { action: "retry", delayMs: wait, reason: "rate_limited" };
  }
  if (isRetryableStatus(status) && state.failureRetries < state.maxRetries) {
    // The pacer already waits out a Retry-After when it gates the call.
    const delayMs = outcome.retryAfterMs === undefined || state.gated
      ? backoff()
      : retryDelay(state.failureRetries, outcome.retryAfterMs, state, random);
    return { action: "retry", delayMs, reason: "retryable_status" };
  }
  return { action: "return" };
}

/**
 * What a failed batch send means for delivery (the batching core's half of the policy):
 * - `split`: refused for its size (413, `batch_too_large`): send each half; a single item
 *   refused so fails;
 * - `wait`: waiting can fix it (429, 502/503/504, connection failure, timeout): send again
 *   while the delivery budget lasts; the client's pacer holds the next send for as long as the
 *   rate limit or the unavailable server needs, so the batch core adds no wait of its own;
 * - `stop`: every batch would get it and waiting cannot fix it (401 after the client logged in
 *   again, 403, TLS, configuration, a closed client): give up on the run;
 * - `give_up`: it concerns this batch only (422, 409, 500, ...): give up on the batch.
 */
export function deliveryDecision(error: unknown): "split" | "wait" | "stop" | "give_up" {
  if (
    error instanceof VectorVuePayloadTooLargeError ||
    (error instanceof VectorVueValidationError && error.errorCode === "batch_too_large")
  ) {
    return "split";
  }
  if (error instanceof VectorVueRateLimitError) return "wait";
  if (error instanceof VectorVueTransportError) {
    if (error.kind === "connection" || error.kind === "timeout") return "wait";
    return error.kind === "tls" ? "stop" : "give_up";
  }
  if (error instanceof VectorVueAuthError) return "stop";
  if (error instanceof VectorVueServerError) {
    return isUnavailableStatus(error.httpStatus) ? "wait" : "give_up";
  }
  if (error instanceof VectorVueAPIError) return "give_up";
  // Configuration, token, closed client: nothing the next batch would escape.
  return error instanceof VectorVueError && !(error instanceof VectorVueSerializationError)
    ? "stop"
    : "give_up";
}
