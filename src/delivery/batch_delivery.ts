/**
 * The batching core that `sendEvents`/`sendFindings` and the batcher share:
 * packing items into batches by count and bytes, one idempotency key per
 * batch fixed before its first send, halving a batch the server finds too
 * large, reading per-item outcomes, retrying transient failures for as long
 * as the delivery budget lasts (pausing the whole run meanwhile), and the
 * stop rule for errors that waiting cannot fix. The schedulers only decide
 * which batch goes when.
 *
 * @module
 */

import type { ResponseEnvelope } from "../envelope.ts";
import {
  VectorVueAPIError,
  VectorVueConfigError,
  VectorVueError,
  VectorVueRateLimitError,
  VectorVueTransportError,
} from "../errors.ts";
import { abortableDelay, type BackoffOptions, deliveryDecision } from "../retry.ts";
import { joinBatch, joinEncoded, type SerializedBody } from "../serialize.ts";
import { type ItemOutcome, readBatchOutcomes } from "./batch_outcome.ts";
import { newTally, type PauseInfo, type RequestTally } from "./pacer.ts";

/** How a batch is sent: the client's attempt loop, with the batch's key and the run's tally. */
export interface SendContext {
  readonly signal?: AbortSignal;
  /** Per-attempt time limit, over the client's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Retries after a failure, over the client's `maxRetries`. */
  readonly maxRetries?: number;
  readonly idempotencyKey?: string;
  readonly tally?: RequestTally;
}

/** Sends one serialised batch; the client's retry policy and pacer apply inside. */
export type BatchSender = (body: SerializedBody, context: SendContext) => Promise<ResponseEnvelope>;

/**
 * Makes the `Idempotency-Key` of a batch from its position: `firstIndex` is
 * the index of its first item (in the array for `sendEvents`; in the order
 * of `add()` for the batcher) and `count` its size. Halves of a halved batch
 * get keys of their own.
 */
export type IdempotencyKeyMaker = (batch: { firstIndex: number; count: number }) => string;

/** One item, serialised. */
export interface Packed {
  /** Its place in the run: the index in the caller's array, or the order of `add()`. */
  readonly position: number;
  /** The item's JSON text. */
  readonly text: string;
  /**
   * The same as UTF-8 bytes, when the item is held that way (the batcher does: outside the
   * JavaScript heap, one copy, and the batch body is assembled from these without a string).
   */
  readonly bytes?: Uint8Array;
  /** UTF-8 bytes of `text` plus its separator. */
  readonly size: number;
}

/** A batch: its items and the key every send of it carries. */
export interface Batch<E extends Packed> {
  readonly entries: readonly E[];
  readonly firstIndex: number;
  readonly key: string;
}

/**
 * What the core hands back when a batch (or a half of it) reached a final
 * state: each entry's outcome, the error that failed them all, or the
 * `request_id` of the answer.
 */
export type Settle<E extends Packed> = (
  entries: readonly E[],
  outcomes: readonly ItemOutcome[],
  error?: Error,
  requestId?: string,
) => void | Promise<void>;

const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * Takes the next batch off a queue: up to `maxItems`, and no more than
 * `maxBytes` of JSON unless a single item is larger (it then goes alone).
 */
export function takeBatch<E extends Packed>(
  peek: () => E | undefined,
  shift: () => void,
  maxItems: number,
  maxBytes: number,
): E[] {
  const batch: E[] = [];
  let bytes = 2;
  for (let entry = peek(); entry !== undefined && batch.length < maxItems; entry = peek()) {
    if (batch.length > 0 && bytes + entry.size > maxBytes) break;
    batch.push(entry);
    bytes += entry.size;
    shift();
  }
  return batch;
}

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
 * What a failed send means for delivery: the failure policy's batch decision
 * (`src/retry.ts`), under the names the core used before.
 */
export function classifyFailure(error: unknown): "halve" | "transient" | "stop" | "batch" {
  const decision = deliveryDecision(error);
  return decision === "split"
    ? "halve"
    : decision === "wait"
    ? "transient"
    : decision === "stop"
    ? "stop"
    : "batch";
}

/** Options of one delivery run. */
export interface DeliveryOptions {
  readonly send: BatchSender;
  /** How long a batch keeps being retried through transient failures. */
  readonly deliveryBudgetMs: number;
  /** The client's back-off settings (the pacer applies them; kept for callers that pass them). */
  readonly backoff?: BackoffOptions;
  /** Ends the run: batches not yet confirmed fail with `aborted`. */
  readonly signal?: AbortSignal;
  /** Keys of batches; a random UUID each by default. */
  readonly idempotencyKey?: IdempotencyKeyMaker;
  /** Whether an error every batch would get stops the run (bulk) or only fails its batch (batcher). */
  readonly stopOnSharedError: boolean;
  /** The client's pause (rate limit, unavailable server), for progress reports. */
  readonly clientPause?: () => PauseInfo | undefined;
  /** Per-call limits of every send, over the client's. */
  readonly limits?: { readonly timeoutMs?: number; readonly maxRetries?: number };
  /**
   * Called with each batch (halves included) before its first send, with its key: a durable
   * spool records it there. A rejection is the caller's to report; the batch is sent anyway.
   */
  readonly beforeFirstSend?: (key: string, entries: readonly Packed[]) => Promise<void>;
}

/** One delivery run: `sendEvents` call or batcher. */
export class BatchDelivery {
  readonly #options: DeliveryOptions;
  /** Requests, 429s and rate-limit wait of this run. */
  readonly tally: RequestTally = newTally();
  /** `request_id` of every batch the server answered. */
  readonly requestIds: string[] = [];
  /** The error that stopped the run, once one did. */
  stopped: unknown;
  /** Whether the last answer was a server unavailable (502/503/504, or none at all). */
  #failing = false;
  /** While the server is failing: settles when the one batch sending gets its answer. */
  #probe: Promise<void> | undefined;

  constructor(options: DeliveryOptions) {
    this.#options = options;
  }

  /** Why and until when the run waits, if it does: the client's pacer decides every wait. */
  get pause(): PauseInfo | undefined {
    return this.#options.clientPause?.();
  }

  /** A batch of `entries`, its key made now, before its first send. */
  batch<E extends Packed>(entries: readonly E[]): Batch<E> {
    const firstIndex = entries[0].position;
    const maker = this.#options.idempotencyKey;
    const key = maker ? maker({ firstIndex, count: entries.length }) : crypto.randomUUID();
    return { entries, firstIndex, key };
  }

  /**
   * Sends a batch until every entry is final and hands each outcome to
   * `settle` (once per batch or half); never rejects.
   */
  async deliver<E extends Packed>(batch: Batch<E>, settle: Settle<E>): Promise<void> {
    const { signal, send } = this.#options;
    const fail = (error: unknown) => {
      const aborted = signal?.aborted === true;
      const failure = describeFailure(aborted ? signal!.reason : error, aborted);
      const outcomes = batch.entries.map(() => ({ status: "failed" as const, ...failure }));
      return settle(batch.entries, outcomes, asError(aborted ? signal!.reason : error));
    };
    if (typeof batch.key !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(batch.key)) {
      return await fail(
        new VectorVueConfigError([
          `the idempotencyKey option gave ${
            JSON.stringify(batch.key)
          }: it must be 1-255 visible ASCII characters`,
        ]),
      );
    }
    await this.#options.beforeFirstSend?.(batch.key, batch.entries).catch(() => {});
    const startedAt = performance.now();
    // Joined once for every attempt: a batch retried through an outage would otherwise make a
    // new body (its text and its bytes) at each attempt, garbage that grows the heap while the
    // queue is at its bound.
    let body: SerializedBody | undefined = batch.entries.every((entry) => entry.bytes)
      ? joinEncoded(batch.entries.map((entry) => entry.bytes!))
      : joinBatch(batch.entries.map((entry) => entry.text));
    for (;;) {
      if (this.stopped !== undefined) return await fail(this.stopped);
      if (signal?.aborted) return await fail(signal.reason);
      let releaseProbe = () => {};
      try {
        if (this.#failing) {
          // The server is failing: one batch at a time finds out whether it is back, the others
          // wait for its answer rather than each send their body again (every attempt costs a
          // copy of the body, which an outage would pile up as garbage).
          if (this.#probe !== undefined) {
            // The one abortable wait: until the probe's answer, or the signal aborts.
            await abortableDelay(Infinity, signal, this.#probe);
            continue;
          }
          this.#probe = new Promise<void>((resolve) => {
            releaseProbe = () => {
              this.#probe = undefined;
              resolve();
            };
          });
        }
        const envelope = await send(body!, {
          ...this.#options.limits,
          signal,
          idempotencyKey: batch.key,
          tally: this.tally,
        });
        this.#failing = false;
        releaseProbe();
        const requestId = envelope.requestId ?? undefined;
        if (requestId) this.requestIds.push(requestId);
        const outcomes = readBatchOutcomes(envelope, batch.entries.length);
        return await settle(batch.entries, outcomes, undefined, requestId);
      } catch (error) {
        const kind = classifyFailure(error);
        // Known before the batches waiting for this answer go on. A 429 is not a failing server:
        // the pacer already lets one request at a time find room.
        if (!signal?.aborted && kind === "transient") {
          this.#failing = !(error instanceof VectorVueRateLimitError);
        }
        releaseProbe();
        if (signal?.aborted) return await fail(signal.reason);
        if (kind === "halve" && batch.entries.length > 1) {
          body = undefined; // the halves make their own
          const half = Math.ceil(batch.entries.length / 2);
          await this.deliver(this.batch(batch.entries.slice(0, half)), settle);
          await this.deliver(this.batch(batch.entries.slice(half)), settle);
          return;
        }
        if (kind === "transient") {
          // No back-off of its own: the client's pacer already paused every call for the rate
          // limit or the unavailable server; the batch waits out that one pause and goes again.
          const pauseMs = Math.max(0, (this.pause?.until ?? 0) - Date.now());
          if (performance.now() + pauseMs - startedAt < this.#options.deliveryBudgetMs) {
            try {
              await abortableDelay(pauseMs, signal);
            } catch {
              return await fail(signal?.reason);
            }
            continue;
          }
        }
        if (kind !== "batch" && kind !== "halve" && this.#options.stopOnSharedError) {
          this.stopped ??= error;
        }
        return await fail(error);
      }
    }
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new VectorVueError(String(error), { cause: error });
}
