/**
 * What users of the background batcher give and get: its options, its counters, the items it
 * hands back, and its closed error. The batcher itself is `batcher.ts`, which re-exports these.
 *
 * @module
 */

import { VectorVueError } from "../errors.ts";
import type { IdempotencyKeyMaker } from "./batch_delivery.ts";
import type { SpoolOptions, SpoolStats } from "./spool.ts";

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
 * Where an item came from: a source (a file, a stream) and the position just past the item in
 * it, given to `batcher.add(item, { origin })`. With a spool, the origin is written with the item
 * (durable when `add()` resolves), so that `batcher.origins()` after a crash says where to resume
 * reading each source; it is handed to `onDeadLetter` beside the item.
 *
 * @example Resume a file after the last line the spool holds
 * ```ts
 * import type { ItemOrigin } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const line = '{"event_type":"LOGIN"}\n';
 * const origin: ItemOrigin = { source: "/var/log/sensor.ndjson", position: 0 + line.length };
 * assert.equal(origin.position, 23);
 * ```
 */
export interface ItemOrigin {
  /** The source's name: non-empty, at most 4,096 bytes of UTF-8. */
  readonly source: string;
  /** The position just past the item in the source: a whole number, 0 or more. */
  readonly position: number;
}

/**
 * Options of `batcher.add()`.
 *
 * @example
 * ```ts
 * import type { AddOptions } from "@spectrastrike/vectorvue-client";
 *
 * const options: AddOptions = { origin: { source: "stdin", position: 1 } };
 * ```
 */
export interface AddOptions {
  /**
   * Where the item came from; items of one source must be added in order (their `add()` calls
   * made in the order of their positions).
   */
  readonly origin?: ItemOrigin;
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
  /** Where the item came from, as given to `add(item, { origin })` (kept in the spool). */
  readonly origin?: ItemOrigin;
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
   * to what would have been sent, not the objects given to `add()`). `origins` is parallel to
   * `items`: each item's origin as given to `add()` (kept in the spool for recovered items), or
   * undefined. With a spool, the items leave it once this returns; if it throws (logged), they
   * stay, and the next batcher on the spool sends them again.
   */
  readonly onDeadLetter?: (
    items: unknown[],
    error: Error,
    origins: readonly (ItemOrigin | undefined)[],
  ) => void | Promise<void>;
  /**
   * Receives items the server refused (never retried in this process). With a spool, they leave
   * it once this returns; if it throws (logged), the next batcher on the spool sends them again.
   */
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
