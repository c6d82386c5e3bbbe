/**
 * The server's window as the pacer learns it: the configured one until the
 * server proves a shorter one, and only from evidence that the window was this
 * client's own (what it alone held at the 429 matches the configured average
 * rate over the candidate window). Before that, at a pause's first refusal, it
 * predicts when room comes if the window held only its latest burst. A
 * refused replay lengthens a learned window a spacing at a time, then forgets
 * it. Pure: every question takes the time and the requests it concerns.
 *
 * @module
 */

import { PROBE_JITTER } from "../retry.ts";
import type { Sent } from "./pacer_own_requests.ts";

/** When room comes if the window is this client's alone: `count` spacings after `base`. */
export interface Prediction {
  readonly base: number;
  readonly first: number;
  readonly count: number;
  readonly at: number;
}

/** The configured limit: `requests` per sliding window of `windowMs` (the pacer's `RateLimit`). */
interface Limit {
  readonly requests: number;
  readonly windowMs: number;
}

/** Times a learned window is lengthened by refused replays before it is forgotten. */
const MAX_LENGTHENINGS = 3;
/** Fewest requests of its own a window must have held for the pacer to learn its length. */
const MIN_HELD_TO_LEARN = 3;

/** The capacity and window the pacer counts with, and how it learns them. */
export class WindowLearning {
  /** The configured limit (the pacer's `RateLimit`). */
  readonly #limit: Limit;
  /** Learned capacity (the configured one until the server proves a shorter window). */
  capacity: number;
  /** Learned window length (the configured one until the server proves a shorter window). */
  windowMs: number;
  /** The longest window the evidence that taught the learned one allowed. */
  #learnedUpper = 0;
  #lengthened = 0;
  #prediction: Prediction | undefined;

  constructor(limit: Limit) {
    this.#limit = limit;
    this.capacity = limit.requests;
    this.windowMs = limit.windowMs;
  }

  /** The configured window: the longest the learned one can become again. */
  get configuredMs(): number {
    return this.#limit.windowMs;
  }

  /** The configured average spacing of requests. */
  get spacing(): number {
    return this.#limit.windowMs / this.#limit.requests;
  }

  /**
   * A request was refused (a 429 that says something new). One refused on room its own
   * leaving request should have made (not a probe) while a shorter window is learned: the
   * learned window is too short. It grows a spacing (a neighbour's request) at a time, at least
   * to the longest the evidence allowed; refused again after three times, it is forgotten.
   */
  refused(probe: boolean): void {
    const limit = this.#limit;
    if (probe || this.windowMs >= limit.windowMs) return;
    if (this.#lengthened < MAX_LENGTHENINGS) {
      this.#lengthened++;
      this.windowMs = Math.min(
        limit.windowMs,
        Math.max(this.#learnedUpper, this.windowMs + this.spacing),
      );
    } else {
      this.windowMs = limit.windowMs;
      this.capacity = limit.requests;
    }
  }

  /**
   * While the window is not calibrated: when room would come if the window were this client's
   * alone at the configured rate (at a pause's first refusal, `starting`), and, when that probe
   * (sent at `sentAt`) is refused, one spacing later, a few times (a neighbour holding a request
   * or two delays room that much). `grants`: the answered requests, oldest sent first.
   */
  predict(
    now: number,
    starting: boolean,
    sentAt: number,
    grants: () => readonly Sent[],
  ): number | undefined {
    if (this.windowMs !== this.#limit.windowMs) return undefined;
    const spacing = this.spacing;
    if (starting) {
      this.#prediction = aloneRoom(grants(), spacing, now);
    } else if (this.#prediction && sentAt >= this.#prediction.at) {
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

  /** When the current prediction expects room, if there is one. */
  get predictedAt(): number | undefined {
    return this.#prediction?.at;
  }

  /** The block ended (or predictions are off): the prediction is spent. */
  forgetPrediction(): void {
    this.#prediction = undefined;
  }

  /**
   * The first request through after a 429 (`entry`, answered at `now`), while the server's
   * window was full: some request left it. If what this client alone held at the 429 (`own`:
   * its answered requests sent before it, oldest first, `entry` not among them), counted from
   * one of its own requests, is what the configured average rate allows in the time since that
   * request, the window was its own and is that long. Contention never passes this test by
   * chance in a way that matters: a window learned too short keeps the same average rate.
   * Returns whether it learned (the window was the client's own).
   */
  learn(
    now: number,
    entry: Sent,
    own: readonly Sent[],
    limitedAt: number,
    refusedSentAt: number,
  ): boolean {
    const limit = this.#limit;
    const spacing = this.spacing;
    for (let i = 0; i < own.length; i++) {
      // This got in: the window (if ours alone) is at most this long...
      const upper = Math.ceil(now - own[i].sentAt);
      if (upper >= this.windowMs) continue;
      const held = own.length - i;
      // Too little to tell a window from a neighbour's request leaving.
      if (held < MIN_HELD_TO_LEARN) break;
      // ...and longer than the last refusal's distance from it.
      const lower = refusedSentAt - own[i].doneAt;
      // At the configured average rate, `held` requests fill a window this long.
      const atRate = held * spacing;
      // Ours alone, room comes when the configured rate says: not before, and not much after
      // (the probe's jitter and its round trip), else someone else's request left.
      const late = atRate * PROBE_JITTER / 2 + 2 * (now - entry.sentAt) + spacing / 4;
      if (upper < atRate - spacing / 4 || upper > atRate + late) continue;
      // And at the 429 such a window held exactly these: the request before them had left it.
      if (i > 0 && own[i - 1].doneAt + atRate > limitedAt) continue;
      // The rate's figure, within what the server showed (never below the last refusal).
      const windowMs = Math.ceil(Math.min(upper, Math.max(atRate, lower)));
      this.#learnedUpper = upper;
      this.#lengthened = 0;
      this.windowMs = windowMs;
      // Never more than it held: the average rate stays at most the configured one.
      this.capacity = Math.max(
        1,
        Math.min(held, Math.floor(limit.requests * windowMs / limit.windowMs)),
      );
      return true;
    }
    return false;
  }
}

/**
 * If the window were full of this client's own granted requests (`grants`, oldest sent first)
 * at the configured average `spacing`, when room would come: for a capacity of `c`, the window
 * is `c` spacings long and holds exactly the last `c` grants at `now`; the smallest such `c` is
 * taken (the latest burst: older grants would make a window that the refusals before
 * contradict).
 */
export function aloneRoom(
  grants: readonly Sent[],
  spacing: number,
  now: number,
): Prediction | undefined {
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
