/**
 * The pacer's pause for an unavailable server (502/503/504, or no answer):
 * every call of the client waits it out, once, with the one back-off formula
 * of `retry.ts`; the server's `Retry-After` replaces the back-off when it gave
 * one. Any other answer ends it.
 *
 * @module
 */

import { backoffDelay, type BackoffOptions } from "../retry.ts";

/** The longest pause for an unavailable server (decision 74). */
const MAX_PAUSE_MS = 10_000;

/** Until when the server is taken for unavailable, and how many failures in a row led there. */
export class UnavailablePause {
  readonly #backoff: BackoffOptions;
  readonly #random: () => number;
  #until = -Infinity;
  #streak = 0;

  constructor(backoff: BackoffOptions, random: () => number) {
    // A server that is down is tried again at most every 10 s, whatever `maxBackoffMs` allows a
    // single call: one request finds out, and a server back after a long outage is noticed soon.
    this.#backoff = { ...backoff, maxBackoffMs: Math.min(backoff.maxBackoffMs, MAX_PAUSE_MS) };
    this.#random = random;
  }

  /** When sending may resume (`-Infinity` while the server answers). */
  get until(): number {
    return this.#until;
  }

  /**
   * The server was unavailable at `now`: pause `retryAfterMs` (when it said), else the next
   * back-off of the streak. A pause already longer stays.
   */
  failed(now: number, retryAfterMs?: number): void {
    const waitMs = retryAfterMs ?? backoffDelay(this.#streak++, this.#backoff, this.#random);
    this.#until = Math.max(this.#until, now + waitMs);
  }

  /** The server answered: no pause, and the next failure starts a new streak. */
  answered(): void {
    this.#streak = 0;
    this.#until = -Infinity;
  }
}
