// The in-flight bound for a pool that has no bound of its own and takes a connection back only a
// moment after its answer was read (Deno's fetch on hyper): a request that finds no connection idle
// opens another, so a slot must not go to the next request before its connection is back.
import { InFlightLimit } from "./_in_flight_limit.ts";

/**
 * At most `size` tasks at once, each finished task's slot freed a timer task later. While the pool
 * grows (a task in flight beyond the most since the limit was last idle is taken to open a
 * connection), finished tasks' slots are held until every such task has finished: meanwhile the
 * connection handshakes delay the return of finished connections past that timer task.
 */
export class PoolGrowthLimit {
  readonly #limit: InFlightLimit;
  #active = 0;
  #grown = 0;
  #opening = 0;
  #held: (() => void)[] = [];

  /** `size`: how many may run at once (a positive integer). */
  constructor(size: number) {
    this.#limit = new InFlightLimit(size, (free) => {
      if (this.#opening > 0) this.#held.push(free);
      else this.#later(free);
    });
  }

  /** The most that ever ran at once. */
  get peak(): number {
    return this.#limit.peak;
  }

  /** Runs `task` once a slot is free; rejects with the signal's reason if it aborts first. */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#limit.run(async () => {
      const opens = ++this.#active > this.#grown;
      if (opens) {
        this.#grown = this.#active;
        this.#opening++;
      }
      try {
        return await task();
      } finally {
        this.#active--;
        if (opens && --this.#opening === 0) {
          for (const free of this.#held.splice(0)) this.#later(free);
        }
      }
    }, signal);
  }

  #later(free: () => void): void {
    setTimeout(() => {
      free();
      if (this.#limit.inFlight === 0) this.#grown = 0;
    }, 0);
  }
}
