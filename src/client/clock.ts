/**
 * The server's clock as this client knows it, from the `Date` header of each
 * answer: signing uses it when this machine's clock is off by more than the
 * tolerance.
 *
 * @module
 */

import type { ClientLog } from "./log.ts";

/** Client clock differences below this are left alone (the server allows 300 s). */
const CLOCK_SKEW_TOLERANCE_MS = 30_000;

/** The learned difference between the server's clock and ours. */
export class ServerClock {
  readonly #log: ClientLog;
  /** The correction applied to signing timestamps (0 within the tolerance). */
  #offsetMs = 0;
  /** The raw last measurement, for diagnostics. */
  #measuredOffsetMs: number | undefined;

  /** A clock that reports corrections to `log`. */
  constructor(log: ClientLog) {
    this.#log = log;
  }

  /** The correction in use, in ms (0 when the clocks agree within the tolerance). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** The server's clock minus ours from the last `Date` header, or `undefined` before any. */
  get measuredOffsetMs(): number | undefined {
    return this.#measuredOffsetMs;
  }

  /** The time by the server's clock, as far as it matters for signing. */
  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Learns from an answer's `Date` header. */
  observe(dateHeader: string | undefined): void {
    if (!dateHeader) return;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return;
    const skew = serverMs - Date.now();
    this.#measuredOffsetMs = skew;
    const next = Math.abs(skew) > CLOCK_SKEW_TOLERANCE_MS ? skew : 0;
    // The Date header has one-second resolution; ignore jitter around the current offset.
    if (Math.abs(next - this.#offsetMs) <= 5_000) return;
    this.#offsetMs = next;
    this.#log("warn", "vectorvue clock correction", {
      offsetSeconds: Math.round(next / 1000),
      detail: next === 0
        ? "local clock agrees with the server again; signing with local time"
        : "local clock differs from the server's Date header; signing with corrected timestamps",
    });
  }
}
