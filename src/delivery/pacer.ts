/**
 * The pacer: one per client, shared by every call to the rate-limited
 * integration routes. The server's limit is a sliding window per client
 * address, shared with whoever else sends from that address, and refused
 * requests do not count; so the pacer:
 *
 * - lets a burst up to the allowance go at once, and sends again when one of
 *   its own granted requests leaves the window (room frees exactly one window
 *   after each grant);
 * - on a 429 estimates what others hold in the window (the capacity minus its
 *   own) and lets that estimate decay to nothing within one window: the first
 *   unit after a short, jittered gap (a probe), the rest linearly. A probe that
 *   gets through proves room: it is taken at once. Probes that keep failing
 *   space out (growing, capped), since others are replacing what leaves, and
 *   one that gets through does not shorten the next gap: contention lasts
 *   until a quiet spell;
 * - learns a shorter window than the configured one only from evidence that
 *   the window was its own (what it alone held at the 429 matches the
 *   configured average rate over the candidate window), and keeps nothing
 *   learned from contention beyond one window. It probes at the time its own
 *   requests predict (if the window held only them) until such a prediction,
 *   made after it took room that others' requests left, is refused: then
 *   others take what leaves too, and it probes by the gap until a quiet spell;
 * - pauses everyone while the server is unavailable (502/503/504, no answer),
 *   once, with the one back-off formula of `retry.ts`.
 *
 * Each of these is a piece of its own, tested on times given by hand:
 * `pacer_own_requests.ts` (the sliding-window record of its own requests and
 * when room comes), `pacer_contention.ts` (the estimate of others and the
 * refusals and probes since a 429), `pacer_window_learning.ts` (the learned
 * window and the prediction of room), `pacer_unavailable.ts` (the pause) and
 * `pacer_waiting.ts` (the waiters and the time they wait). `Pacer` puts them
 * together; every growing wait is computed in `retry.ts`.
 *
 * @module
 */

import {
  abortableDelay,
  type BackoffOptions,
  isUnavailableStatus,
  PROBE_JITTER,
  probeGap,
} from "../retry.ts";
import { ContentionEstimate, Refusals } from "./pacer_contention.ts";
import { nextRoom, OwnRequests, type Sent } from "./pacer_own_requests.ts";
import { UnavailablePause } from "./pacer_unavailable.ts";
import { type RequestTally, WaitClock, waitTracker, WakeSignal } from "./pacer_waiting.ts";
import { WindowLearning } from "./pacer_window_learning.ts";

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

/**
 * Why sending waits, and until when the pacer expects the next slot.
 *
 * @example Say why delivery waits
 * ```ts
 * import type { PauseInfo } from "@spectrastrike/vectorvue-client";
 *
 * const why = (pause: PauseInfo) =>
 *   pause.reason === "unavailable"
 *     ? "server unavailable"
 *     : pause.shared ? "rate limit: shared with others on this address" : "rate limit";
 * ```
 */
export interface PauseInfo {
  /**
   * `rate_limited`: the window is full (the client's own requests, or others' after a 429);
   * `unavailable`: the server answered 502/503/504, or nothing at all.
   */
  readonly reason: "rate_limited" | "unavailable";
  /** When the pacer expects the next slot, in epoch milliseconds (an estimate). */
  readonly until: number;
  /** Whether others on this address hold part of the window (the server answered 429 recently). */
  readonly shared?: boolean;
}

export { newTally, type RequestTally, WaitClock } from "./pacer_waiting.ts";

/**
 * How an attempt that held a slot ended: an HTTP status (with the server's
 * `Retry-After`, capped), a transport failure (`connection`, `timeout`: the
 * server may be down), not sent at all, or nothing known (aborted mid-flight).
 */
export type SlotResult =
  | { readonly status: number; readonly retryAfterMs?: number }
  | {
    readonly status?: undefined;
    readonly failure?: "connection" | "timeout";
    /** Nothing left the client (a throw while preparing it): the slot is simply given back. */
    readonly notSent?: boolean;
  };

/** The right to send one request; `settle` it with the answer (once; later calls are ignored). */
export interface Slot {
  settle(result: SlotResult): void;
}

/** Facts of a rate-limit pause, for the `vectorvue rate limit` log record. */
export interface PauseEvent {
  readonly reason: PauseInfo["reason"];
  readonly resumeAt: string;
  readonly allowance: number;
  readonly windowMs: number;
  /** What the pacer estimates others on the address hold in the window. */
  readonly othersEstimate: number;
}

/** Longest gap between failing probes, in multiples of the configured average spacing. */
const PROBE_GAP_CAP = 20;

/**
 * Paces one client's requests to a sliding-window limit shared with unknown
 * neighbours. With `false` it paces nothing for the rate limit (it still
 * pauses for an unavailable server).
 */
export class Pacer {
  /** The capacity and window counted with; `undefined` when nothing is paced for a rate limit. */
  readonly #window: WindowLearning | undefined;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onPause: (event: PauseEvent) => void;
  readonly #own = new OwnRequests();
  readonly #others = new ContentionEstimate();
  readonly #refusals = new Refusals();
  readonly #unavailable: UnavailablePause;
  #retryAfterUntil = -Infinity;
  readonly #wake = new WakeSignal();
  /** Every 429 this pacer saw. */
  rateLimited = 0;
  /** Time any caller waited for the rate limit. */
  readonly rateLimitWait: WaitClock;

  constructor(
    limit: RateLimit | false,
    options: {
      readonly backoff: BackoffOptions;
      readonly now?: () => number;
      readonly random?: () => number;
      readonly onPause?: (event: PauseEvent) => void;
    },
  ) {
    this.#window = limit === false ? undefined : new WindowLearning(limit);
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    this.#onPause = options.onPause ?? (() => {});
    this.#unavailable = new UnavailablePause(options.backoff, this.#random);
    this.rateLimitWait = new WaitClock(this.#now);
  }

  /** Whether this pacer paces for a rate limit. */
  get enabled(): boolean {
    return this.#window !== undefined;
  }

  /** The allowance now (capacity minus what others are estimated to hold) and the window. */
  get allowance(): RateLimit {
    const others = Math.ceil(this.#others.at(this.#now()));
    const capacity = this.#window?.capacity ?? 0;
    return { requests: Math.max(0, capacity - others), windowMs: this.#window?.windowMs ?? 0 };
  }

  /** What others on the address are estimated to hold in the window now (0 when alone). */
  get othersEstimate(): number {
    return Math.ceil(this.#others.at(this.#now()));
  }

  /** Why and until when sending waits, or `undefined` while a slot is free. */
  get pause(): PauseInfo | undefined {
    const now = this.#now();
    // Requests in flight: as if answered now, for an estimate rather than "unknown".
    let readyAt = this.#readyAt(now, now);
    if (readyAt <= now) return undefined;
    if (!Number.isFinite(readyAt)) readyAt = now + (this.#window?.spacing ?? 0);
    const unavailable = this.#unavailable.until > now;
    return {
      reason: unavailable ? "unavailable" : "rate_limited",
      until: Date.now() + (readyAt - now),
      ...(!unavailable && this.#others.at(now) > 0 ? { shared: true } : {}),
    };
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
    const wait = waitTracker([this.rateLimitWait, tally?.rateLimitWait]);
    try {
      for (;;) {
        signal?.throwIfAborted();
        const now = this.#now();
        const readyAt = this.#readyAt(now);
        if (readyAt <= now) return this.#take(now);
        // Infinity: it depends on a request in flight; keep waiting for it until the deadline.
        if ((readyAt > deadline && readyAt !== Infinity) || now >= deadline) return undefined;
        wait(this.#unavailable.until <= now);
        const until = Math.min(readyAt, deadline);
        await abortableDelay(
          until === Infinity ? Infinity : Math.max(0, Math.ceil(until - now)),
          signal,
          this.#wake.changed,
        );
      }
    } finally {
      wait(false);
    }
  }

  /** When a request may go; `inFlightDoneAt` stands in for answers not yet come. */
  #readyAt(now: number, inFlightDoneAt = Infinity): number {
    const gate = Math.max(this.#unavailable.until, this.#retryAfterUntil);
    const window = this.#window;
    if (!window) return gate;
    // Kept for the configured window (the longest the learned one can become again), counted
    // for the learned one.
    this.#own.prune(now, window.configuredMs);
    // After a 429, one request at a time until one gets through, and one probe at a time while
    // contention is recent: its answer says whether there is room for the next (several in
    // flight would all be refused together).
    if (
      inFlightDoneAt === Infinity &&
      ((this.#refusals.blocked && this.#own.inFlight()) ||
        (this.#beyondProven(now) && this.#own.inFlight(true)))
    ) {
      return Infinity;
    }
    const leaving = this.#own.leaving(now, window.windowMs, inFlightDoneAt);
    return nextRoom(now, leaving, window.capacity, (room) => this.#others.atMost(room), gate);
  }

  /** Whether the next request would use room no answer has proven since the last 429. */
  #beyondProven(now: number): boolean {
    const window = this.#window!;
    return this.#refusals.beyondProven(
      now,
      window.windowMs,
      () => this.#own.count(now, window.windowMs),
      window.capacity,
    );
  }

  #take(now: number): Slot {
    const entry = this.#window ? this.#own.add(now, this.#beyondProven(now)) : undefined;
    let settled = false;
    return {
      settle: (result) => {
        if (settled) return;
        settled = true;
        this.#settle(entry, result);
      },
    };
  }

  /** An answer (or none) to a request; `entry` is its record when a rate limit is paced. */
  #settle(entry: Sent | undefined, result: SlotResult): void {
    const now = this.#now();
    if (entry) this.#own.answered(entry, now);
    const status = result.status;
    if (status === undefined && result.notSent) {
      if (entry) this.#own.forget(entry);
      return this.#wake.wakeAll();
    }
    if (status === 429) {
      this.rateLimited++;
      // Refused requests do not count on the server: forget this one.
      if (entry) this.#own.forget(entry);
      if (result.retryAfterMs !== undefined) {
        // The server said when: nothing to estimate.
        this.#retryAfterUntil = Math.max(this.#retryAfterUntil, now + result.retryAfterMs);
      } else if (entry) {
        this.#limitedRate(now, entry);
      }
    } else if (
      status === undefined ? result.failure !== undefined : isUnavailableStatus(status)
    ) {
      this.#unavailable.failed(now, status !== undefined ? result.retryAfterMs : undefined);
    } else if (status !== undefined) {
      this.#unavailable.answered();
      if (entry) this.#granted(now, entry);
    }
    this.#wake.wakeAll();
  }

  /** A 429 without `Retry-After`: the window was full when it arrived. */
  #limitedRate(now: number, entry: Sent): void {
    const window = this.#window!;
    // Sent before the refusal that began this block: it says nothing new.
    if (!this.#refusals.refused(entry.sentAt)) return;
    window.refused(entry.probe);
    // Answers still to come may be refused too: count only what was granted (others are then
    // estimated high, the cautious side).
    const own = this.#own.granted(now, window.windowMs);
    const others = Math.max(0, window.capacity - own);
    const longestGap = Math.min(window.windowMs, PROBE_GAP_CAP * window.spacing);
    // Refusals space probes out while contention lasts; quiet forgets them.
    const predictedAt = window.predictedAt;
    const starting = this.#refusals.block(now, longestGap);
    if (predictedAt !== undefined && entry.sentAt >= predictedAt) {
      this.#refusals.predictionRefused();
    }
    let prediction: number | undefined;
    if (this.#refusals.predicting) {
      prediction = window.predict(now, starting, entry.sentAt, () => this.#own.answeredBySent());
    } else window.forgetPrediction();
    // Never early (it would be refused and teach nothing), a little late at random.
    const gap = prediction !== undefined
      ? (prediction - now) * (1 + PROBE_JITTER / 2 * this.#random())
      : probeGap(
        this.#refusals.failedProbes,
        window.windowMs / Math.max(1, others),
        longestGap,
        this.#random,
      );
    this.#refusals.othersAtLimit = others;
    // Everything others held at the 429 has left one window later.
    this.#others.refused(
      others,
      now + gap,
      now + window.windowMs * (1 - PROBE_JITTER / 2 * this.#random()),
    );
    if (starting) {
      this.#onPause({
        reason: "rate_limited",
        resumeAt: new Date(Date.now() + (this.#others.holdUntil - now)).toISOString(),
        allowance: own,
        windowMs: window.windowMs,
        othersEstimate: others,
      });
    }
  }

  /** A request got through. */
  #granted(now: number, entry: Sent): void {
    // Sent before the refusal that began the block, it proves nothing about room since.
    if (this.#refusals.granted(entry.sentAt)) {
      const window = this.#window!;
      window.forgetPrediction();
      const limitedAt = this.#refusals.limitedAt;
      const own = this.#own.answeredBySent()
        .filter((other) => other !== entry && other.sentAt < limitedAt);
      if (window.learn(now, entry, own, limitedAt, this.#refusals.refusedSentAt)) {
        // The window was ours: nobody else to make room for.
        this.#others.clear(now);
        this.#refusals.othersAtLimit = 0;
      }
    }
    if (entry.probe) {
      // Room proven: one of theirs left. Take the next at once, keep the estimate's expiry.
      this.#others.probeGranted(now);
      this.#refusals.probeGranted();
    }
  }
}
