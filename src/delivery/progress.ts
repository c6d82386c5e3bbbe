/**
 * Progress reports of a delivery run: a snapshot at most every 100 ms while
 * something changed (items settled, a pause began or ended), and one at the end.
 *
 * @module
 */

import type { PauseInfo } from "./pacer.ts";

/**
 * Where a `sendEvents`/`sendFindings` run stands, as given to `onProgress`.
 *
 * @example Print a progress line
 * ```ts
 * import type { DeliveryProgress } from "@spectrastrike/vectorvue-client";
 *
 * const line = (p: DeliveryProgress) =>
 *   `${p.confirmed}/${p.total}` + (p.paused ? ` (paused: ${p.paused.reason})` : "");
 * ```
 */
export interface DeliveryProgress {
  /** Items in the run. */
  readonly total: number;
  /** Items the server answered for: `accepted + rejected`. */
  readonly confirmed: number;
  /** Items the server stored. */
  readonly accepted: number;
  /** Items refused, by the server or by the client's own checks. */
  readonly rejected: number;
  /** Items not delivered (budget spent, stopped, aborted). */
  readonly failed: number;
  /** Items in batches being sent (or waiting to be sent again). */
  readonly inFlight: number;
  /** Why and until when sending waits, while it does. */
  readonly paused?: PauseInfo;
}

/** Interval of progress reports. */
const INTERVAL_MS = 100;

/** Calls `onProgress` with `snapshot()` at most every 100 ms when it changed, and at the end. */
export class ProgressReporter {
  readonly #onProgress: ((progress: DeliveryProgress) => void) | undefined;
  readonly #snapshot: () => DeliveryProgress;
  readonly #report: (error: unknown) => void;
  #timer: ReturnType<typeof setInterval> | undefined;
  #last = "";

  constructor(
    onProgress: ((progress: DeliveryProgress) => void) | undefined,
    snapshot: () => DeliveryProgress,
    report: (error: unknown) => void,
  ) {
    this.#onProgress = onProgress;
    this.#snapshot = snapshot;
    this.#report = report;
    if (onProgress) this.#timer = setInterval(() => this.#emit(false), INTERVAL_MS);
  }

  /** The last report, then no more. */
  finish(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#emit(true);
  }

  #emit(always: boolean): void {
    if (!this.#onProgress) return;
    const progress = this.#snapshot();
    // `until` moves with the clock; compare what a reader would notice.
    const key = JSON.stringify({ ...progress, paused: progress.paused?.reason });
    if (!always && key === this.#last) return;
    this.#last = key;
    try {
      this.#onProgress(progress);
    } catch (error) {
      this.#report(error);
    }
  }
}
