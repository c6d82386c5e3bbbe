/**
 * The pacer's waiting room: how long callers waited (a union of intervals, so
 * concurrent waits count once), and the signal that wakes every waiter when
 * something changed (an answer came, a slot was given back).
 *
 * @module
 */

/** Union of waiting intervals: concurrent waits count once. */
export class WaitClock {
  #depth = 0;
  #since = 0;
  #total = 0;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** A wait begins. */
  enter(): void {
    if (this.#depth++ === 0) this.#since = this.#now();
  }

  /** A wait ends. */
  leave(): void {
    if (--this.#depth === 0) this.#total += this.#now() - this.#since;
  }

  /** Milliseconds spent with at least one wait open, up to now. */
  get totalMs(): number {
    return Math.round(this.#total + (this.#depth > 0 ? this.#now() - this.#since : 0));
  }
}

/** What the caller counts of its own requests (for per-run statistics). */
export interface RequestTally {
  /** Requests sent. */
  requests: number;
  /** Answers with status 429. */
  rateLimited: number;
  /** Time spent waiting for the rate limit. */
  readonly rateLimitWait: WaitClock;
}

/** A fresh tally. */
export function newTally(): RequestTally {
  return { requests: 0, rateLimited: 0, rateLimitWait: new WaitClock() };
}

/**
 * One waiter's part in the clocks it counts on: `waiting(true)` opens a wait on each (once),
 * `waiting(false)` closes it (once), so a waiter that loops keeps one interval open.
 */
export function waitTracker(clocks: readonly (WaitClock | undefined)[]): (on: boolean) => void {
  let waiting = false;
  return (on) => {
    if (on === waiting) return;
    waiting = on;
    for (const clock of clocks) on ? clock?.enter() : clock?.leave();
  };
}

/** Wakes every waiter at once: `changed` settles at the next `wakeAll()`, then is renewed. */
export class WakeSignal {
  #changed: Promise<void>;
  #wake: () => void = () => {};

  constructor() {
    this.#changed = new Promise((resolve) => (this.#wake = resolve));
  }

  /** Settles when something changed. */
  get changed(): Promise<void> {
    return this.#changed;
  }

  /** Wakes everyone waiting on `changed`; later waiters wait for the next change. */
  wakeAll(): void {
    this.#wake();
    this.#changed = new Promise((resolve) => (this.#wake = resolve));
  }
}
