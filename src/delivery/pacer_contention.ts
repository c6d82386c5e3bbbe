/**
 * What the pacer knows of its neighbours on the address: the estimate of what
 * others hold in the window (set at a 429, decaying to nothing within one
 * window), and the state of the refusals and probes since (whether a 429 still
 * blocks, how many probes in a row were refused). Pure: every question takes
 * the time.
 *
 * @module
 */

/**
 * What others hold in the window: `hold` until `holdUntil` (the first probe), then a linear
 * ramp from `hold - 1` down to 0 at `expires` (at most one window after the 429 that set it:
 * everything others held then has left by that time).
 */
export class ContentionEstimate {
  #hold = 0;
  #holdUntil = -Infinity;
  #rampFrom = 0;
  #expires = -Infinity;

  /** When the estimate first leaves room (the first probe may go). */
  get holdUntil(): number {
    return this.#holdUntil;
  }

  /** What others hold in the window at `t`. */
  at(t: number): number {
    if (t < this.#holdUntil) return this.#hold;
    if (t >= this.#expires || this.#rampFrom <= 0) return 0;
    return this.#rampFrom * (this.#expires - t) / (this.#expires - this.#holdUntil);
  }

  /** The earliest time the estimate is at most `value`. */
  atMost(value: number): number {
    if (value >= this.#hold) return -Infinity;
    if (value >= this.#rampFrom) return this.#holdUntil;
    if (this.#rampFrom <= 0) return this.#holdUntil;
    const span = this.#expires - this.#holdUntil;
    return this.#expires - (value / this.#rampFrom) * span;
  }

  /** A 429: others hold `others` until `holdUntil`, and nothing from `expires` on. */
  refused(others: number, holdUntil: number, expires: number): void {
    this.#hold = others;
    this.#holdUntil = holdUntil;
    this.#rampFrom = Math.max(0, others - 1);
    this.#expires = Math.max(holdUntil, expires);
  }

  /** A probe got through at `now`: one of theirs left. Room for the next at once; same expiry. */
  probeGranted(now: number): void {
    const left = Math.max(0, this.at(now) - 1);
    this.#hold = left;
    this.#rampFrom = left;
    this.#holdUntil = now;
  }

  /** The window was this client's own: nobody else to make room for, from `now` on. */
  clear(now: number): void {
    this.#hold = this.#rampFrom = 0;
    this.#expires = now;
  }
}

/** Since the last 429: whether it still blocks, and how the probes after it fared. */
export class Refusals {
  /** A 429 came and nothing got through since. */
  blocked = false;
  /** When the refusal that began the block came. */
  blockedSince = -Infinity;
  /** When the last refusal that said something new came. */
  limitedAt = -Infinity;
  /** When the last refused request was sent. */
  refusedSentAt = -Infinity;
  /** Probes refused in a row, recently (the exponent of the next probe's gap). */
  failedProbes = 0;
  /** Others in the window at the last 429: requests beyond `capacity - this` are probes. */
  othersAtLimit = 0;
  /** Whether the block began after probes got through, taking room as others' requests left. */
  afterTakingRoom = false;
  /** Probes got through since the last refusal. */
  #tookRoom = false;
  /** A prediction made after taking room was refused: none until a quiet spell. */
  #predictionsOff = false;

  /**
   * A request sent at `sentAt` was refused: whether that says something new (a request sent
   * before the refusal that began this block does not).
   */
  refused(sentAt: number): boolean {
    this.refusedSentAt = Math.max(this.refusedSentAt, sentAt);
    return !(this.blocked && sentAt < this.blockedSince);
  }

  /**
   * A refusal at `now` that says something new: begins the block (the return value says
   * whether it did) or continues it. Refusals within `2 * longestGap` of the last one count
   * as failed probes; a quiet spell forgets them, and turns predictions back on.
   */
  block(now: number, longestGap: number): boolean {
    const starting = !this.blocked;
    if (starting) {
      this.blockedSince = now;
      this.afterTakingRoom = this.#tookRoom;
    }
    this.#tookRoom = false;
    if (now - this.limitedAt > 2 * longestGap) {
      this.failedProbes = 0;
      this.#predictionsOff = false;
    } else this.failedProbes++;
    this.blocked = true;
    this.limitedAt = now;
    return starting;
  }

  /**
   * A request sent at `sentAt` got through: whether it ends the block (one sent before the
   * refusal that began it proves nothing about room since).
   */
  granted(sentAt: number): boolean {
    if (!this.blocked || sentAt < this.blockedSince) return false;
    this.blocked = false;
    return true;
  }

  /**
   * A probe got through: one of the others left. The failed probes stay counted: one request
   * got in, the others are still there (a client that takes the room freed in a window and is
   * refused at its end would otherwise probe again at once, into the window it just filled).
   */
  probeGranted(): void {
    this.othersAtLimit = Math.max(0, this.othersAtLimit - 1);
    this.#tookRoom = true;
  }

  /**
   * A request sent on the prediction of room (when the window would have room if it held only
   * this client's requests) was refused. After taking room others' requests left, that says
   * the window is shared with clients who take what leaves as well: predictions from this
   * client's own requests would keep failing, so none are made until a quiet spell.
   */
  predictionRefused(): void {
    if (this.afterTakingRoom) this.#predictionsOff = true;
  }

  /** Whether a refusal may predict room from this client's own requests. */
  get predicting(): boolean {
    return !this.#predictionsOff;
  }

  /**
   * Whether the next request would use room no answer has proven since the last 429 (within
   * two windows of it): more than this client held then (`own()` now, in a window of
   * `windowMs`; counted only within those two windows), plus what its probes took since.
   */
  beyondProven(now: number, windowMs: number, own: () => number, capacity: number): boolean {
    return now - this.limitedAt < 2 * windowMs && own() + 1 + this.othersAtLimit > capacity;
  }
}
