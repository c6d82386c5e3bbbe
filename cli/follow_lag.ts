/**
 * How far behind a followed file we are, in bytes and in seconds. The seconds are the age of the
 * oldest byte not handed out yet, as of when a look at the file first saw it (so within one poll
 * of the truth): a file written continuously and read as fast is seconds behind by at most the
 * poll interval, not by how long it has been growing.
 *
 * @module
 */

/** Most sizes remembered per file; older ones merge (the lag stays an upper bound). */
const MAX_SAMPLES = 64;

/**
 * Sizes a file was seen at, and when.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LagClock } from "./follow_lag.ts";
 * const lag = new LagClock();
 * lag.saw(100, 1_000);
 * lag.saw(300, 2_000);
 * assert.equal(lag.secondsBehind(50, 5_000), 4); // byte 50 was there at 1 s
 * assert.equal(lag.secondsBehind(150, 5_000), 3); // byte 150 appeared by 2 s
 * assert.equal(lag.secondsBehind(300, 5_000), 0);
 * ```
 */
export class LagClock {
  /** Growing sizes and when each was first seen. */
  #samples: { size: number; at: number }[] = [];

  /** Records that the file had `size` bytes at `now` (ms). */
  saw(size: number, now: number): void {
    const last = this.#samples.at(-1);
    if (last && size <= last.size) {
      // A shrink is a truncation: the caller starts again with `reset`.
      return;
    }
    this.#samples.push({ size, at: now });
    if (this.#samples.length > MAX_SAMPLES) this.#samples.splice(1, 1);
  }

  /** Seconds since the byte at `position` was first seen, 0 when nothing is waiting. */
  secondsBehind(position: number, now: number): number {
    while (this.#samples.length > 0 && this.#samples[0].size <= position) {
      this.#samples.shift();
    }
    const oldest = this.#samples[0];
    return oldest ? Math.max(0, (now - oldest.at) / 1000) : 0;
  }

  /** Forgets every size (after a truncation). */
  reset(): void {
    this.#samples = [];
  }
}
