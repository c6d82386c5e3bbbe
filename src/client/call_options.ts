/**
 * The per-call options every method takes, and the names each method accepts.
 *
 * @module
 */

/**
 * Per-call options of every method. `timeoutMs` and `maxRetries` bound each
 * attempt and the number of retries; `signal` bounds the whole call: with
 * `AbortSignal.timeout(ms)` it is a deadline across attempts and back-off
 * waits, and whichever limit comes first ends the call.
 *
 * @example One quick attempt, and at most five seconds in all
 * ```ts
 * import type { CallOptions } from "@spectrastrike/vectorvue-client";
 *
 * const options: CallOptions = { maxRetries: 0, timeoutMs: 2_000, signal: AbortSignal.timeout(5_000) };
 * ```
 */
export interface CallOptions {
  /** Aborts the call at once, also during a back-off wait; the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Time limit of each attempt of this call (headers and body), over the client's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Retries of this call after its first attempt, over the client's `maxRetries`. */
  readonly maxRetries?: number;
}

/**
 * Options of {@linkcode VectorVueClient.sendEvent}.
 *
 * @example Make re-sending the same step a replay, not a duplicate
 * ```ts
 * import type { SendEventOptions } from "@spectrastrike/vectorvue-client";
 *
 * const options: SendEventOptions = { idempotencyKey: "run-17-step-3" };
 * ```
 */
export interface SendEventOptions extends CallOptions {
  /**
   * The `Idempotency-Key` header. Without one the client makes a UUID per
   * call, reused by every retry of it, so a retry after a lost answer is
   * answered as a replay rather than stored twice.
   */
  readonly idempotencyKey?: string;
}

/** The option names of a call, to name a misspelt one. */
export const CALL_OPTION_NAMES: readonly string[] = Object.keys(
  { signal: true, timeoutMs: true, maxRetries: true } satisfies Record<keyof CallOptions, true>,
);
/** The option names of `sendEvent`. */
export const SEND_EVENT_OPTION_NAMES: readonly string[] = Object.keys(
  { signal: true, timeoutMs: true, maxRetries: true, idempotencyKey: true } satisfies Record<
    keyof SendEventOptions,
    true
  >,
);
