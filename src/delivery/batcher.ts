/**
 * The background batcher: `add()` items as they happen; they go out in
 * batches by count, size or time through the batching core, with memory
 * bounded in items and bytes, and every item ends in exactly one of
 * accepted, rejected or dead-lettered. This module only schedules.
 *
 * @module
 */

import { unrefTimer } from "../transport/_runtime_deno.ts";
import { VectorVueError } from "../errors.ts";
import { batcherOptions, DEFAULT_SPOOL_MAX_BYTES } from "../option_tables.ts";
import type { Logger } from "../logger.ts";
import { serializeItem, utf8Length } from "../serialize.ts";
import { watchAtExit } from "./exit_warning.ts";
import type { ItemOutcome } from "./batch_outcome.ts";
import { spoolErrorFrom, VectorVueSpoolError } from "./spool_error.ts";
import {
  BatchDelivery,
  describeFailure,
  type IdempotencyKeyMaker,
  type Packed,
  takeBatch,
} from "./batch_delivery.ts";
import type { DeliveryContext } from "./bulk.ts";
import { ByteArena, type Slot } from "./_byte_arena.ts";
import { Spool, SpoolClosedError, type SpoolOptions, type SpoolStats } from "./spool.ts";

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
  /**
   * The item, rebuilt from the JSON the batcher held (it keeps only that, so that memory stays
   * within `maxQueueBytes`): equal to what the server read, not the object given to `add()`
   * (a `Date` is its ISO string here).
   */
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
   * it (a single larger item is still taken when nothing else is held). Each item is held once,
   * as its JSON, so resident memory stays within about twice this above the process's own.
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
   * silently dropped. The items are rebuilt from the JSON the batcher held (plain objects equal
   * to what would have been sent, not the objects given to `add()`).
   */
  readonly onDeadLetter?: (items: unknown[], error: Error) => void | Promise<void>;
  /** Receives items the server refused (never retried). */
  readonly onRejected?: (items: RejectedItem[]) => void | Promise<void>;
  /**
   * Keep items in a durable spool on disk: `add()` resolves once the item is written and
   * fsynced, items leave the spool only when the server answered for them or they were
   * dead-lettered, and a batcher started on the same directory after a crash delivers what the
   * last process left. See the README's "Durability" section.
   */
  readonly spool?: SpoolOptions;
}

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
  /** With a spool: what is on disk (items not yet answered for, bytes, oldest item's age). */
  readonly spool?: SpoolStats;
}

/**
 * An item added: `position` is its order of `add()`. Only its JSON is held (as UTF-8 bytes in the
 * arena), not the item too: one copy per item, so what `maxQueueBytes` counts is what is held.
 * The item handed to `onRejected`/`onDeadLetter` is rebuilt from it (see {@linkcode itemOf}).
 */
interface Entry extends Packed {
  /** Where its bytes are in the arena, released once it is answered for. */
  readonly slot: Slot;
  /** Sequence number in the spool. */
  readonly spoolSeq?: number;
  /** Idempotency key of the batch this item was in when an earlier process sent it. */
  readonly batchKey?: string;
}

/**
 * The item as the server would have read it, rebuilt from the JSON text held: an equal plain
 * object, not the caller's own (a `Date` comes back as its ISO string, as it was sent).
 */
function itemOf(entry: Entry): unknown {
  return JSON.parse(entry.text);
}

const decoder = new TextDecoder();

/**
 * An entry holding `text` as UTF-8 bytes in the batcher's arena only (see `_byte_arena.ts`):
 * one copy, reused in place once answered for, and copied into the batch body. The text is
 * decoded only when asked for.
 */
function entryOf(
  arena: ByteArena,
  fields: Omit<Entry, "text" | "bytes" | "size" | "slot">,
  text: string,
  size: number,
): Entry {
  const slot = arena.store(text, size - 1);
  return {
    ...fields,
    slot,
    bytes: slot.bytes,
    size,
    get text() {
      return decoder.decode(slot.bytes);
    },
  };
}

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

  /** The JSON of every item held, one copy each (see `_byte_arena.ts`). */
  readonly #arena: ByteArena;
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
  /** The durable spool, once open; `#opening` settles when it is (or failed to). */
  #spool: Spool | undefined;
  #opening: Promise<void> | undefined;
  /** Queuing what an earlier process left, portion by portion; settles when all is queued. */
  #adopting: Promise<void> | undefined;
  #openError: Error | undefined;
  /**
   * `add()` calls given a place in the bounds but not queued yet (writing to the spool, or about
   * to be queued): reserved in the same step as the check, so callers that do not await each
   * `add()` cannot all pass one free place.
   */
  #appending = 0;
  #appendingBytes = 0;
  readonly #adding = new Set<Promise<unknown>>();
  readonly #deliveries = new Set<Promise<void>>();
  /** Set when `close()` gave up with a spool: what is left stays on disk for the next process. */
  #keepSpooled = false;
  /** Stops the warning at process exit; called when `close()` is done. */
  readonly #unwatchExit: () => void;

  /** Use `client.createBatcher()`; this is its implementation. */
  constructor(options: BatcherOptions, context: DeliveryContext) {
    const read = batcherOptions(options, context.maxBatchSize);
    this.#logger = context.logger;
    this.#what = options.kind === "events" ? "event" : "finding";
    this.#maxBatchSize = read.maxBatchSize;
    this.#maxBatchBytes = read.maxBatchBytes;
    this.#flushIntervalMs = read.flushIntervalMs;
    this.#maxQueueSize = read.maxQueueSize;
    this.#maxQueueBytes = read.maxQueueBytes;
    this.#concurrency = read.concurrency;
    // Chunks of 1 MiB, smaller for a small bound, so that a chunk is a small part of it.
    this.#arena = new ByteArena(
      Math.min(1024 * 1024, Math.max(4096, Math.floor(this.#maxQueueBytes / 16))),
    );
    this.#onDeadLetter = options.onDeadLetter;
    this.#onRejected = options.onRejected;
    this.#delivery = new BatchDelivery({
      send: context.send,
      deliveryBudgetMs: read.deliveryBudgetMs,
      backoff: context.backoff,
      signal: this.#abort.signal,
      idempotencyKey: options.idempotencyKey,
      // A long-lived batcher keeps going: an error hits the batch that got it, not the ones after.
      stopOnSharedError: false,
      clientPause: context.clientPause,
      beforeFirstSend: (key, entries) => this.#recordBatch(key, entries as readonly Entry[]),
    });
    this.#unwatchExit = watchAtExit(this, VectorVueBatcher.#warnAtExit);
    if (options.spool !== undefined) {
      this.#opening = Spool.open({
        dir: options.spool.dir,
        maxBytes: options.spool.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
        logger: this.#logger,
      }).then(
        async (spool) => {
          try {
            this.#adopt(spool);
          } catch (error) {
            // Typed, and the directory released for the next try (its lock is not left held).
            this.#spool = undefined;
            await spool.close().catch(() => {});
            this.#openError = new VectorVueSpoolError(
              "io",
              `cannot queue what the spool ${options.spool!.dir} holds: ${
                error instanceof Error ? error.message : String(error)
              }`,
              { path: options.spool!.dir, cause: error },
            );
          }
        },
        (error) => {
          this.#openError = error instanceof Error ? error : new VectorVueError(String(error));
        },
      );
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
    await this.#opening;
    if (this.#openError !== undefined) throw this.#openError;
  }

  /**
   * Queues what the last process left (its batches first, with their keys, then loose items), in
   * portions as the queue has room: the backlog's texts are read from disk only then, so a large
   * backlog is never in memory at once.
   */
  #adopt(spool: Spool): void {
    this.#spool = spool;
    const { backlog } = spool;
    if (backlog.length === 0) return;
    this.#logger.info("vectorvue batcher delivers what an earlier process left in the spool", {
      items: backlog.length,
      batches: new Set(backlog.map((item) => item.batchKey).filter((key) => key !== undefined))
        .size,
    });
    this.#adopting = this.#adoptBacklog(spool).catch((error) => {
      // The items stay on disk for the next start.
      this.#logger.error("vectorvue batcher could not read the spool's backlog", {
        error: spoolErrorFrom(error, "read the backlog of", spool.dir).message,
      });
    });
  }

  async #adoptBacklog(spool: Spool): Promise<void> {
    const { backlog } = spool;
    let next = 0;
    while (next < backlog.length && !this.#keepSpooled) {
      if (!this.#hasRoomFor(backlog[next].bytes + 1)) {
        await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
        continue;
      }
      // As many as fit now (at least one), their place reserved while their texts are read.
      let end = next;
      let bytes = 0;
      while (end < backlog.length) {
        const size = backlog[end].bytes + 1;
        if (end > next && !this.#hasRoomFor(bytes + size)) break;
        bytes += size;
        end++;
        this.#appending++;
      }
      this.#appendingBytes += bytes;
      let read: Awaited<ReturnType<Spool["readBacklog"]>>;
      try {
        read = await spool.readBacklog(next, end);
      } finally {
        this.#appending -= end - next;
        this.#appendingBytes -= bytes;
      }
      next = end;
      this.#queueRecovered(spool, read);
    }
  }

  /** Queues items read from the backlog; one whose text is not JSON is dead-lettered. */
  #queueRecovered(
    spool: Spool,
    read: readonly { seq: number; text: string; batchKey?: string }[],
  ): void {
    // An item whose text is not JSON (written by a faulty writer: the checksum held) cannot be
    // sent: it is dead-lettered with its text, and leaves the spool, instead of blocking start-up.
    const unreadable: { seq: number; text: string }[] = [];
    for (const { seq, text, batchKey } of read) {
      try {
        JSON.parse(text); // only to know it can be sent: the entry keeps the text
      } catch {
        unreadable.push({ seq, text });
        continue;
      }
      const entry = entryOf(
        this.#arena,
        { position: this.#nextSeq++, spoolSeq: seq, batchKey },
        text,
        utf8Length(text) + 1,
      );
      this.#queue.push(entry);
      this.#queuedBytes += entry.size;
    }
    if (unreadable.length > 0) {
      spool.settle(unreadable.map((spooled) => spooled.seq));
      void this.#deadLetter(
        unreadable.map((spooled) => spooled.text),
        new VectorVueSpoolError("io", "an item in the spool is not valid JSON", {
          path: spool.dir,
        }),
      );
    }
    // Everything recovered is old already: it goes out at once, not after flushIntervalMs.
    this.#flushUpTo = this.#nextSeq - 1;
    this.#peakHeld = Math.max(this.#peakHeld, this.#held);
    this.#pump();
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
    if (this.#opening !== undefined) {
      const adding = this.#addSpooled(item);
      this.#adding.add(adding);
      try {
        return await adding;
      } finally {
        this.#adding.delete(adding);
      }
    }
    const text = serializeItem(item, this.#what);
    const size = utf8Length(text) + 1;
    await this.#waitForRoom(size);
    this.#appending--;
    this.#appendingBytes -= size;
    this.#enqueue(entryOf(this.#arena, { position: this.#nextSeq++ }, text, size));
  }

  /** With a spool: on disk (write + fsync, shared with the items around it) before queued. */
  async #addSpooled(item: Record<string, unknown>): Promise<void> {
    // Once open, no await before the append (one item's cost counts at these rates).
    if (this.#spool === undefined) await this.ready();
    if (this.#closed) throw new VectorVueBatcherClosedError();
    const text = serializeItem(item, this.#what);
    const size = utf8Length(text) + 1;
    if (this.#hasRoomFor(size)) {
      this.#appending++;
      this.#appendingBytes += size;
    } else await this.#waitForRoom(size);
    let spoolSeq: number;
    try {
      spoolSeq = await this.#spool!.append(text, size - 1);
    } catch (error) {
      if (error instanceof SpoolClosedError) throw new VectorVueBatcherClosedError();
      throw error;
    } finally {
      this.#appending--;
      this.#appendingBytes -= size;
      this.#wakeSpaceWaiters();
    }
    this.#enqueue(entryOf(this.#arena, { position: this.#nextSeq++, spoolSeq }, text, size));
  }

  /** Waits until an item of `size` bytes fits, then reserves its place (the caller releases it). */
  async #waitForRoom(size: number): Promise<void> {
    while (!this.#hasRoomFor(size)) {
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
      if (this.#closed) throw new VectorVueBatcherClosedError();
    }
    this.#appending++;
    this.#appendingBytes += size;
  }

  #enqueue(entry: Entry): void {
    this.#queue.push(entry);
    this.#queuedBytes += entry.size;
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
    // With a spool, what the last process left is queued once it is open (a large backlog in
    // portions, as the queue drains).
    await this.#opening;
    await this.#adopting;
    if (this.#keepSpooled) return;
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
    this.#wakeSpaceWaiters();
    this.#spool?.refuseNew();
    const { signal } = options;
    let abandoned: Promise<void> | undefined;
    const giveUp = () => {
      abandoned = this.#abandon(signal?.reason);
    };
    if (signal?.aborted) giveUp();
    else signal?.addEventListener("abort", giveUp, { once: true });
    try {
      if (this.#opening !== undefined) {
        await this.#opening;
        this.#spool?.refuseNew();
        // Items already being written are durable soon: they are delivered with the rest.
        await Promise.allSettled([...this.#adding]);
      }
      await this.flush();
      await abandoned;
    } finally {
      signal?.removeEventListener("abort", giveUp);
      this.#clearTimer();
      if (this.#spool !== undefined) {
        await Promise.allSettled([...this.#deliveries]);
        await this.#spool.close();
      }
      this.#unwatchExit();
    }
  }

  /**
   * At process exit, for a batcher not closed: says how many items go with the process (a
   * static method, so that watching the batcher does not hold it).
   */
  static #warnAtExit(batcher: VectorVueBatcher): void {
    const queued = batcher.#queuedCount + batcher.#appending;
    const inFlight = batcher.#inFlightItems;
    const held = queued + inFlight;
    if (held === 0) return;
    const items = `${held} ${batcher.#what}${held === 1 ? "" : "s"}`;
    batcher.#logger.warn(
      batcher.#spool === undefined
        ? `vectorvue batcher: the process exits with ${items} not delivered, which are lost: ` +
          "await batcher.close() before exiting"
        : `vectorvue batcher: the process exits with ${items} not delivered; they stay in the ` +
          "spool for the next batcher on its directory: await batcher.close() before exiting",
      { queued, inFlight },
    );
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
      ...(this.#spool === undefined ? {} : { spool: this.#spool.stats() }),
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
    const bytes = this.#queuedBytes + this.#inFlightBytes + this.#appendingBytes;
    return this.#held + this.#appending < this.#maxQueueSize &&
      (bytes === 0 || bytes + size <= this.#maxQueueBytes);
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
    // A batch an earlier process formed goes out as it was, under its key; new items never join it.
    const key = this.#queue[this.#queueHead]?.batchKey;
    const batch = takeBatch(
      () => {
        const entry = this.#queue[this.#queueHead];
        return entry?.batchKey === key ? entry : undefined;
      },
      () => {
        this.#queuedBytes -= this.#queue[this.#queueHead].size;
        this.#queueHead++;
      },
      key === undefined ? this.#maxBatchSize : Infinity,
      key === undefined ? this.#maxBatchBytes : Infinity,
    );
    // Compact now and then, so the array does not grow without bound.
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
    return batch;
  }

  #pump(): void {
    if (this.#keepSpooled) return;
    while (this.#inFlight.size < this.#concurrency && this.#ready()) {
      const entries = this.#takeBatch();
      // Any batch going out restarts the wait of what is left.
      this.#timerDue = false;
      const key = entries[0].position;
      this.#inFlight.set(key, key);
      this.#inFlightItems += entries.length;
      for (const entry of entries) this.#inFlightBytes += entry.size;
      // The batch's idempotency key is made here (or was, by the process that left it in the
      // spool), and recorded in the spool before its first send.
      const recoveredKey = entries[0].batchKey;
      const batch = recoveredKey === undefined
        ? this.#delivery.batch(entries)
        : { entries, firstIndex: entries[0].position, key: recoveredKey };
      const delivery = this.#delivery.deliver(
        batch,
        (done, outcomes, error) => this.#settle(done, outcomes, error),
      ).finally(() => {
        this.#inFlight.delete(key);
        this.#deliveries.delete(delivery);
        this.#afterSettle();
      });
      this.#deliveries.add(delivery);
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

  #wakeSpaceWaiters(): void {
    for (const wake of this.#spaceWaiters.splice(0)) wake();
  }

  /**
   * With a spool: records a batch's idempotency key before its first send, so that after a
   * crash it is sent again under the same key. A failure to record it is logged, not fatal: the
   * items themselves are on disk, and the server keys items by their ids as well.
   */
  async #recordBatch(key: string, entries: readonly Entry[]): Promise<void> {
    if (this.#spool === undefined || entries[0]?.batchKey === key) return;
    try {
      await this.#spool.recordBatch(key, entries.map((entry) => entry.spoolSeq!));
    } catch (error) {
      this.#logger.error("vectorvue batcher could not record a batch in the spool", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Final outcomes of entries (a batch, or a half of one): counted and moved
   * out of flight in one step, before any callback runs, so stats() adds up.
   * With a spool, these entries leave it here (or, when close() gave up, stay for the next
   * process).
   */
  async #settle(
    entries: readonly Entry[],
    outcomes: readonly ItemOutcome[],
    error: Error | undefined,
  ): Promise<void> {
    if (this.#keepSpooled && this.#abort.signal.aborted) {
      // close() gave up: what the server did not answer for stays on disk (and in the queue
      // count) for the next process; what it accepted or rejected is settled, never sent again.
      const answered = outcomes.map((outcome) => outcome.status !== "failed");
      const kept = entries.filter((_, position) => !answered[position]);
      this.#inFlightItems -= kept.length;
      for (const entry of kept) {
        this.#inFlightBytes -= entry.size;
        this.#queue.push(entry);
        this.#queuedBytes += entry.size;
      }
      if (kept.length === entries.length) return;
      entries = entries.filter((_, position) => answered[position]);
      outcomes = outcomes.filter((_, position) => answered[position]);
    }
    this.#spool?.settle(entries.map((entry) => entry.spoolSeq!));
    const rejected: RejectedItem[] = [];
    const undelivered: unknown[] = [];
    outcomes.forEach((outcome, position) => {
      if (outcome.status === "accepted") this.#accepted++;
      else if (outcome.status === "rejected") {
        rejected.push({
          item: itemOf(entries[position]),
          errorCode: outcome.errorCode ?? "rejected",
          errorMessage: outcome.errorMessage ?? "",
        });
      } else undelivered.push(itemOf(entries[position]));
    });
    this.#rejected += rejected.length;
    this.#inFlightItems -= entries.length;
    for (const entry of entries) {
      this.#inFlightBytes -= entry.size;
      this.#arena.release(entry.slot);
    }
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

  /**
   * Gives up on delivery: in-flight sends are aborted, and queued items are dead-lettered now;
   * with a spool they stay on disk instead, for the next process to deliver.
   */
  #abandon(reason: unknown): Promise<void> {
    if (this.#opening !== undefined) {
      this.#keepSpooled = true;
      // The backlog still being queued stops too (it is on disk).
      this.#wakeSpaceWaiters();
      this.#abort.abort(reason);
      this.#logger.info(
        "vectorvue batcher closed before delivering everything; the rest stays in the spool",
        { items: this.#held },
      );
      for (const waiter of this.#flushWaiters.splice(0)) waiter.resolve();
      return Promise.resolve();
    }
    this.#abort.abort(reason);
    const entries = this.#queue.slice(this.#queueHead);
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedBytes = 0;
    if (entries.length === 0) return Promise.resolve();
    const items = entries.map(itemOf);
    for (const entry of entries) this.#arena.release(entry.slot);
    const done = this.#deadLetter(
      items,
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
