/**
 * The retry policy: which failures are retried, how long to wait, and an
 * abortable wait. Pure functions, so the arithmetic is tested without time.
 *
 * @module
 */

/** Statuses that mean "try again later": rate limiting and proxy/gateway trouble. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 502, 503, 504]);

/** Whether an HTTP status is worth another attempt. Every other status is final. */
export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
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
  const ceiling = Math.min(options.maxBackoffMs, options.backoffMs * 2 ** retry);
  return Math.floor(random() * ceiling);
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
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts. The
 * timer is cleared on abort, so nothing is left pending once the caller has
 * gone.
 */
export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
