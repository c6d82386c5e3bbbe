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
 *   space out (doubling, capped), since others are replacing what leaves;
 * - learns a shorter window than the configured one only from evidence that
 *   the window was its own (what it alone held at the 429 matches the
 *   configured average rate over the candidate window), and keeps nothing
 *   learned from contention beyond one window;
 * - pauses everyone while the server is unavailable (502/503/504, no answer),
 *   once, with the one back-off formula of `retry.ts`.
 *
 * @module
 */

import {
  abortableDelay,
  backoffDelay,
  type BackoffOptions,
  isUnavailableStatus,
} from "../retry.ts";

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

/** When room comes if the window is this client's alone: `count` spacings after `base`. */
interface Prediction {
  readonly base: number;
  readonly first: number;
  readonly count: number;
  readonly at: number;
}

interface Sent {
  readonly sentAt: number;
  /** When the answer came; `Infinity` while in flight (it counts until then and a window after). */
  doneAt: number;
  /** Sent on room the contention estimate's decay gave (not on one of its own requests leaving). */
  readonly probe: boolean;
}

/** Longest gap between failing probes, in multiples of the configured average spacing. */
const PROBE_GAP_CAP = 20;
/** Times a learned window is lengthened by refused replays before it is forgotten. */
const MAX_LENGTHENINGS = 3;
/** Fewest requests of its own a window must have held for the pacer to learn its length. */
const MIN_HELD_TO_LEARN = 3;
/** Jitter of probe gaps and of the estimate's expiry, so clients refused together drift apart. */
const JITTER = 0.25;

/**
 * Paces one client's requests to a sliding-window limit shared with unknown
 * neighbours. With `false` it paces nothing for the rate limit (it still
 * pauses for an unavailable server).
 */
export class Pacer {
  readonly #limit: RateLimit | undefined;
  readonly #backoff: BackoffOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onPause: (event: PauseEvent) => void;
  /** Learned capacity and window (configured ones until the server proves a shorter window). */
  #capacity = 0;
  #windowMs = 0;
  #sent: Sent[] = [];
  // The contention estimate: what others hold, `#hold` until `#holdUntil`, then a ramp from
  // `#rampFrom` to 0 at `#expires` (at most one window after the 429 that set it).
  #hold = 0;
  #holdUntil = -Infinity;
  #rampFrom = 0;
  #expires = -Infinity;
  /** Others in the window at the last 429: requests beyond `capacity - this` are probes. */
  #othersAtLimit = 0;
  #failedProbes = 0;
  /** A 429 came and nothing got through since. */
  #blocked = false;
  #blockedSince = -Infinity;
  #prediction: Prediction | undefined;
  /** The longest window the evidence that taught the learned one allowed. */
  #learnedUpper = 0;
  #lengthened = 0;
  /** When the last refused request was sent. */
  #refusedSentAt = -Infinity;
  #limitedAt = -Infinity;
  #retryAfterUntil = -Infinity;
  #unavailableUntil = -Infinity;
  #unavailableStreak = 0;
  #changed: Promise<void>;
  #wake: () => void = () => {};
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
    this.#limit = limit === false ? undefined : limit;
    this.#backoff = options.backoff;
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    this.#onPause = options.onPause ?? (() => {});
    this.rateLimitWait = new WaitClock(this.#now);
    this.#changed = new Promise((resolve) => (this.#wake = resolve));
    if (this.#limit) {
      this.#capacity = this.#limit.requests;
      this.#windowMs = this.#limit.windowMs;
    }
  }

  /** Whether this pacer paces for a rate limit. */
  get enabled(): boolean {
    return this.#limit !== undefined;
  }

  /** The allowance now (capacity minus what others are estimated to hold) and the window. */
  get allowance(): RateLimit {
    const others = Math.ceil(this.#others(this.#now()));
    return { requests: Math.max(0, this.#capacity - others), windowMs: this.#windowMs };
  }

  /** What others on the address are estimated to hold in the window now (0 when alone). */
  get othersEstimate(): number {
    return Math.ceil(this.#others(this.#now()));
  }

  /** Why and until when sending waits, or `undefined` while a slot is free. */
  get pause(): PauseInfo | undefined {
    const now = this.#now();
    // Requests in flight: as if answered now, for an estimate rather than "unknown".
    let readyAt = this.#readyAt(now, now);
    if (readyAt <= now) return undefined;
    if (!Number.isFinite(readyAt)) readyAt = now + this.#spacing();
    const unavailable = this.#unavailableUntil > now;
    return {
      reason: unavailable ? "unavailable" : "rate_limited",
      until: Date.now() + (readyAt - now),
      ...(!unavailable && this.#others(now) > 0 ? { shared: true } : {}),
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
    let waiting = false;
    const wait = (on: boolean) => {
      if (on === waiting) return;
      waiting = on;
      for (const clock of [this.rateLimitWait, tally?.rateLimitWait]) {
        on ? clock?.enter() : clock?.leave();
      }
    };
    try {
      for (;;) {
        signal?.throwIfAborted();
        const now = this.#now();
        const readyAt = this.#readyAt(now);
        if (readyAt <= now) return this.#take(now);
        // Infinity: it depends on a request in flight; keep waiting for it until the deadline.
        if ((readyAt > deadline && readyAt !== Infinity) || now >= deadline) return undefined;
        wait(this.#unavailableUntil <= now);
        const until = Math.min(readyAt, deadline);
        await abortableDelay(
          until === Infinity ? Infinity : Math.max(0, Math.ceil(until - now)),
          signal,
          this.#changed,
        );
      }
    } finally {
      wait(false);
    }
  }

  /** The configured average spacing of requests. */
  #spacing(): number {
    return this.#limit ? this.#limit.windowMs / this.#limit.requests : 0;
  }

  /** What others hold in the window at `t`, by the contention estimate. */
  #others(t: number): number {
    if (t < this.#holdUntil) return this.#hold;
    if (t >= this.#expires || this.#rampFrom <= 0) return 0;
    return this.#rampFrom * (this.#expires - t) / (this.#expires - this.#holdUntil);
  }

  /** The earliest time the estimate of others is at most `value`. */
  #othersAtMost(value: number): number {
    if (value >= this.#hold) return -Infinity;
    if (value >= this.#rampFrom) return this.#holdUntil;
    if (this.#rampFrom <= 0) return this.#holdUntil;
    const span = this.#expires - this.#holdUntil;
    return this.#expires - (value / this.#rampFrom) * span;
  }

  /** When a request may go; `inFlightDoneAt` stands in for answers not yet come. */
  #readyAt(now: number, inFlightDoneAt = Infinity): number {
    const gate = Math.max(this.#unavailableUntil, this.#retryAfterUntil);
    if (!this.#limit) return gate;
    // Kept for the configured window (the longest the learned one can become again), counted
    // for the learned one.
    this.#sent = this.#sent.filter((entry) => entry.doneAt > now - this.#limit!.windowMs);
    const horizon = now - this.#windowMs;
    // After a 429, one request at a time until one gets through, and one probe at a time while
    // contention is recent: its answer says whether there is room for the next (several in
    // flight would all be refused together).
    if (
      inFlightDoneAt === Infinity &&
      ((this.#blocked && this.#sent.some((entry) => entry.doneAt === Infinity)) ||
        (this.#beyondProven(now) &&
          this.#sent.some((entry) => entry.probe && entry.doneAt === Infinity)))
    ) {
      return Infinity;
    }
    const ends = this.#sent
      .filter((entry) => entry.doneAt > horizon)
      .map((entry) => (entry.doneAt === Infinity ? inFlightDoneAt : entry.doneAt) + this.#windowMs)
      .sort((a, b) => a - b);
    // After `j` of our own requests left the window, `own - j` remain; the next may go once
    // the others' estimate leaves room beside them.
    for (let j = 0; j <= ends.length; j++) {
      const start = j === 0 ? now : ends[j - 1];
      if (start === Infinity) break;
      const room = this.#capacity - (ends.length - j) - 1;
      if (room < 0) continue;
      const at = Math.max(start, this.#othersAtMost(room), gate);
      if (j === ends.length || at < ends[j]) return at;
    }
    return Infinity;
  }

  /**
   * Whether the next request would use room no answer has proven since the last 429 (within
   * two windows of it): more than this client held then, plus what its probes took since.
   */
  #beyondProven(now: number): boolean {
    return now - this.#limitedAt < 2 * this.#windowMs &&
      this.#own(now) + 1 + this.#othersAtLimit > this.#capacity;
  }

  /** Own requests counted in the window at `now` (in flight included). */
  #own(now: number): number {
    return this.#sent.filter((entry) => entry.doneAt > now - this.#windowMs).length;
  }

  #take(now: number): Slot {
    const probe = this.#limit !== undefined && this.#beyondProven(now);
    const entry: Sent = { sentAt: now, doneAt: Infinity, probe };
    if (this.#limit) this.#sent.push(entry);
    let settled = false;
    return {
      settle: (result) => {
        if (settled) return;
        settled = true;
        this.#settle(entry, result);
      },
    };
  }

  #settle(entry: Sent, result: SlotResult): void {
    const now = this.#now();
    entry.doneAt = now;
    const status = result.status;
    if (status === undefined && result.notSent) {
      this.#sent = this.#sent.filter((other) => other !== entry);
      return this.#wakeAll();
    }
    if (status === 429) {
      this.rateLimited++;
      // Refused requests do not count on the server: forget this one.
      this.#sent = this.#sent.filter((other) => other !== entry);
      if (result.retryAfterMs !== undefined) {
        // The server said when: nothing to estimate.
        this.#retryAfterUntil = Math.max(this.#retryAfterUntil, now + result.retryAfterMs);
      } else if (this.#limit) {
        this.#limitedRate(now, entry);
      }
    } else if (
      status === undefined ? result.failure !== undefined : isUnavailableStatus(status)
    ) {
      const waitMs = status !== undefined && result.retryAfterMs !== undefined
        ? result.retryAfterMs
        : backoffDelay(this.#unavailableStreak++, this.#backoff, this.#random);
      this.#unavailableUntil = Math.max(this.#unavailableUntil, now + waitMs);
    } else if (status !== undefined) {
      this.#unavailableStreak = 0;
      this.#unavailableUntil = -Infinity;
      if (this.#limit) this.#granted(now, entry);
    }
    this.#wakeAll();
  }

  /** A 429 without `Retry-After`: the window was full when it arrived. */
  #limitedRate(now: number, entry: Sent): void {
    this.#refusedSentAt = Math.max(this.#refusedSentAt, entry.sentAt);
    // Sent before the refusal that began this block: it says nothing new.
    if (this.#blocked && entry.sentAt < this.#blockedSince) return;
    const limit = this.#limit!;
    if (!entry.probe && this.#windowMs < limit.windowMs) {
      // Refused on room our own leaving request should have made: the learned window is too
      // short. First the longest the evidence allowed (a neighbour held a request or two of it);
      // refused again, forget it.
      if (this.#lengthened < MAX_LENGTHENINGS) {
        // A spacing (a neighbour's request) longer at a time, at least what the evidence allowed.
        this.#lengthened++;
        this.#windowMs = Math.min(
          limit.windowMs,
          Math.max(this.#learnedUpper, this.#windowMs + this.#spacing()),
        );
      } else {
        this.#windowMs = limit.windowMs;
        this.#capacity = limit.requests;
      }
    }

    // Answers still to come may be refused too: count only what was granted (others are then
    // estimated high, the cautious side).
    const own =
      this.#sent.filter((other) => other.doneAt !== Infinity && other.doneAt > now - this.#windowMs)
        .length;
    const others = Math.max(0, this.#capacity - own);
    const starting = !this.#blocked;
    if (starting) this.#blockedSince = now;
    const longestGap = Math.min(this.#windowMs, PROBE_GAP_CAP * this.#spacing());
    // Refusals space probes out while contention lasts; quiet forgets them.
    if (now - this.#limitedAt > 2 * longestGap) this.#failedProbes = 0;
    else this.#failedProbes++;
    this.#blocked = true;
    this.#limitedAt = now;
    const spacing = this.#windowMs / Math.max(1, others);
    let gap = Math.min(longestGap, spacing * 4 ** Math.min(this.#failedProbes, 5));
    const prediction = this.#predict(now, starting, entry);
    // Never early (it would be refused and teach nothing), a little late at random.
    if (prediction !== undefined) gap = (prediction - now) * (1 + JITTER / 2 * this.#random());
    else gap *= 1 - JITTER / 2 + JITTER * this.#random();
    this.#othersAtLimit = others;
    this.#hold = others;
    this.#holdUntil = now + gap;
    this.#rampFrom = Math.max(0, others - 1);
    // Everything others held at the 429 has left one window later.
    this.#expires = Math.max(
      this.#holdUntil,
      now + this.#windowMs * (1 - JITTER / 2 * this.#random()),
    );
    if (starting) {
      this.#onPause({
        reason: "rate_limited",
        resumeAt: new Date(Date.now() + (this.#holdUntil - now)).toISOString(),
        allowance: own,
        windowMs: this.#windowMs,
        othersEstimate: others,
      });
    }
  }

  /**
   * While the window is not calibrated: when room would come if the window were this client's
   * alone at the configured rate (at a pause's first refusal), and, when that probe is refused,
   * one spacing later, a few times (a neighbour holding a request or two delays room that much).
   */
  #predict(now: number, starting: boolean, entry: Sent): number | undefined {
    if (this.#windowMs !== this.#limit!.windowMs) return undefined;
    const spacing = this.#spacing();
    if (starting) {
      this.#prediction = this.#aloneRoom(now);
    } else if (this.#prediction && entry.sentAt >= this.#prediction.at) {
      const { base, first } = this.#prediction;
      // One spacing later, and after now (the refusal may have come late).
      const count = Math.max(
        this.#prediction.count + 1,
        Math.floor((now - base) / spacing) + 1,
      );
      this.#prediction = count <= first * 1.125
        ? { base, first, count, at: base + count * spacing }
        : undefined;
    }
    const at = this.#prediction?.at;
    return at !== undefined && at > now ? at : undefined;
  }

  /**
   * If the window were full of this client's own granted requests, at the configured average
   * rate, when room would come: for a capacity of `c`, the window is `c` spacings long and
   * holds exactly our last `c` grants now; the smallest such `c` is taken (our latest burst:
   * older grants would make a window that the refusals before contradict).
   */
  #aloneRoom(now: number): Prediction | undefined {
    const spacing = this.#spacing();
    const grants = this.#sent
      .filter((entry) => entry.doneAt !== Infinity)
      .sort((a, b) => a.sentAt - b.sentAt);
    const n = grants.length;
    for (let c = 1; c <= n; c++) {
      const windowMs = c * spacing;
      // From its answer: it arrived before then, so room is there by this time.
      const leaves = grants[n - c].doneAt + windowMs;
      if (leaves <= now) continue;
      if (n - c - 1 >= 0 && grants[n - c - 1].sentAt + windowMs > now) continue;
      return { base: grants[n - c].doneAt, first: c, count: c, at: leaves };
    }
    return undefined;
  }

  /** A request got through. */
  #granted(now: number, entry: Sent): void {
    // Sent before the refusal that began the block, it proves nothing about room since.
    if (this.#blocked && entry.sentAt >= this.#blockedSince) {
      this.#blocked = false;
      this.#prediction = undefined;
      this.#learnWindow(now, entry);
    }
    if (entry.probe) {
      // Room proven: one of theirs left. Take the next at once, keep the estimate's expiry.
      const left = Math.max(0, this.#others(now) - 1);
      this.#hold = left;
      this.#rampFrom = left;
      this.#holdUntil = now;
      this.#othersAtLimit = Math.max(0, this.#othersAtLimit - 1);
      this.#failedProbes = Math.max(0, this.#failedProbes - 1);
    }
  }

  /**
   * The first request through after a 429, while the server's window was full: some request
   * left it. If what this client alone held at the 429, counted from one of its own requests,
   * is what the configured average rate allows in the time since that request, the window was
   * its own and is that long. Contention never passes this test by chance in a way that
   * matters: a window learned too short keeps the same average rate.
   */
  #learnWindow(now: number, entry: Sent): void {
    const limit = this.#limit!;
    const spacing = this.#spacing();
    const own = this.#sent
      .filter((other) =>
        other !== entry && other.doneAt !== Infinity && other.sentAt < this.#limitedAt
      )
      .sort((a, b) => a.sentAt - b.sentAt);
    for (let i = 0; i < own.length; i++) {
      // This got in: the window (if ours alone) is at most this long...
      const upper = Math.ceil(now - own[i].sentAt);
      if (upper >= this.#windowMs) continue;
      const held = own.length - i;
      // Too little to tell a window from a neighbour's request leaving.
      if (held < MIN_HELD_TO_LEARN) break;
      // ...and longer than the last refusal's distance from it.
      const lower = this.#refusedSentAt - own[i].doneAt;
      // At the configured average rate, `held` requests fill a window this long.
      const atRate = held * spacing;
      // Ours alone, room comes when the configured rate says: not before, and not much after
      // (the probe's jitter and its round trip), else someone else's request left.
      const late = atRate * JITTER / 2 + 2 * (now - entry.sentAt) + spacing / 4;
      if (upper < atRate - spacing / 4 || upper > atRate + late) continue;
      // And at the 429 such a window held exactly these: the request before them had left it.
      if (i > 0 && own[i - 1].doneAt + atRate > this.#limitedAt) continue;
      // The rate's figure, within what the server showed (never below the last refusal).
      const windowMs = Math.ceil(Math.min(upper, Math.max(atRate, lower)));
      this.#learnedUpper = upper;
      this.#lengthened = 0;
      this.#windowMs = windowMs;
      // Never more than it held: the average rate stays at most the configured one.
      this.#capacity = Math.max(
        1,
        Math.min(held, Math.floor(limit.requests * windowMs / limit.windowMs)),
      );
      // The window was ours: nobody else to make room for.
      this.#hold = this.#rampFrom = this.#othersAtLimit = 0;
      this.#expires = now;
      return;
    }
  }

  #wakeAll(): void {
    this.#wake();
    this.#changed = new Promise((resolve) => (this.#wake = resolve));
  }
}
