/**
 * The background batcher: `add()` items as they happen; they go out in
 * batches by count, size or time through the batching core, with memory
 * bounded in items and bytes, and every item ends in exactly one of
 * accepted, rejected or dead-lettered. This module only schedules.
 *
 * @module
 */

import { unrefTimer } from "../transport/_runtime_deno.ts";
import { VectorVueConfigError, VectorVueError } from "../errors.ts";
import { checkCallOptions } from "../option_names.ts";
import type { Logger } from "../logger.ts";
import { serializeItem, utf8Length } from "../serialize.ts";
import type { ItemOutcome } from "./batch_outcome.ts";
import {
  BatchDelivery,
  DELIVERY_BUDGET_MS,
  describeFailure,
  type IdempotencyKeyMaker,
  MAX_BATCH_BYTES,
  type Packed,
  positiveInteger,
  positiveMs,
  takeBatch,
} from "./batch_delivery.ts";
import type { DeliveryContext } from "./bulk.ts";

/**
 * `add()` after `close()`.
 *
 * @example Stop producing once the batcher is closed
 * ```ts
 * import { VectorVueBatcherClosedError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueBatcherClosedError();
 * assert.equal(error.name, "VectorVueBatcherClosedError");
 * ```
 */
export class VectorVueBatcherClosedError extends VectorVueError {
  /** Creates the error. */
  constructor() {
    super("the batcher is closed and accepts no new items");
  }
}

/**
 * An item the server refused, as given to `onRejected`.
 *
 * @example
 * ```ts
 * import type { RejectedItem } from "@spectrastrike/vectorvue-client";
 *
 * const report = (rejected: RejectedItem) => `${rejected.errorCode}: ${rejected.errorMessage}`;
 * ```
 */
export interface RejectedItem {
  /** The item as added. */
  readonly item: unknown;
  /** The server's code, such as `validation_failed`. */
  readonly errorCode: string;
  /** The server's message. */
  readonly errorMessage: string;
}

/**
 * Options of `client.createBatcher()`.
 *
 * @example Findings, flushed every 2 s, dead letters kept
 * ```ts
 * import type { BatcherOptions } from "@spectrastrike/vectorvue-client";
 *
 * const deadLetters: unknown[] = [];
 * const options: BatcherOptions = {
 *   kind: "findings",
 *   flushIntervalMs: 2_000,
 *   onDeadLetter: (items) => void deadLetters.push(...items),
 * };
 * ```
 */
export interface BatcherOptions {
  /** What the batcher sends. */
  readonly kind: "events" | "findings";
  /**
   * Items per batch.
   * @default {the client's maxBatchSize}
   */
  readonly maxBatchSize?: number;
  /**
   * Largest batch body in bytes of JSON; a single larger item goes alone.
   * @default {1048576}
   */
  readonly maxBatchBytes?: number;
  /**
   * Longest time an item waits for its batch to fill.
   * @default {1000}
   */
  readonly flushIntervalMs?: number;
  /**
   * Items held at most, queued and in flight; `add()` waits beyond it.
   * @default {10000}
   */
  readonly maxQueueSize?: number;
  /**
   * Bytes of JSON held at most, queued and in flight; `add()` waits beyond
   * it (a single larger item is still taken when nothing else is held).
   * @default {67108864}
   */
  readonly maxQueueBytes?: number;
  /**
   * How long a batch keeps being retried through transient failures (429,
   * 502/503/504, connection failures, timeouts) before it is dead-lettered;
   * meanwhile every batch waits, and delivery resumes when the server does.
   * @default {600000}
   */
  readonly deliveryBudgetMs?: number;
  /**
   * The `Idempotency-Key` of each batch from the position (in the order of
   * `add()`, from 0) of its first item and its size; a random UUID per batch
   * by default. Fixed before the first send, reused by every retry.
   */
  readonly idempotencyKey?: IdempotencyKeyMaker;
  /**
   * Batches in flight at once.
   * @default {2}
   */
  readonly concurrency?: number;
  /**
   * Receives items that could not be delivered (the delivery budget ran
   * out, or an error waiting cannot fix), with the error. Without it they are still counted and logged, never
   * silently dropped.
   */
  readonly onDeadLetter?: (items: unknown[], error: Error) => void | Promise<void>;
  /** Receives items the server refused (never retried). */
  readonly onRejected?: (items: RejectedItem[]) => void | Promise<void>;
}

/** The names {@linkcode BatcherOptions} has, to catch misspelled ones. */
export const BATCHER_OPTION_NAMES: readonly string[] = Object.keys(
  {
    kind: true,
    maxBatchSize: true,
    maxBatchBytes: true,
    flushIntervalMs: true,
    maxQueueSize: true,
    maxQueueBytes: true,
    deliveryBudgetMs: true,
    idempotencyKey: true,
    concurrency: true,
    onDeadLetter: true,
    onRejected: true,
  } satisfies Record<keyof BatcherOptions, true>,
);

/**
 * Counters of a batcher. `accepted + rejected + deadLettered + queued +
 * inFlight` is the number of items added.
 *
 * @example
 * ```ts
 * import type { BatcherStats } from "@spectrastrike/vectorvue-client";
 *
 * const done = (stats: BatcherStats) => stats.queued + stats.inFlight === 0;
 * ```
 */
export interface BatcherStats {
  /** Items waiting for a batch. */
  readonly queued: number;
  /** Items in batches being sent. */
  readonly inFlight: number;
  /** Items the server stored. */
  readonly accepted: number;
  /** Items the server refused. */
  readonly rejected: number;
  /** Items handed to `onDeadLetter`. */
  readonly deadLettered: number;
  /** The most items ever held at once (queued + in flight). */
  readonly peakHeld: number;
  /** Bytes of JSON held now (queued + in flight). */
  readonly heldBytes: number;
  /** Requests sent, retries included. */
  readonly requests: number;
  /** Answers with status 429. */
  readonly rateLimited: number;
  /** Time spent waiting for the rate limit, in milliseconds. */
  readonly rateLimitWaitMs: number;
}

/** An item added: `position` is its order of `add()`. */
interface Entry extends Packed {
  readonly item: unknown;
}

/** Default bound of the bytes a batcher holds, queued and in flight. */
const MAX_QUEUE_BYTES = 64 * 1024 * 1024;

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
}

/**
 * A background batcher, made by `client.createBatcher()`. Always `close()` it
 * (or use `await using`): that waits until every item added has been
 * delivered, refused or dead-lettered.
 *
 * @example Stream events and shut down cleanly
 * ```ts
 * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
 * const client = new VectorVueClient({
 *   ...emulator.defaults,
 *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
 * });
 * await using batcher = client.createBatcher({
 *   kind: "events",
 *   onDeadLetter: (items, error) => console.error(`${items.length} undelivered`, error),
 * });
 * for (const event of [{ event_type: "A" }, { event_type: "B" }]) await batcher.add(event);
 * // leaving the block flushes and closes
 * ```
 */
export class VectorVueBatcher {
  readonly #delivery: BatchDelivery;
  readonly #logger: Logger;
  readonly #maxBatchSize: number;
  readonly #maxBatchBytes: number;
  readonly #flushIntervalMs: number;
  readonly #maxQueueSize: number;
  readonly #maxQueueBytes: number;
  readonly #concurrency: number;
  readonly #onDeadLetter: BatcherOptions["onDeadLetter"];
  readonly #onRejected: BatcherOptions["onRejected"];
  readonly #what: string;

  #queue: Entry[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #nextSeq = 0;
  /** Lowest sequence number of each batch in flight. */
  #inFlight = new Map<number, number>();
  #inFlightItems = 0;
  #inFlightBytes = 0;
  #accepted = 0;
  #rejected = 0;
  #deadLettered = 0;
  #peakHeld = 0;
  #closed = false;
  #flushUpTo = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerDue = false;
  #spaceWaiters: (() => void)[] = [];
  /** Aborts batches in flight when `close()` is told to give up. */
  #abort = new AbortController();
  #flushWaiters: Waiter[] = [];

  /** Use `client.createBatcher()`; this is its implementation. */
  constructor(options: BatcherOptions, context: DeliveryContext) {
    checkCallOptions("createBatcher", options, BATCHER_OPTION_NAMES);
    if (options?.kind !== "events" && options?.kind !== "findings") {
      throw new VectorVueConfigError(['kind must be "events" or "findings"']);
    }
    this.#logger = context.logger;
    this.#what = options.kind === "events" ? "event" : "finding";
    this.#maxBatchSize = positiveInteger(
      "maxBatchSize",
      options.maxBatchSize,
      context.maxBatchSize,
    );
    this.#maxBatchBytes = positiveInteger("maxBatchBytes", options.maxBatchBytes, MAX_BATCH_BYTES);
    this.#flushIntervalMs = positiveInteger("flushIntervalMs", options.flushIntervalMs, 1000);
    this.#maxQueueSize = positiveInteger("maxQueueSize", options.maxQueueSize, 10_000);
    this.#maxQueueBytes = positiveInteger("maxQueueBytes", options.maxQueueBytes, MAX_QUEUE_BYTES);
    this.#concurrency = positiveInteger("concurrency", options.concurrency, 2);
    this.#onDeadLetter = options.onDeadLetter;
    this.#onRejected = options.onRejected;
    this.#delivery = new BatchDelivery({
      send: context.send,
      deliveryBudgetMs: positiveMs(
        "deliveryBudgetMs",
        options.deliveryBudgetMs,
        DELIVERY_BUDGET_MS,
      ),
      backoff: context.backoff,
      signal: this.#abort.signal,
      idempotencyKey: options.idempotencyKey,
      // A long-lived batcher keeps going: an error hits the batch that got it, not the ones after.
      stopOnSharedError: false,
      clientPause: context.clientPause,
    });
  }

  /**
   * Queues one item. Resolves once it is queued, which waits while
   * `maxQueueSize` items or `maxQueueBytes` bytes are held (back-pressure). Rejects with a
   * {@linkcode VectorVueSerializationError} for an item JSON cannot carry
   * (it is then not added) and a {@linkcode VectorVueBatcherClosedError}
   * after `close()`.
   *
   * @example
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * await using batcher = client.createBatcher({ kind: "findings" });
   * await batcher.add({ title: "Open SMB share", description: "Anyone can read.", severity: "high", first_seen: "2026-11-28T12:00:00Z" });
   * ```
   */
  async add(item: Record<string, unknown>): Promise<void> {
    if (this.#closed) throw new VectorVueBatcherClosedError();
    const text = serializeItem(item, this.#what);
    const size = utf8Length(text) + 1;
    while (!this.#hasRoomFor(size)) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
      if (this.#closed) throw new VectorVueBatcherClosedError();
    }
    // A durable spool would persist the entry here, before add() resolves.
    this.#queue.push({ position: this.#nextSeq++, item, text, size });
    this.#queuedBytes += size;
    this.#peakHeld = Math.max(this.#peakHeld, this.#held);
    this.#armTimer();
    this.#pump();
  }

  /**
   * Sends everything added so far, and resolves when each of those items has
   * been accepted, rejected or dead-lettered, batches in flight included.
   *
   * @example Make sure a run's events are in before reporting it done
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * import assert from "node:assert/strict";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const batcher = client.createBatcher({ kind: "events", flushIntervalMs: 60_000 });
   * await batcher.add({ event_type: "RUN_FINISHED" });
   * await batcher.flush();
   * assert.equal(batcher.stats().queued, 0);
   * await batcher.close();
   * ```
   */
  async flush(): Promise<void> {
    const target = this.#nextSeq - 1;
    if (target < 0 || this.#lowestUnsettled() > target) return;
    this.#flushUpTo = Math.max(this.#flushUpTo, target);
    const settled = new Promise<void>((resolve) =>
      this.#flushWaiters.push({ seq: target, resolve })
    );
    this.#pump();
    await settled;
  }

  /**
   * Refuses new items with {@linkcode VectorVueBatcherClosedError} (also
   * those whose `add()` was still waiting for space), then flushes. With a
   * `signal`, shutdown is bounded: when it aborts, items still queued are
   * dead-lettered at once and batches in flight are aborted and
   * dead-lettered, so nothing is lost without `onDeadLetter` hearing of it.
   *
   * @example Give shutdown ten seconds
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const batcher = client.createBatcher({ kind: "events" });
   * await batcher.close({ signal: AbortSignal.timeout(10_000) });
   * ```
   */
  async close(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    this.#closed = true;
    for (const wake of this.#spaceWaiters.splice(0)) wake();
    const { signal } = options;
    let abandoned: Promise<void> | undefined;
    const giveUp = () => {
      abandoned = this.#abandon(signal?.reason);
    };
    if (signal?.aborted) giveUp();
    else signal?.addEventListener("abort", giveUp, { once: true });
    try {
      await this.flush();
      await abandoned;
    } finally {
      signal?.removeEventListener("abort", giveUp);
      this.#clearTimer();
    }
  }

  /** Same as {@linkcode VectorVueBatcher.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * The batcher's counters now.
   *
   * @example Watch the queue
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * import assert from "node:assert/strict";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * await using batcher = client.createBatcher({ kind: "events" });
   * const { queued, inFlight, deadLettered } = batcher.stats();
   * assert.equal(queued + inFlight + deadLettered, 0);
   * ```
   */
  stats(): BatcherStats {
    return {
      queued: this.#queuedCount,
      inFlight: this.#inFlightItems,
      accepted: this.#accepted,
      rejected: this.#rejected,
      deadLettered: this.#deadLettered,
      peakHeld: this.#peakHeld,
      heldBytes: this.#queuedBytes + this.#inFlightBytes,
      requests: this.#delivery.tally.requests,
      rateLimited: this.#delivery.tally.rateLimited,
      rateLimitWaitMs: this.#delivery.tally.rateLimitWait.totalMs,
    };
  }

  get #queuedCount(): number {
    return this.#queue.length - this.#queueHead;
  }

  get #held(): number {
    return this.#queuedCount + this.#inFlightItems;
  }

  /** Whether an item of `size` bytes fits both bounds (anything fits when nothing is held). */
  #hasRoomFor(size: number): boolean {
    const bytes = this.#queuedBytes + this.#inFlightBytes;
    return this.#held < this.#maxQueueSize && (bytes === 0 || bytes + size <= this.#maxQueueBytes);
  }

  #lowestUnsettled(): number {
    let lowest = this.#queueHead < this.#queue.length
      ? this.#queue[this.#queueHead].position
      : Infinity;
    for (const seq of this.#inFlight.values()) lowest = Math.min(lowest, seq);
    return lowest;
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#timerDue) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = true;
      this.#pump();
    }, this.#flushIntervalMs);
    // Waiting to fill a batch must not keep a process alive; close() is what flushes.
    unrefTimer(this.#timer);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Whether the queue head should go out now rather than wait to fill. */
  #ready(): boolean {
    const queued = this.#queuedCount;
    if (queued === 0) return false;
    return queued >= this.#maxBatchSize || this.#queuedBytes >= this.#maxBatchBytes ||
      this.#timerDue || this.#queue[this.#queueHead].position <= this.#flushUpTo ||
      this.#spaceWaiters.length > 0 || this.#held >= this.#maxQueueSize;
  }

  #takeBatch(): Entry[] {
    const batch = takeBatch(
      () => this.#queue[this.#queueHead],
      () => {
        this.#queuedBytes -= this.#queue[this.#queueHead].size;
        this.#queueHead++;
      },
      this.#maxBatchSize,
      this.#maxBatchBytes,
    );
    // Compact now and then, so the array does not grow without bound.
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return batch;
  }

  #pump(): void {
    while (this.#inFlight.size < this.#concurrency && this.#ready()) {
      const entries = this.#takeBatch();
      // Any batch going out restarts the wait of what is left.
      this.#timerDue = false;
      const key = entries[0].position;
      this.#inFlight.set(key, key);
      this.#inFlightItems += entries.length;
      for (const entry of entries) this.#inFlightBytes += entry.size;
      // The batch's idempotency key is made here, before its first send (a spool would store it).
      this.#delivery.deliver(
        this.#delivery.batch(entries),
        (done, outcomes, error) => this.#settle(done, outcomes, error),
      ).finally(() => {
        this.#inFlight.delete(key);
        this.#afterSettle();
      });
    }
    if (this.#queuedCount === 0) {
      this.#timerDue = false;
      this.#clearTimer();
    } else {
      this.#armTimer();
    }
  }

  #afterSettle(): void {
    const lowest = this.#lowestUnsettled();
    this.#flushWaiters = this.#flushWaiters.filter((waiter) => {
      if (waiter.seq >= lowest) return true;
      waiter.resolve();
      return false;
    });
    while (this.#spaceWaiters.length > 0 && this.#hasRoomFor(1)) {
      this.#spaceWaiters.shift()!();
    }
    this.#pump();
  }

  /**
   * Final outcomes of entries (a batch, or a half of one): counted and moved
   * out of flight in one step, before any callback runs, so stats() adds up.
   * A durable spool would drop these entries here.
   */
  async #settle(
    entries: readonly Entry[],
    outcomes: readonly ItemOutcome[],
    error: Error | undefined,
  ): Promise<void> {
    const rejected: RejectedItem[] = [];
    const undelivered: unknown[] = [];
    outcomes.forEach((outcome, position) => {
      if (outcome.status === "accepted") this.#accepted++;
      else if (outcome.status === "rejected") {
        rejected.push({
          item: entries[position].item,
          errorCode: outcome.errorCode ?? "rejected",
          errorMessage: outcome.errorMessage ?? "",
        });
      } else undelivered.push(entries[position].item);
    });
    this.#rejected += rejected.length;
    this.#inFlightItems -= entries.length;
    for (const entry of entries) this.#inFlightBytes -= entry.size;
    const deadLettered = undelivered.length > 0
      ? this.#deadLetter(
        undelivered,
        error ?? new VectorVueError("the batch answer did not account for these items"),
      )
      : undefined;
    if (rejected.length > 0) {
      await this.#callback("onRejected", () => this.#onRejected?.(rejected));
    }
    await deadLettered;
  }

  /** Counts items as dead-lettered at once, then hands them to `onDeadLetter`. */
  #deadLetter(items: unknown[], error: Error): Promise<void> {
    this.#deadLettered += items.length;
    this.#logger.error("vectorvue batcher dead-lettered items", {
      count: items.length,
      ...describeFailure(error),
    });
    return this.#callback("onDeadLetter", () => this.#onDeadLetter?.(items, error));
  }

  /** Gives up on delivery: queued items are dead-lettered now, in-flight sends are aborted. */
  #abandon(reason: unknown): Promise<void> {
    this.#abort.abort(reason);
    const entries = this.#queue.slice(this.#queueHead);
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedBytes = 0;
    if (entries.length === 0) return Promise.resolve();
    const done = this.#deadLetter(
      entries.map((entry) => entry.item),
      new VectorVueError("the batcher was closed before these items were sent", { cause: reason }),
    );
    this.#afterSettle();
    return done;
  }

  async #callback(name: string, call: () => void | Promise<void>): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.#logger.error(`vectorvue batcher ${name} callback threw`, {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
