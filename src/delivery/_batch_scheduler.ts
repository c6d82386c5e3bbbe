/**
 * When the batcher's queue goes out: a batch leaves once it is full (in items or bytes), once
 * its oldest item waited `flushIntervalMs`, once a flush asks for it, or once someone waits for
 * room; at most `concurrency` batches are in flight, each handed to the batching core
 * (`batch_delivery.ts`), which owns sending, retrying and splitting. Flushes wait here until the
 * items they cover are answered for.
 *
 * @module
 */

import { unrefTimer } from "../platform/process.ts";
import type { ItemOutcome } from "./batch_outcome.ts";
import type { BatchDelivery } from "./batch_delivery.ts";
import type { BoundedQueue, Entry } from "./_bounded_queue.ts";

/** The batch sizes and pace of a scheduler, from the batcher's options. */
export interface SchedulerOptions {
  readonly maxBatchSize: number;
  readonly maxBatchBytes: number;
  readonly flushIntervalMs: number;
  readonly concurrency: number;
}

/** What the scheduler asks of the batcher. */
export interface SchedulerHost {
  /** Final outcomes of entries (a batch, or a half of one). */
  settle(
    entries: readonly Entry[],
    outcomes: readonly ItemOutcome[],
    error: Error | undefined,
  ): Promise<void>;
  /** Whether nothing more may be sent (`close()` gave up and keeps the rest on disk). */
  stopped(): boolean;
}

/** A `flush()` waiting until every item up to `position` is answered for. */
interface FlushWaiter {
  readonly position: number;
  readonly resolve: () => void;
}

/** See the module comment. */
export class BatchScheduler {
  readonly #queue: BoundedQueue;
  readonly #delivery: BatchDelivery;
  readonly #options: SchedulerOptions;
  readonly #host: SchedulerHost;
  /** The position of the first item of each batch in flight (their lowest). */
  readonly #batchesInFlight = new Set<number>();
  /** The delivery of each batch in flight, to wait for before the spool closes. */
  readonly #deliveries = new Set<Promise<void>>();
  /** Items up to this position go out without waiting to fill a batch. */
  #flushThrough = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The queue head waited `flushIntervalMs`: it goes out now. */
  #timerDue = false;
  #flushWaiters: FlushWaiter[] = [];

  constructor(
    queue: BoundedQueue,
    delivery: BatchDelivery,
    options: SchedulerOptions,
    host: SchedulerHost,
  ) {
    this.#queue = queue;
    this.#delivery = delivery;
    this.#options = options;
    this.#host = host;
  }

  /**
   * Sends everything up to `position` without waiting to fill batches; the promise settles once
   * each of those items is answered for (undefined when they already are).
   */
  flushThrough(position: number): Promise<void> | undefined {
    if (position < 0 || this.#lowestUnsettled() > position) return undefined;
    this.#flushThrough = Math.max(this.#flushThrough, position);
    const settled = new Promise<void>((resolve) => this.#flushWaiters.push({ position, resolve }));
    this.pump();
    return settled;
  }

  /** Queues a new item's entry, and sends what is ready. */
  enqueue(entry: Entry): void {
    this.#queue.push(entry);
    this.armTimer();
    this.pump();
  }

  /** Items queued so far go out at once (recovered ones: they are old already). */
  sendQueuedNow(): void {
    this.#flushThrough = this.#queue.lastPosition;
    this.pump();
  }

  /** Ends every flush waiting (`close()` gave up: the rest stays on disk). */
  releaseFlushes(): void {
    for (const waiter of this.#flushWaiters.splice(0)) waiter.resolve();
  }

  /** Resolves when every delivery started has ended. */
  deliveriesEnded(): Promise<unknown> {
    return Promise.allSettled([...this.#deliveries]);
  }

  /** Starts the wait for a batch to fill, unless it runs or is due. */
  armTimer(): void {
    if (this.#timer !== undefined || this.#timerDue) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerDue = true;
      this.pump();
    }, this.#options.flushIntervalMs);
    // Waiting to fill a batch must not keep a process alive; close() is what flushes.
    unrefTimer(this.#timer);
  }

  clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Sends what is ready, as far as `concurrency` allows. */
  pump(): void {
    if (this.#host.stopped()) return;
    while (this.#batchesInFlight.size < this.#options.concurrency && this.#ready()) {
      this.#dispatch(
        this.#queue.takeBatch(this.#options.maxBatchSize, this.#options.maxBatchBytes),
      );
    }
    if (this.#queue.queuedCount === 0) {
      this.#timerDue = false;
      this.clearTimer();
    } else {
      this.armTimer();
    }
  }

  /** After entries left (answered for, or dead-lettered): flushes done, room given, next batch. */
  afterSettle(): void {
    const lowest = this.#lowestUnsettled();
    this.#flushWaiters = this.#flushWaiters.filter((waiter) => {
      if (waiter.position >= lowest) return true;
      waiter.resolve();
      return false;
    });
    this.#queue.wakeWhileRoom();
    this.pump();
  }

  /** Hands a batch to the batching core. */
  #dispatch(entries: Entry[]): void {
    // Any batch going out restarts the wait of what is left.
    this.#timerDue = false;
    const first = entries[0].position;
    this.#batchesInFlight.add(first);
    // The batch's idempotency key is made here (or was, by the process that left it in the
    // spool), and recorded in the spool before its first send.
    const recoveredKey = entries[0].batchKey;
    const batch = recoveredKey === undefined
      ? this.#delivery.batch(entries)
      : { entries, firstIndex: first, key: recoveredKey };
    const delivery = this.#delivery.deliver(
      batch,
      (done, outcomes, error) => this.#host.settle(done as readonly Entry[], outcomes, error),
    ).finally(() => {
      this.#batchesInFlight.delete(first);
      this.#deliveries.delete(delivery);
      this.afterSettle();
    });
    this.#deliveries.add(delivery);
  }

  /** Whether the queue head should go out now rather than wait to fill. */
  #ready(): boolean {
    const queue = this.#queue;
    const queued = queue.queuedCount;
    if (queued === 0) return false;
    return queued >= this.#options.maxBatchSize ||
      queue.queuedBytes >= this.#options.maxBatchBytes ||
      this.#timerDue || queue.head()!.position <= this.#flushThrough ||
      queue.someoneWaits || queue.held >= queue.maxItems;
  }

  /** The lowest position not answered for yet, queued or in flight. */
  #lowestUnsettled(): number {
    let lowest = this.#queue.head()?.position ?? Infinity;
    for (const position of this.#batchesInFlight) lowest = Math.min(lowest, position);
    return lowest;
  }
}
