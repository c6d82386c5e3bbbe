// The in-flight bound for a pool that has no bound of its own and takes a connection back only a
// moment after its answer was read (Deno's fetch on hyper): a request that finds no connection idle
// opens another, so a slot must not go to the next request before its connection is back.
import { InFlightLimit } from "./_in_flight_limit.ts";

/** A finished task's slot, not yet freed. */
interface Returning {
  readonly free: () => void;
  /** Its place in the order tasks finished. */
  readonly finished: number;
}

/**
 * At most `size` tasks at once, each finished task's slot freed only once its connection is back:
 * a timer task later, or when a task started after it finishes (its answer took turns of the event
 * loop, in which the pool took the connection back). While the pool grows (a task in flight beyond
 * the most since the limit was last idle is taken to open a connection), finished tasks' slots are
 * held until every such task has finished: meanwhile the connection handshakes delay the return of
 * finished connections past that timer task.
 *
 * The timer is set only when a task waits for a slot: a caller that never fills the pool
 * (sequential calls) never pays for one, whose extra turn of the event loop cost Deno about 30 µs
 * of CPU per request (decision 83).
 */
export class PoolGrowthLimit {
  readonly #limit: InFlightLimit;
  #active = 0;
  #grown = 0;
  #opening = 0;
  /** Finished while the pool grew: freeable once every task that grew it has finished. */
  #held: (() => void)[] = [];
  /** Finished, in the order they did. */
  #returning: Returning[] = [];
  #finishes = 0;
  #timerSet = false;

  /** `size`: how many may run at once (a positive integer). */
  constructor(size: number) {
    this.#limit = new InFlightLimit(size, (free) => {
      if (this.#opening > 0) this.#held.push(free);
      else this.#returned([free]);
    });
  }

  /** The most that ever ran at once. */
  get peak(): number {
    return this.#limit.peak;
  }

  /** Runs `task` once a slot is free; rejects with the signal's reason if it aborts first. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    // This task will wait: the slots of finished tasks are wanted now.
    if (this.#limit.full) this.#freeLater();
    return this.#limit.run(async () => {
      const after = this.#finishes;
      const opens = ++this.#active > this.#grown;
      if (opens) {
        this.#grown = this.#active;
        this.#opening++;
      }
      try {
        return await task();
      } finally {
        // Idle: what runs next may find the pool's connections closed and open new ones.
        if (--this.#active === 0) this.#grown = 0;
        this.#freeUpTo(after);
        if (opens && --this.#opening === 0) this.#returned(this.#held.splice(0));
      }
    }, signal);
  }

  #returned(frees: (() => void)[]): void {
    for (const free of frees) this.#returning.push({ free, finished: ++this.#finishes });
    if (this.#limit.full) this.#freeLater();
  }

  /** Frees the slots of the tasks that finished up to the `last`th finish. */
  #freeUpTo(last: number): void {
    let count = 0;
    while (count < this.#returning.length && this.#returning[count].finished <= last) count++;
    if (count === 0) return;
    for (const { free } of this.#returning.splice(0, count)) free();
  }

  /** Frees, a timer task from now, every slot finished until now; again while tasks wait. */
  #freeLater(): void {
    if (this.#timerSet || this.#returning.length === 0) return;
    this.#timerSet = true;
    const last = this.#finishes;
    setTimeout(() => {
      this.#timerSet = false;
      this.#freeUpTo(last);
      if (this.#limit.full) this.#freeLater();
    }, 0);
  }
}
