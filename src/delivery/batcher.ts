/**
 * The background batcher: `add()` items as they happen; they go out in
 * batches by count, size or time through the batching core, with memory
 * bounded in items and bytes, and every item ends in exactly one of
 * accepted, rejected or dead-lettered. This module only composes: the bounded queue
 * (`_bounded_queue.ts`), the scheduler (`_batch_scheduler.ts`), the spool adapter
 * (`_spool_adapter.ts`) and where items end (`_batch_outcomes.ts`); its options and counters are
 * in `batcher_types.ts`.
 *
 * @module
 */

import { VectorVueError } from "../errors.ts";
import { addOrigin, batcherOptions } from "../option_tables.ts";
import type { Logger } from "../logger.ts";
import { serializeItem, utf8Length } from "../serialize.ts";
import { warnUndelivered, watchAtExit } from "./exit_warning.ts";
import { OriginMap } from "./_origins.ts";
import type { ItemOutcome } from "./batch_outcome.ts";
import { BatchDelivery } from "./batch_delivery.ts";
import type { DeliveryContext } from "./bulk.ts";
import {
  type AddOptions,
  type BatcherOptions,
  type BatcherStats,
  VectorVueBatcherClosedError,
} from "./batcher_types.ts";
import { BoundedQueue, type Entry } from "./_bounded_queue.ts";
import { BatchScheduler } from "./_batch_scheduler.ts";
import { SpoolAdapter } from "./_spool_adapter.ts";
import { BatchOutcomes } from "./_batch_outcomes.ts";

// The batcher's options, counters and closed error are part of its module's exports.
export * from "./batcher_types.ts";

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
  /** "event" or "finding": what the items are, in messages. */
  readonly #what: string;
  readonly #queue: BoundedQueue;
  readonly #scheduler: BatchScheduler;
  readonly #outcomes: BatchOutcomes;
  /** Set when a spool is configured (open or not yet). */
  readonly #spooling: SpoolAdapter | undefined;
  /** Without a spool: per source, the position of the last item queued (in memory only). */
  readonly #origins = new OriginMap();
  #closed = false;
  /** Aborts batches in flight when `close()` is told to give up. */
  #abort = new AbortController();
  /** Stops the warning at process exit; called when `close()` is done. */
  readonly #unwatchExit: () => void;

  /** Use `client.createBatcher()`; this is its implementation. */
  constructor(options: BatcherOptions, context: DeliveryContext) {
    const read = batcherOptions(options, context.maxBatchSize);
    this.#logger = context.logger;
    this.#what = options.kind === "events" ? "event" : "finding";
    this.#queue = new BoundedQueue(read.maxQueueSize, read.maxQueueBytes);
    this.#outcomes = new BatchOutcomes(this.#logger, options);
    this.#delivery = new BatchDelivery({
      send: context.send,
      deliveryBudgetMs: read.deliveryBudgetMs,
      backoff: context.backoff,
      signal: this.#abort.signal,
      idempotencyKey: options.idempotencyKey,
      // A long-lived batcher keeps going: an error hits the batch that got it, not the ones after.
      stopOnSharedError: false,
      clientPause: context.clientPause,
      beforeFirstSend: async (key, entries) =>
        await this.#spooling?.recordBatch(key, entries as readonly Entry[]),
    });
    this.#scheduler = new BatchScheduler(
      this.#queue,
      this.#delivery,
      read, // maxBatchSize, maxBatchBytes, flushIntervalMs, concurrency
      {
        settle: (entries, outcomes, error) => this.#settle(entries, outcomes, error),
        stopped: () => this.#spooling?.keepingOnDisk === true,
      },
    );
    this.#unwatchExit = watchAtExit(this, VectorVueBatcher.#warnAtExit);
    if (options.spool !== undefined) {
      this.#spooling = new SpoolAdapter(options.spool, {
        logger: this.#logger,
        what: this.#what,
        queue: this.#queue,
        closed: () => this.#closed,
        scheduler: this.#scheduler,
        deadLetter: (items, error, origins) => this.#outcomes.deadLetter(items, error, origins),
      });
    }
  }

  /**
   * Resolves once the batcher can take items: at once without a spool; with one, when its
   * directory is locked and what the last process left is read (and queued for delivery, ahead
   * of new items). Rejects with the {@linkcode VectorVueSpoolError} that prevents it, such as a
   * {@linkcode VectorVueSpoolLockedError} naming the process that holds the directory. `add()`
   * waits for the same, so calling this is only needed to fail early.
   *
   * @example Fail at start-up when another process holds the spool
   * ```ts
   * import assert from "node:assert/strict";
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const dir = await Deno.makeTempDir();
   * const first = client.createBatcher({ kind: "events", spool: { dir } });
   * await first.ready();
   * const second = client.createBatcher({ kind: "events", spool: { dir } });
   * await assert.rejects(second.ready(), { name: "VectorVueSpoolLockedError" });
   * await first.close();
   * await second.close();
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async ready(): Promise<void> {
    await this.#spooling?.ready();
  }

  /**
   * Queues one item. Resolves once it is queued, which waits while
   * `maxQueueSize` items or `maxQueueBytes` bytes are held (back-pressure). Rejects with a
   * {@linkcode VectorVueSerializationError} for an item JSON cannot carry
   * (it is then not added), a {@linkcode VectorVueConfigError} for a bad `origin` (before
   * anything is written) and a {@linkcode VectorVueBatcherClosedError} after `close()`. With
   * `origin`, the item's source and position count in {@linkcode VectorVueBatcher.origins}
   * once this resolves (with a spool: durably, written with the item).
   *
   * @example
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
   * await using batcher = client.createBatcher({ kind: "findings" });
   * const origin = { source: "scan.ndjson", position: 120 }; // the line's file, and its end there
   * await batcher.add({ title: "Open SMB share", description: "Anyone can read.", severity: "high", first_seen: "2026-11-28T12:00:00Z" }, { origin });
   * assert.equal(batcher.origins().get("scan.ndjson"), 120);
   * ```
   */
  add(item: Record<string, unknown>, options?: AddOptions): Promise<void> {
    try {
      const origin = addOrigin(options);
      if (this.#closed) throw new VectorVueBatcherClosedError();
      if (this.#spooling !== undefined) return this.#spooling.add(item, origin);
      const text = serializeItem(item, this.#what);
      const size = utf8Length(text) + 1;
      const fields = origin === undefined ? {} : { origin };
      // Queued as soon as its place is reserved, in the order of add() calls (no async frame
      // when there is room: this runs once per item).
      return this.#queue.reserveWhenRoom(size, () => this.#assertOpen(), () => {
        this.#queue.unreserve(1, size);
        this.#scheduler.enqueue(this.#queue.store(fields, text, size));
        if (origin !== undefined) this.#origins.set(origin.source, origin.position);
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Per source, the position of the last item taken (`add(item, { origin })` resolved), for the
   * most recent 4,096 sources, oldest first; a copy. With a spool (after `ready()`), durable:
   * recovered after a crash, settled and deleted items included. Without one, in memory only.
   * @example Where to resume reading a file (see `add()` for one added with its origin)
   * ```ts
   * import type { VectorVueBatcher } from "@spectrastrike/vectorvue-client";
   *
   * const resumeAt = (batcher: VectorVueBatcher, path: string) => batcher.origins().get(path) ?? 0;
   * ```
   */
  origins(): ReadonlyMap<string, number> {
    return this.#spooling?.origins() ?? this.#origins.snapshot();
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
    // With a spool, what the last process left is queued once it is open (a large backlog in
    // portions, as the queue drains).
    await this.#spooling?.opening;
    await this.#spooling?.adopting;
    if (this.#spooling?.keepingOnDisk) return;
    const settled = this.#scheduler.flushThrough(this.#queue.lastPosition);
    if (settled !== undefined) await settled;
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
    this.#queue.wakeAll();
    this.#spooling?.refuseNew();
    const { signal } = options;
    let abandoned: Promise<void> | undefined;
    const giveUp = () => {
      abandoned = this.#abandon(signal?.reason);
    };
    if (signal?.aborted) giveUp();
    else signal?.addEventListener("abort", giveUp, { once: true });
    try {
      if (this.#spooling !== undefined) {
        await this.#spooling.opening;
        this.#spooling.refuseNew();
        // Items already being written are durable soon: they are delivered with the rest.
        await this.#spooling.addsEnded();
      }
      await this.flush();
      await abandoned;
    } finally {
      signal?.removeEventListener("abort", giveUp);
      this.#scheduler.clearTimer();
      const spool = this.#spooling?.spool;
      if (spool !== undefined) {
        await this.#scheduler.deliveriesEnded();
        await spool.close();
      }
      this.#unwatchExit();
    }
  }

  /** At process exit, for a batcher not closed (static: watching must not hold the batcher). */
  static #warnAtExit(batcher: VectorVueBatcher): void {
    const spooled = batcher.#spooling?.spool !== undefined;
    warnUndelivered(batcher.#logger, batcher.#what, batcher.#queue, spooled);
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
    const spool = this.#spooling?.spool;
    return {
      queued: this.#queue.queuedCount,
      inFlight: this.#queue.inFlightItems,
      accepted: this.#outcomes.accepted,
      rejected: this.#outcomes.rejected,
      deadLettered: this.#outcomes.deadLettered,
      peakHeld: this.#queue.peakHeld,
      heldBytes: this.#queue.heldBytes,
      requests: this.#delivery.tally.requests,
      rateLimited: this.#delivery.tally.rateLimited,
      rateLimitWaitMs: this.#delivery.tally.rateLimitWait.totalMs,
      ...(spool === undefined ? {} : { spool: spool.stats() }),
    };
  }

  /**
   * Final outcomes of entries (a batch, or a half of one): counted and moved out of flight in one
   * step, before any callback runs, so stats() adds up. With a spool, they leave it here, refused
   * and undelivered ones once reported (or, when close() gave up, stay for the next process).
   */
  #settle(
    entries: readonly Entry[],
    outcomes: readonly ItemOutcome[],
    error: Error | undefined,
  ): Promise<void> {
    if (this.#spooling?.keepingOnDisk && this.#abort.signal.aborted) {
      const answered = this.#spooling.keepUnanswered(entries, outcomes);
      if (answered === undefined) return Promise.resolve();
      ({ entries, outcomes } = answered);
    }
    const leaveFlight = () => this.#queue.settle(entries);
    const reported = this.#outcomes.report(entries, outcomes, error, leaveFlight);
    return this.#spooling?.settleReported(entries, outcomes, reported) ?? reported.then(() => {});
  }

  #assertOpen(): void {
    if (this.#closed) throw new VectorVueBatcherClosedError();
  }

  /**
   * Gives up on delivery: in-flight sends are aborted, and queued items are dead-lettered now;
   * with a spool they stay on disk instead, for the next process to deliver.
   */
  #abandon(reason: unknown): Promise<void> {
    if (this.#spooling !== undefined) {
      this.#spooling.keepOnDisk();
      // The backlog still being queued stops too (it is on disk).
      this.#queue.wakeAll();
      this.#abort.abort(reason);
      this.#logger.info(
        "vectorvue batcher closed before delivering everything; the rest stays in the spool",
        { items: this.#queue.held },
      );
      this.#scheduler.releaseFlushes();
      return Promise.resolve();
    }
    this.#abort.abort(reason);
    const { items, origins } = this.#queue.takeAllQueued();
    if (items.length === 0) return Promise.resolve();
    const done = this.#outcomes.deadLetter(
      items,
      new VectorVueError("the batcher was closed before these items were sent", { cause: reason }),
      origins,
    );
    this.#scheduler.afterSettle();
    return done;
  }
}
