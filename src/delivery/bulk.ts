/**
 * Bulk send: any number of items, packed into batches by the batching core
 * and sent with bounded concurrency through the client's pacer, with one
 * outcome per item in the caller's order. This module only schedules.
 *
 * @module
 */

import { VectorVueSerializationError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { bulkOptions } from "../option_tables.ts";
import type { BackoffOptions } from "../retry.ts";
import { serializeItem, utf8Length } from "../serialize.ts";
import type { ItemOutcome } from "./batch_outcome.ts";
import {
  BatchDelivery,
  type BatchSender,
  type IdempotencyKeyMaker,
  type Packed,
  type Settle,
  takeBatch,
} from "./batch_delivery.ts";
import type { PauseInfo } from "./pacer.ts";
import { type DeliveryProgress, ProgressReporter } from "./progress.ts";

/**
 * The outcome of one item of a bulk send.
 *
 * @example List what the server refused
 * ```ts
 * import type { BulkItemResult } from "@spectrastrike/vectorvue-client";
 *
 * const explain = (item: BulkItemResult) => `#${item.index} ${item.errorCode}: ${item.errorMessage}`;
 * ```
 */
export interface BulkItemResult extends ItemOutcome {
  /** The item's index in the array given to `sendEvents`/`sendFindings`. */
  readonly index: number;
  /** The `request_id` of the batch request the server answered for this item, when it did. */
  readonly requestId?: string;
}

/**
 * What a bulk send did with every item: `accepted` (stored), `rejected`
 * (refused by the server or by the client's own checks; resending as is will
 * not help) or `failed` (not delivered: the delivery budget ran out, an error
 * waiting cannot fix stopped the run, or the call was aborted; resending may
 * help, and is safe since the server de-duplicates).
 * `accepted + rejected + failed` is always the number of items.
 *
 * @example Resend what failed
 * ```ts
 * import { VectorVueClient, type VectorVueEvent } from "@spectrastrike/vectorvue-client";
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 * import assert from "node:assert/strict";
 *
 * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
 * const client = new VectorVueClient({
 *   ...emulator.defaults,
 *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
 *   backoffMs: 1,
 * });
 * const events: VectorVueEvent[] = ["host-1", "host-2"].map((asset_ref) => ({
 *   source_system: "spectrastrike",
 *   event_type: "PORT_SCAN",
 *   occurred_at: "2026-11-28T12:00:00Z",
 *   severity: "low",
 *   asset_ref,
 *   message: "Port scan observed",
 * }));
 * emulator.inject({ status: 401, count: 2 }); // a 401 even after logging in again
 * const result = await client.sendEvents(events);
 * const retry = result.items.filter((i) => i.status === "failed").map((i) => events[i.index]);
 * assert.equal(retry.length, 2);
 * ```
 */
export interface BulkResult {
  /** Items stored by the server. */
  readonly accepted: number;
  /** Items refused, by the server per item or by the client before sending. */
  readonly rejected: number;
  /** Items not delivered. */
  readonly failed: number;
  /** One entry per item, in the caller's order. */
  readonly items: readonly BulkItemResult[];
  /** The `request_id` of every batch the server answered, for status polling. */
  readonly requestIds: readonly string[];
  /** Requests sent, retries included. */
  readonly requests: number;
  /** Answers with status 429. */
  readonly rateLimited: number;
  /** Time the run waited for the rate limit, in milliseconds. */
  readonly rateLimitWaitMs: number;
}

/**
 * Options of `sendEvents` and `sendFindings`.
 *
 * @example Three batches in flight at once
 * ```ts
 * import type { BulkOptions } from "@spectrastrike/vectorvue-client";
 *
 * const options: BulkOptions = { concurrency: 3, signal: AbortSignal.timeout(60_000) };
 * ```
 */
export interface BulkOptions {
  /**
   * Batches in flight at once. The server allows 240 requests a minute per
   * client address, so a few suffice.
   * @default {2}
   */
  readonly concurrency?: number;
  /**
   * Largest batch body in bytes of JSON (a single larger item goes alone);
   * keeps batches under a proxy's body limit.
   * @default {1048576}
   */
  readonly maxBatchBytes?: number;
  /** Stops sending at once, also during a pause; items not yet confirmed end `failed` with `aborted`. */
  readonly signal?: AbortSignal;
  /** Time limit of each attempt of each batch, over the client's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Retries of each batch after a failure (not a 429), over the client's `maxRetries`. */
  readonly maxRetries?: number;
  /**
   * How long a batch keeps being retried through transient failures (429,
   * 502/503/504, connection failures, timeouts) before its items are `failed`;
   * meanwhile the whole run pauses and resumes when the server does.
   * @default {600000}
   */
  readonly deliveryBudgetMs?: number;
  /**
   * The `Idempotency-Key` of each batch, from the index of its first item and
   * its size; return the same key for the same batch to make a resumed run
   * re-send a batch under its original key. The key is fixed before the
   * first send and reused by every retry; halves of a halved batch get their
   * own. A random UUID per batch by default. For a caller that re-sends the
   * same batches after a crash (the `vectorvue send --resume` checkpoint).
   * (VectorVue honours the header only on the single-event route and stores
   * batch items once by their id anyway.) 1-255 visible ASCII characters.
   */
  readonly idempotencyKey?: IdempotencyKeyMaker;
  /**
   * Called with the run's progress at most every 100 ms while it changes,
   * and once at the end. A callback that throws is logged and ignored.
   */
  readonly onProgress?: (progress: DeliveryProgress) => void;
}

/** What the client gives a bulk send or batcher: how to send, and its own settings. */
export interface DeliveryContext {
  readonly send: BatchSender;
  readonly maxBatchSize: number;
  readonly backoff: BackoffOptions;
  /** The client's pause (rate limit, unavailable server), for progress. */
  readonly clientPause: () => PauseInfo | undefined;
  readonly logger: Logger;
}

interface Item extends Packed {}

/**
 * Sends every item: items the client cannot serialise are `rejected` on
 * their own; the rest are packed (lazily, as batches go out) into batches of
 * `maxBatchSize` items and `maxBatchBytes`, `concurrency` at a time, through
 * the batching core: transient failures are retried while the delivery
 * budget lasts, and an error waiting cannot fix stops the run (the items not
 * yet confirmed are `failed` with it).
 */
export async function sendBulk(
  context: DeliveryContext,
  items: readonly unknown[],
  what: "events" | "findings",
  options: BulkOptions = {},
): Promise<BulkResult> {
  if (!Array.isArray(items)) {
    throw new VectorVueSerializationError(`${what} must be an array`, what);
  }
  const { concurrency, maxBatchBytes, deliveryBudgetMs: budget } = bulkOptions(
    what === "events" ? "sendEvents" : "sendFindings",
    options,
  );
  const delivery = new BatchDelivery({
    send: context.send,
    deliveryBudgetMs: budget,
    backoff: context.backoff,
    signal: options.signal,
    idempotencyKey: options.idempotencyKey,
    stopOnSharedError: true,
    clientPause: context.clientPause,
    limits: { timeoutMs: options.timeoutMs, maxRetries: options.maxRetries },
  });
  const outcomes: BulkItemResult[] = new Array(items.length);
  let accepted = 0;
  let rejected = 0;
  let failed = 0;
  let inFlight = 0;
  const record = (index: number, outcome: ItemOutcome, requestId?: string) => {
    outcomes[index] = { index, ...outcome, ...(requestId ? { requestId } : {}) };
    if (outcome.status === "accepted") accepted++;
    else if (outcome.status === "rejected") rejected++;
    else failed++;
  };

  // Items are serialised as batches are packed, so a large array is not held twice.
  let cursor = 0;
  let next: Item | undefined;
  const peek = (): Item | undefined => {
    // An indexed loop, not forEach: a hole in a sparse array is an item too (and a bad one).
    while (next === undefined && cursor < items.length) {
      const position = cursor++;
      try {
        const text = serializeItem(items[position], `${what}[${position}]`);
        next = { position, text, size: utf8Length(text) + 1 };
      } catch (error) {
        // Whatever the item throws (a getter, a Proxy) is its own problem: thrown on, it would
        // reject the call while the other workers went on sending with no one to report to.
        record(position, {
          status: "rejected",
          errorCode: "serialization_failed",
          errorMessage: error instanceof VectorVueSerializationError
            ? error.message
            : `${what}[${position}] could not be read: ${
              error instanceof Error ? error.message : String(error)
            }`,
        });
      }
    }
    return next;
  };
  const shift = () => (next = undefined);
  const settle: Settle<Item> = (entries, batchOutcomes, _error, requestId) => {
    entries.forEach((entry, i) => record(entry.position, batchOutcomes[i], requestId));
    inFlight -= entries.length;
  };
  const progress = new ProgressReporter(options.onProgress, () => ({
    total: items.length,
    confirmed: accepted + rejected,
    accepted,
    rejected,
    failed,
    inFlight,
    ...(delivery.pause ? { paused: delivery.pause } : {}),
  }), (error) =>
    context.logger.error("vectorvue onProgress callback threw", {
      error: error instanceof Error ? error.message : String(error),
    }));

  const worker = async () => {
    for (;;) {
      const entries = takeBatch(peek, shift, context.maxBatchSize, maxBatchBytes);
      if (entries.length === 0) return;
      inFlight += entries.length;
      await delivery.deliver(delivery.batch(entries), settle);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    progress.finish();
  }
  return {
    accepted,
    rejected,
    failed,
    items: outcomes,
    requestIds: delivery.requestIds,
    requests: delivery.tally.requests,
    rateLimited: delivery.tally.rateLimited,
    rateLimitWaitMs: delivery.tally.rateLimitWait.totalMs,
  };
}
