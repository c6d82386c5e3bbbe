/**
 * Counting Ctrl+C presses, not signal deliveries. A terminal sends SIGINT to its whole
 * foreground process group, and a parent that forwards signals to its child (`deno task` does)
 * makes the child receive the same press twice, about a millisecond apart (measured: 0.9-2.7 ms
 * through `npx deno task`). Neither Deno nor Node tells a handler who sent a signal, so copies
 * are told apart by time: a signal within {@linkcode REPEAT_WINDOW_MS} of the last one counted
 * is the same press.
 *
 * @module
 */

/**
 * How long after a counted interrupt another one is taken as a copy of it. Forwarded copies
 * arrive within milliseconds; a person who has read "Ctrl+C again to exit at once" takes longer
 * than a second to press again, and one who presses twice at once still exits on the next press.
 */
export const REPEAT_WINDOW_MS = 1_000;

/** Counts interrupts, ignoring copies of the last counted one. */
export class InterruptCounter {
  readonly #now: () => number;
  readonly #windowMs: number;
  #lastMs = -Infinity;
  #count = 0;

  constructor(now: () => number = () => performance.now(), windowMs = REPEAT_WINDOW_MS) {
    this.#now = now;
    this.#windowMs = windowMs;
  }

  /** Interrupts counted so far. */
  get count(): number {
    return this.#count;
  }

  /** Records a delivered signal; returns the count, or `undefined` when it was a copy. */
  deliver(): number | undefined {
    const now = this.#now();
    if (now - this.#lastMs < this.#windowMs) return undefined;
    this.#lastMs = now;
    return ++this.#count;
  }
}
