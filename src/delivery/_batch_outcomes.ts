/**
 * Where the batcher's items end: counted as accepted, rejected or dead-lettered, and handed to
 * `onRejected` / `onDeadLetter` (a callback that throws is logged, never fatal).
 *
 * @module
 */

import { VectorVueError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { ItemOutcome } from "./batch_outcome.ts";
import { describeFailure } from "./batch_delivery.ts";
import type { BatcherOptions, ItemOrigin, RejectedItem } from "./batcher_types.ts";
import { type Entry, itemOf } from "./_bounded_queue.ts";

/** See the module comment. */
export class BatchOutcomes {
  readonly #logger: Logger;
  readonly #onDeadLetter: BatcherOptions["onDeadLetter"];
  readonly #onRejected: BatcherOptions["onRejected"];
  #accepted = 0;
  #rejected = 0;
  #deadLettered = 0;

  constructor(logger: Logger, options: BatcherOptions) {
    this.#logger = logger;
    this.#onDeadLetter = options.onDeadLetter;
    this.#onRejected = options.onRejected;
  }

  /** Items the server stored. */
  get accepted(): number {
    return this.#accepted;
  }

  /** Items the server refused. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Items handed to `onDeadLetter`. */
  get deadLettered(): number {
    return this.#deadLettered;
  }

  /**
   * Counts the outcomes of entries, and moves them out of flight with `leaveFlight` (their items
   * rebuilt first, as that releases their bytes), in one step before any callback runs, so
   * stats() adds up; then runs the callbacks.
   */
  report(
    entries: readonly Entry[],
    outcomes: readonly ItemOutcome[],
    error: Error | undefined,
    leaveFlight: () => void,
  ): Promise<boolean> {
    const rejected: RejectedItem[] = [];
    const undelivered: unknown[] = [];
    const origins: (ItemOrigin | undefined)[] = [];
    outcomes.forEach((outcome, position) => {
      if (outcome.status === "accepted") this.#accepted++;
      else if (outcome.status === "rejected") {
        const origin = entries[position].origin;
        rejected.push({
          item: itemOf(entries[position]),
          errorCode: outcome.errorCode ?? "rejected",
          errorMessage: outcome.errorMessage ?? "",
          ...(origin === undefined ? {} : { origin }),
        });
      } else {
        undelivered.push(itemOf(entries[position]));
        origins.push(entries[position].origin);
      }
    });
    this.#rejected += rejected.length;
    leaveFlight();
    const deadLettered = undelivered.length > 0
      ? this.#deadLetter(
        undelivered,
        error ?? new VectorVueError("the batch answer did not account for these items"),
        origins,
      )
      : undefined;
    return this.#afterReport(rejected, deadLettered);
  }

  /** Whether every callback that reported the items returned (none threw). */
  async #afterReport(
    rejected: RejectedItem[],
    deadLettered: Promise<boolean> | undefined,
  ): Promise<boolean> {
    const heard = rejected.length === 0 ||
      await this.#callback("onRejected", () => this.#onRejected?.(rejected));
    return (await (deadLettered ?? true)) && heard;
  }

  /** Counts items as dead-lettered at once, then hands them to `onDeadLetter` (with origins). */
  async deadLetter(
    items: unknown[],
    error: Error,
    origins: readonly (ItemOrigin | undefined)[],
  ): Promise<void> {
    await this.#deadLetter(items, error, origins);
  }

  /** {@linkcode BatchOutcomes.deadLetter}, saying whether `onDeadLetter` returned. */
  #deadLetter(
    items: unknown[],
    error: Error,
    origins: readonly (ItemOrigin | undefined)[],
  ): Promise<boolean> {
    this.#deadLettered += items.length;
    this.#logger.error("vectorvue batcher dead-lettered items", {
      count: items.length,
      ...describeFailure(error),
    });
    return this.#callback("onDeadLetter", () => this.#onDeadLetter?.(items, error, origins));
  }

  /** Runs a callback; a throw is logged (never fatal) and makes this `false`. */
  async #callback(name: string, call: () => void | Promise<void>): Promise<boolean> {
    try {
      await call();
      return true;
    } catch (error) {
      this.#logger.error(`vectorvue batcher ${name} callback threw`, {
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  }
}
