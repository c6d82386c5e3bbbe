/**
 * Bulk send: any number of items, split into batches, sent with bounded
 * concurrency, and one outcome per item in the caller's order.
 *
 * @module
 */

import { type ItemOutcome, readBatchOutcomes } from "./batch_outcome.ts";
import type { ResponseEnvelope } from "./envelope.ts";
import {
  VectorVueAPIError,
  VectorVueConfigError,
  VectorVueError,
  VectorVueSerializationError,
  VectorVueTransportError,
  VectorVueValidationError,
} from "./errors.ts";
import { checkCallOptions } from "./option_names.ts";
import { joinBatch, type SerializedBody, serializeItem, utf8Length } from "./serialize.ts";

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
 * not help) or `failed` (not delivered: retries ran out, or the call was
 * aborted; resending may help, and is safe since the server de-duplicates).
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
 * emulator.inject({ status: 503, count: 4 }); // an outage outlasting the retries
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
  /** Stops sending; items not yet confirmed end `failed` with `aborted`. */
  readonly signal?: AbortSignal;
  /** Time limit of each attempt of each batch, over the client's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Retries of each batch after its first attempt, over the client's `maxRetries`. */
  readonly maxRetries?: number;
  /**
   * The `Idempotency-Key` of each batch request, from the index of its first item and its
   * length; every attempt of that batch carries it. For a caller that re-sends the same batches
   * after a crash (the `vectorvue send --resume` checkpoint) and wants the same keys: the server
   * honours the header on `POST .../events`, and on the batch routes stores each event and
   * finding once by its id anyway. 1-255 visible ASCII characters. Without it, no header.
   */
  readonly idempotencyKey?: (
    batch: { readonly firstIndex: number; readonly count: number },
  ) => string;
}

/** Sends one serialised batch; the client's retry policy applies inside. */
export type BatchSender = (
  body: SerializedBody,
  limits?: {
    signal?: AbortSignal;
    timeoutMs?: number;
    maxRetries?: number;
    idempotencyKey?: string;
  },
) => Promise<ResponseEnvelope>;

/** The code and message an item carries for the error that failed it. */
export function describeFailure(
  error: unknown,
  aborted = false,
): { errorCode: string; errorMessage: string } {
  const message = error instanceof Error ? error.message : String(error);
  if (aborted) return { errorCode: "aborted", errorMessage: `aborted by the caller: ${message}` };
  if (error instanceof VectorVueAPIError) {
    return { errorCode: error.errorCode, errorMessage: error.message };
  }
  if (error instanceof VectorVueTransportError) {
    return { errorCode: error.kind, errorMessage: error.message };
  }
  if (error instanceof VectorVueError) return { errorCode: error.name, errorMessage: message };
  return { errorCode: "unexpected_error", errorMessage: message };
}

/**
 * Whether a batch was refused for its size, by the server (`batch_too_large`,
 * its limit being below ours) or by a proxy (413): worth halving, not failing.
 */
export function isBatchTooLarge(error: unknown): boolean {
  return (error instanceof VectorVueValidationError && error.errorCode === "batch_too_large") ||
    (error instanceof VectorVueAPIError && error.httpStatus === 413);
}

/** Whether an error concerns only the batch that got it; any other stops the bulk send. */
function isBatchLocal(error: unknown): boolean {
  return error instanceof VectorVueValidationError || isBatchTooLarge(error);
}

/** Default cap of one batch body: nginx's default `client_max_body_size` is 1 MiB. */
export const MAX_BATCH_BYTES = 1024 * 1024;

/** The names {@linkcode BulkOptions} has, to catch misspelled ones. */
export const BULK_OPTION_NAMES: readonly string[] = Object.keys(
  {
    concurrency: true,
    maxBatchBytes: true,
    signal: true,
    timeoutMs: true,
    maxRetries: true,
    idempotencyKey: true,
  } satisfies Record<
    keyof BulkOptions,
    true
  >,
);

/** A positive whole-number option, or a {@linkcode VectorVueConfigError} naming it. */
export function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 1) {
    throw new VectorVueConfigError([`${name} must be a positive whole number, got ${value}`]);
  }
  return result;
}

interface Pending {
  readonly indexes: number[];
  readonly texts: string[];
}

/**
 * Sends every item: items the client cannot serialise are `rejected` on
 * their own; the rest go in batches of `maxBatchSize`, `concurrency` at a
 * time. A batch the server finds too large is halved and sent again. An error
 * that would hit every batch alike (authentication, an outage outlasting the
 * retries) stops the send: the items not yet sent are `failed` with that
 * error, rather than each waiting out the same retries.
 */
export async function sendBulk(
  send: BatchSender,
  items: readonly unknown[],
  what: string,
  maxBatchSize: number,
  options: BulkOptions = {},
): Promise<BulkResult> {
  if (!Array.isArray(items)) {
    throw new VectorVueSerializationError(`${what} must be an array`, what);
  }
  checkCallOptions(what === "events" ? "sendEvents" : "sendFindings", options, BULK_OPTION_NAMES);
  const concurrency = positiveInteger("concurrency", options.concurrency, 2);
  const maxBatchBytes = positiveInteger("maxBatchBytes", options.maxBatchBytes, MAX_BATCH_BYTES);
  const outcomes: (BulkItemResult | undefined)[] = new Array(items.length);
  const requestIds: string[] = [];
  const queue: Pending[] = [];
  let current: Pending = { indexes: [], texts: [] };
  let currentBytes = 2;
  // An indexed loop, not forEach: a hole in a sparse array is an item too (and a bad one).
  for (let index = 0; index < items.length; index++) {
    let text: string;
    try {
      text = serializeItem(items[index], `${what}[${index}]`);
    } catch (error) {
      if (!(error instanceof VectorVueSerializationError)) throw error;
      outcomes[index] = {
        index,
        status: "rejected",
        errorCode: "serialization_failed",
        errorMessage: error.message,
      };
      continue;
    }
    const size = utf8Length(text) + 1;
    if (current.indexes.length > 0 && currentBytes + size > maxBatchBytes) {
      queue.push(current);
      current = { indexes: [], texts: [] };
      currentBytes = 2;
    }
    current.texts.push(text);
    current.indexes.push(index);
    currentBytes += size;
    if (current.indexes.length === maxBatchSize) {
      queue.push(current);
      current = { indexes: [], texts: [] };
      currentBytes = 2;
    }
  }
  if (current.indexes.length > 0) queue.push(current);

  let stop: unknown;
  const settle = (batch: Pending, outcome: (position: number) => ItemOutcome) => {
    batch.indexes.forEach((index, position) => (outcomes[index] = { index, ...outcome(position) }));
  };
  const failAll = (batch: Pending, error: unknown) => {
    const failure = describeFailure(error, options.signal?.aborted === true);
    settle(batch, () => ({ status: "failed", ...failure }));
  };

  const sendOne = async (batch: Pending): Promise<void> => {
    if (stop !== undefined) return failAll(batch, stop);
    if (options.signal?.aborted) return failAll(batch, options.signal.reason);
    try {
      const idempotencyKey = options.idempotencyKey?.({
        firstIndex: batch.indexes[0],
        count: batch.indexes.length,
      });
      const envelope = await send(joinBatch(batch.texts), {
        signal: options.signal,
        timeoutMs: options.timeoutMs,
        maxRetries: options.maxRetries,
        idempotencyKey,
      });
      const requestId = envelope.requestId ?? undefined;
      if (requestId) requestIds.push(requestId);
      const batchOutcomes = readBatchOutcomes(envelope, batch.indexes.length);
      settle(
        batch,
        (position) => ({ ...batchOutcomes[position], ...(requestId ? { requestId } : {}) }),
      );
    } catch (error) {
      if (isBatchTooLarge(error) && batch.indexes.length > 1) {
        const half = Math.ceil(batch.indexes.length / 2);
        await sendOne({ indexes: batch.indexes.slice(0, half), texts: batch.texts.slice(0, half) });
        await sendOne({ indexes: batch.indexes.slice(half), texts: batch.texts.slice(half) });
        return;
      }
      if (!isBatchLocal(error) && !options.signal?.aborted) stop ??= error;
      failAll(batch, error);
    }
  };

  const worker = async () => {
    for (let batch = queue.shift(); batch !== undefined; batch = queue.shift()) {
      await sendOne(batch);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));

  const settled = outcomes as BulkItemResult[];
  let accepted = 0;
  let rejected = 0;
  for (const outcome of settled) {
    if (outcome.status === "accepted") accepted++;
    else if (outcome.status === "rejected") rejected++;
  }
  return {
    accepted,
    rejected,
    failed: settled.length - accepted - rejected,
    items: settled,
    requestIds,
  };
}
