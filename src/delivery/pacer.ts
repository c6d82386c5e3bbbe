/**
 * The pacer: one per client, shared by every call to the rate-limited
 * integration routes. It keeps the client inside the server's sliding
 * window (240 requests per 60 s per client address by default), lets a
 * burst up to the allowance go at once, and learns from 429s: it pauses
 * until the server lets a probe through, lowers its allowance to what the
 * server really granted, learns a shorter window from when the server
 * freed a slot, and raises the allowance again by a tenth per two quiet windows.
 *
 * @module
 */

import type { BackoffOptions } from "../retry.ts";

/**
 * A request limit: `requests` per sliding window of `windowMs`.
 *
 * @example The documented VectorVue limit
 * ```ts
 * import type { RateLimit } from "@spectrastrike/vectorvue-client";
 *
 * const documented: RateLimit = { requests: 240, windowMs: 60_000 };
 * ```
 */
export interface RateLimit {
  /** Requests allowed in any window. */
  readonly requests: number;
  /** Length of the sliding window, in milliseconds. */
  readonly windowMs: number;
}

/** Why delivery is paused, and until when (epoch milliseconds, an estimate). */
export interface PauseInfo {
  /** `rate_limited`: the server answered 429; `unavailable`: 503 or no answer at all. */
  readonly reason: "rate_limited" | "unavailable";
  /** When sending resumes (a probe goes out), in epoch milliseconds. */
  readonly until: number;
}

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

/** How an attempt that held a slot ended. */
export type SlotResult =
  | { readonly status: number; readonly retryAfterMs?: number }
  | { readonly status?: undefined };

/** The right to send one request; `settle` it with the answer. */
export interface Slot {
  settle(result: SlotResult): void;
}

/** Facts of a rate-limit pause, for the `vectorvue rate limit` log record. */
export interface PauseEvent {
  readonly reason: PauseInfo["reason"];
  readonly resumeAt: string;
  readonly allowance: number;
  readonly windowMs: number;
}

interface Sent {
  readonly sentAt: number;
  /** When the answer came; `Infinity` while in flight (it counts until then and a window after). */
  doneAt: number;
}

const NO_SLOT: Slot = { settle() {} };
/** Growth of the wait between probes while the server keeps answering 429. */
const PROBE_GROWTH = 1.05;
/** Longest wait between probes, in multiples of the first (the allowance's average spacing). */
const PROBE_GAP_CAP = 4;
/** Quiet windows (no 429) before a lowered allowance rises by a tenth. */
const RAISE_AFTER_WINDOWS = 2;
/** Smallest window the pacer will learn. */
const MIN_WINDOW_MS = 100;

/**
 * Paces one client's requests to a sliding-window limit. With `false` it
 * paces nothing and learns nothing.
 */
export class Pacer {
  readonly #limit: RateLimit | undefined;
  readonly #backoff: BackoffOptions;
  readonly #now: () => number;
  readonly #onPause: (event: PauseEvent) => void;
  #allowance = 0;
  #windowMs = 0;
  #sent: Sent[] = [];
  #paused = false;
  #pauseReason: PauseInfo["reason"] = "rate_limited";
  #pausedUntil = 0;
  #probeGap = 0;
  #probing = false;
  #unavailableStreak = 0;
  #lastLimitedAt = -Infinity;
  #lastRaiseAt = -Infinity;
  #wake: (() => void)[] = [];
  /** Every 429 this pacer saw. */
  rateLimited = 0;
  /** Time any caller waited for the rate limit. */
  readonly rateLimitWait: WaitClock;

  constructor(
    limit: RateLimit | false,
    options: {
      readonly backoff: BackoffOptions;
      readonly now?: () => number;
      readonly onPause?: (event: PauseEvent) => void;
    },
  ) {
    this.#limit = limit === false ? undefined : limit;
    this.#backoff = options.backoff;
    this.#now = options.now ?? (() => performance.now());
    this.#onPause = options.onPause ?? (() => {});
    this.rateLimitWait = new WaitClock(this.#now);
    if (this.#limit) {
      this.#allowance = this.#limit.requests;
      this.#windowMs = this.#limit.windowMs;
    }
  }

  /** Whether this pacer paces at all. */
  get enabled(): boolean {
    return this.#limit !== undefined;
  }

  /** The current allowance and window, as learned. */
  get allowance(): RateLimit {
    return { requests: this.#allowance, windowMs: this.#windowMs };
  }

  /** Why and until when sending is paused, or `undefined`. */
  get pause(): PauseInfo | undefined {
    if (!this.#paused) return undefined;
    const left = Math.max(0, this.#pausedUntil - this.#now());
    return { reason: this.#pauseReason, until: Date.now() + left };
  }

  /**
   * Waits for the right to send one request. Resolves `undefined` when that
   * would take past `deadline` (on this pacer's clock), and rejects with the
   * signal's reason when it aborts.
   */
  async acquire(
    signal?: AbortSignal,
    deadline = Infinity,
    tally?: RequestTally,
  ): Promise<Slot | undefined> {
    if (!this.#limit) return NO_SLOT;
    let waiting = false;
    const wait = (on: boolean) => {
      if (on === waiting) return;
      waiting = on;
      const clocks = [this.rateLimitWait, tally?.rateLimitWait];
      for (const clock of clocks) on ? clock?.enter() : clock?.leave();
    };
    try {
      for (;;) {
        signal?.throwIfAborted();
        const now = this.#now();
        this.#maybeRaise(now);
        const readyAt = this.#readyAt(now);
        if (readyAt <= now) return this.#take(now);
        // Infinity: it depends on a request in flight; keep waiting for it until the deadline.
        if ((readyAt > deadline && readyAt !== Infinity) || now >= deadline) return undefined;
        wait(!(this.#paused && this.#pauseReason === "unavailable"));
        const until = Math.min(readyAt, deadline);
        await this.#sleep(until === Infinity ? undefined : until - now, signal);
      }
    } finally {
      wait(false);
    }
  }

  /** Pauses everyone for an unavailable server (503, 502, 504). */
  #pauseUnavailable(now: number, retryAfterMs: number | undefined): void {
    const { backoffMs, maxBackoffMs } = this.#backoff;
    const ceiling = Math.min(maxBackoffMs, backoffMs * 2 ** this.#unavailableStreak++);
    const waitMs = retryAfterMs ?? ceiling / 2 + Math.random() * ceiling / 2;
    this.#enterPause(now, "unavailable", Math.min(waitMs, maxBackoffMs));
  }

  #enterPause(now: number, reason: PauseInfo["reason"], waitMs: number): void {
    const starting = !this.#paused || this.#pauseReason !== reason;
    this.#paused = true;
    this.#pauseReason = reason;
    this.#pausedUntil = Math.max(now + waitMs, starting ? 0 : this.#pausedUntil);
    if (starting && reason === "rate_limited") {
      this.#onPause({
        reason,
        resumeAt: new Date(Date.now() + (this.#pausedUntil - now)).toISOString(),
        allowance: this.#allowance,
        windowMs: this.#windowMs,
      });
    }
  }

  #readyAt(now: number): number {
    if (this.#paused) return this.#probing ? Infinity : this.#pausedUntil;
    return this.#windowFreeAt(now);
  }

  /** When the model's window has room for one more request. */
  #windowFreeAt(now: number): number {
    const horizon = now - this.#windowMs;
    this.#sent = this.#sent.filter((entry) => entry.doneAt > horizon);
    const excess = this.#sent.length - this.#allowance + 1;
    if (excess <= 0) return now;
    const ends = this.#sent.map((entry) => entry.doneAt).sort((a, b) => a - b);
    return ends[excess - 1] + this.#windowMs;
  }

  #take(now: number): Slot {
    const probe = this.#paused;
    const modelFull = probe && this.#windowFreeAt(now) > now;
    const oldest = this.#sent.reduce((min, entry) => Math.min(min, entry.sentAt), Infinity);
    if (probe) this.#probing = true;
    const entry: Sent = { sentAt: now, doneAt: Infinity };
    this.#sent.push(entry);
    let settled = false;
    return {
      settle: (result) => {
        if (settled) return;
        settled = true;
        this.#settle(entry, result, probe, modelFull ? oldest : undefined);
      },
    };
  }

  #settle(entry: Sent, result: SlotResult, probe: boolean, oldestSentAt?: number): void {
    const now = this.#now();
    entry.doneAt = now;
    if (probe) this.#probing = false;
    const status = result.status;
    if (status === 429) {
      this.rateLimited++;
      this.#lastLimitedAt = now;
      // Refused requests do not count on the server: forget this one.
      this.#sent = this.#sent.filter((other) => other !== entry);
      if (result.retryAfterMs === undefined) {
        // What we had in the window is what the server granted us (others on our address may
        // hold the rest). With Retry-After the server said when instead: nothing to learn.
        // Requests still in flight count: each one refused later lowers the allowance again.
        const counted = this.#sent.filter((other) => other.doneAt > now - this.#windowMs).length;
        this.#allowance = Math.max(1, Math.min(this.#allowance, counted));
      }
      const firstGap = this.#limit!.windowMs / this.#limit!.requests;
      if (!this.#paused || this.#pauseReason !== "rate_limited") {
        this.#probeGap = firstGap;
      } else {
        // Fine enough to learn the window to a few tenths of a second, sparse enough for long ones.
        this.#probeGap = Math.min(this.#probeGap * PROBE_GROWTH, PROBE_GAP_CAP * firstGap);
      }
      // Once the window is learned, the model says when a slot frees; before, probe for it.
      const freeIn = Math.max(0, this.#windowFreeAt(now) - now);
      const learned = this.#windowMs < this.#limit!.windowMs;
      const gap = result.retryAfterMs ??
        (learned && freeIn > 0 ? freeIn : Math.min(this.#probeGap, freeIn || this.#probeGap));
      this.#enterPause(now, "rate_limited", gap);
    } else if (status === 502 || status === 503 || status === 504) {
      this.#pauseUnavailable(now, result.retryAfterMs);
    } else {
      if (status !== undefined) this.#unavailableStreak = 0;
      if (probe && status === undefined) {
        // No answer: the next request probes again (the caller backs off on its own).
        this.#pausedUntil = now;
      } else if (probe) {
        this.#paused = false;
        // The server let this through while our model said the window was full: its window is
        // shorter. The oldest request we counted must have left it by the time this one arrived.
        if (oldestSentAt !== undefined && oldestSentAt < entry.sentAt) {
          this.#windowMs = Math.max(
            MIN_WINDOW_MS,
            Math.min(this.#windowMs, Math.ceil(now - oldestSentAt)),
          );
        }
      }
    }
    for (const wake of this.#wake.splice(0)) wake();
  }

  /** Raises a lowered allowance by a tenth once two whole windows passed without a 429. */
  #maybeRaise(now: number): void {
    const limit = this.#limit!;
    if (this.#allowance >= limit.requests || this.#paused) return;
    const quietSince = Math.max(this.#lastLimitedAt, this.#lastRaiseAt);
    if (now - quietSince < RAISE_AFTER_WINDOWS * this.#windowMs) return;
    this.#allowance = Math.min(
      limit.requests,
      this.#allowance + Math.max(1, Math.floor(this.#allowance / 10)),
    );
    this.#lastRaiseAt = now;
  }

  /** Sleeps `ms` (or until a request settles), rejecting when `signal` aborts. */
  #sleep(ms: number | undefined, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const end = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#wake = this.#wake.filter((other) => other !== wake);
      };
      const wake = () => {
        end();
        resolve();
      };
      const onAbort = () => {
        end();
        reject(signal?.reason);
      };
      if (signal?.aborted) return onAbort();
      if (ms !== undefined) timer = setTimeout(wake, Math.max(0, Math.ceil(ms)));
      this.#wake.push(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
