// The server's request limits: N requests per 60 s sliding window per key (client IP for the
// integration routes, tenant+user for client telemetry). Rejected requests do not count.

/** A sliding-window request counter driven by an injected clock. */
export class SlidingWindowLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();

  constructor(limit: number, windowMs = 60_000) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records a request for `key` at `nowMs`; `false` when the key is over its limit. */
  allow(key: string, nowMs: number): boolean {
    const recent = (this.#hits.get(key) ?? []).filter((at) => at > nowMs - this.#windowMs);
    if (recent.length >= this.#limit) {
      this.#hits.set(key, recent);
      return false;
    }
    recent.push(nowMs);
    this.#hits.set(key, recent);
    return true;
  }

  /** Forgets every key. */
  clear(): void {
    this.#hits.clear();
  }
}
