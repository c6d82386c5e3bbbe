/**
 * Reading a batch answer item by item. The server answers 202 even when
 * every item failed; what happened to each item is in `data.results`.
 *
 * @module
 */

import type { ResponseEnvelope } from "../envelope.ts";

/**
 * What became of one item of a batch.
 *
 * @example
 * ```ts
 * import type { ItemOutcome } from "@spectrastrike/vectorvue-client";
 *
 * const delivered = (outcome: ItemOutcome) => outcome.status === "accepted";
 * ```
 */
export interface ItemOutcome {
  /** `accepted`: stored; `rejected`: the server refused this item (never retried); `failed`: not delivered. */
  readonly status: "accepted" | "rejected" | "failed";
  /** The id the server gave the item (`evt_...`, `fnd_...`), when it said. */
  readonly itemId?: string;
  /** Why it was rejected or failed. */
  readonly errorCode?: string;
  /** The server's or the client's words on why. */
  readonly errorMessage?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The outcome of each of `size` items from a batch envelope. An item the
 * answer does not account for is `failed` with `invalid_response`, so no item
 * is ever silently taken as delivered.
 */
export function readBatchOutcomes(envelope: ResponseEnvelope, size: number): ItemOutcome[] {
  const data = isRecord(envelope.data) ? envelope.data : {};
  const results = Array.isArray(data.results) ? data.results : undefined;
  const byIndex = new Map<number, Record<string, unknown>>();
  for (const result of results ?? []) {
    if (isRecord(result) && Number.isInteger(result.index)) {
      byIndex.set(result.index as number, result);
    }
  }
  const outcomes: ItemOutcome[] = [];
  for (let index = 0; index < size; index++) {
    const result = byIndex.get(index);
    if (!result) {
      outcomes.push(
        results === undefined && envelope.ok ? { status: "accepted" } : {
          status: "failed",
          errorCode: "invalid_response",
          errorMessage: "the batch answer has no result for this item",
        },
      );
      continue;
    }
    const itemId = typeof result.item_id === "string" ? result.item_id : undefined;
    if (result.status === "accepted") {
      outcomes.push(itemId === undefined ? { status: "accepted" } : { status: "accepted", itemId });
    } else {
      outcomes.push({
        status: "rejected",
        ...(itemId === undefined ? {} : { itemId }),
        errorCode: typeof result.error_code === "string" ? result.error_code : "rejected",
        errorMessage: typeof result.error_message === "string" ? result.error_message : "",
      });
    }
  }
  return outcomes;
}
