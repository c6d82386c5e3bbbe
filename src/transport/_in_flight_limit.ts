// At most `size` requests in flight per client, the rest waiting in the order they came. With
// HTTP/1.1 a request in flight holds one connection, so this is the pool's bound in runtimes whose
// own pool has none (Deno's and Bun's fetch), and the same queue everywhere: the per-attempt
// deadline starts once a request has its slot, never while it waits behind others.

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal?: AbortSignal;
  readonly onAbort?: () => void;
  done: boolean;
}

/** A first-in, first-out counting semaphore whose waits end at once when their signal aborts. */
export class InFlightLimit {
  readonly #size: number;
  #inFlight = 0;
  #peak = 0;
  // A queue as an array with a moving head: O(1) at both ends; aborted waiters are skipped.
  #waiting: Waiter[] = [];
  #head = 0;

  readonly #defer: ((free: () => void) => void) | undefined;

  /**
   * `size`: how many may run at once (a positive integer). `defer`, if given, is handed the
   * freeing of each finished task's slot to run later; the task's caller does not wait for it.
   */
  constructor(size: number, defer?: (free: () => void) => void) {
    this.#size = size;
    this.#defer = defer;
  }

  /** How many run now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most that ever ran at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Whether a task asked now would wait for a slot. */
  get full(): boolean {
    return this.#inFlight >= this.#size || this.#head < this.#waiting.length;
  }

  /** Runs `task` once a slot is free; rejects with the signal's reason if it aborts first. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      if (this.#defer) this.#defer(() => this.#release());
      else this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#inFlight < this.#size && this.#head === this.#waiting.length) {
      this.#take();
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        done: false,
        onAbort: signal
          ? () => {
            if (waiter.done) return;
            waiter.done = true;
            reject(signal.reason);
          }
          : undefined,
      };
      if (signal && waiter.onAbort) {
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiting.push(waiter);
    });
  }

  #take(): void {
    this.#inFlight++;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  #release(): void {
    this.#inFlight--;
    while (this.#head < this.#waiting.length && this.#inFlight < this.#size) {
      const waiter = this.#waiting[this.#head];
      this.#waiting[this.#head++] = undefined as unknown as Waiter;
      if (waiter.signal && waiter.onAbort) {
        waiter.signal.removeEventListener("abort", waiter.onAbort);
      }
      if (waiter.done) continue;
      waiter.done = true;
      this.#take();
      waiter.resolve();
    }
    if (this.#head === this.#waiting.length) {
      this.#waiting = [];
      this.#head = 0;
    }
  }
}
