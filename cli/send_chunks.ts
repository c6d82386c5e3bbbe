/**
 * The chunks of a `vectorvue send` run: reading the next chunk of records, sending its items
 * through the client's bulk API, and what each outcome leaves for the dead-letter file.
 *
 * @module
 */
import type {
  BulkItemResult,
  BulkOptions,
  BulkResult,
  VectorVueClient,
  VectorVueEvent,
  VectorVueFinding,
} from "../mod.ts";
import type { Counts } from "./checkpoint.ts";
import type { DeadLetter } from "./dead_letter.ts";
import type { InputRecord } from "./input.ts";
import { describeMessage } from "./errors.ts";

/** One chunk of items read, with the line of each and where it ends. */
export interface Chunk {
  readonly items: Record<string, unknown>[];
  readonly lines: number[];
  readonly malformed: InputRecord[];
  readonly end: { offset: number; line: number };
  readonly eof: boolean;
}

/** The next chunk: up to `size` items, with the malformed records met on the way. */
export async function readChunk(
  records: AsyncIterator<InputRecord>,
  start: { offset: number; line: number },
  size: number,
  strict: boolean,
): Promise<Chunk> {
  const items: Record<string, unknown>[] = [];
  const lines: number[] = [];
  const malformed: InputRecord[] = [];
  let end = start;
  while (items.length < size) {
    const next = await records.next();
    if (next.done) return { items, lines, malformed, end, eof: true };
    const record = next.value;
    end = { offset: record.endOffset, line: record.line + 1 };
    if (record.item) {
      items.push(record.item);
      lines.push(record.line);
    } else {
      malformed.push(record);
      if (strict) break;
    }
  }
  return { items, lines, malformed, end, eof: false };
}

/** Per-chunk outcome of the client's bulk send. */
export interface Delivered {
  readonly items: readonly BulkItemResult[];
  readonly rejectedRequestIds: readonly string[];
}

/** What the input holds. */
export type Kind = "events" | "findings";

/** Sends items as events or findings. */
export function bulk(
  client: VectorVueClient,
  kind: Kind,
  items: Record<string, unknown>[],
  options: BulkOptions,
): Promise<BulkResult> {
  // Lines from a file: the server judges them (a refused one comes back `rejected`).
  return kind === "events"
    ? client.sendEvents(items as unknown as VectorVueEvent[], options)
    : client.sendFindings(items as unknown as VectorVueFinding[], options);
}

/**
 * What a chunk's bulk send settled; a string is an error that stops the run (nothing of the
 * chunk settled).
 */
export function deliveredOf(
  chunk: Chunk,
  result: BulkResult,
  verbose: boolean | undefined,
): Delivered | string {
  const rejectedRequestIds = new Set<string>();
  for (const item of result.items) {
    if (item.status === "rejected" && item.requestId) rejectedRequestIds.add(item.requestId);
  }
  const delivered: Delivered = {
    items: result.items,
    rejectedRequestIds: [...rejectedRequestIds],
  };
  if (result.failed === chunk.items.length && result.failed > 0) {
    // Nothing got through: the server is down or refusing us beyond the delivery budget.
    // Stop here with the chunk unsettled, rather than dead-letter the rest of the input.
    const first = result.items.find((item) => item.status === "failed");
    return `nothing delivered: ${
      verbose
        ? `${first?.errorCode}: ${first?.errorMessage}`
        : describeMessage(first?.errorMessage ?? "")
    }`;
  }
  return delivered;
}

/**
 * The dead-letter records of a settled chunk (malformed, rejected and failed items, in line
 * order), counting every outcome into `counts`.
 */
export function deadLetterEntries(
  chunk: Chunk,
  delivered: Delivered,
  counts: Counts,
): DeadLetter[] {
  const entries: DeadLetter[] = chunk.malformed.map((record) => ({
    line: record.line,
    reason: "malformed",
    code: record.errorCode ?? "malformed",
    message: record.errorMessage ?? "",
    raw: record.raw,
  }));
  for (const outcome of delivered.items) {
    if (outcome.status === "accepted") {
      counts.accepted++;
      continue;
    }
    if (outcome.status === "rejected") counts.rejected++;
    else counts.failed++;
    entries.push({
      line: chunk.lines[outcome.index],
      reason: outcome.status,
      code: outcome.errorCode ?? outcome.status,
      message: outcome.errorMessage ?? "",
      requestId: outcome.requestId,
      item: chunk.items[outcome.index],
    });
  }
  counts.malformed += chunk.malformed.length;
  entries.sort((a, b) => a.line - b.line);
  return entries;
}

/** How much of the input a run has read: the progress line's total, known or estimated. */
export class ReadTracker {
  /** Items read by this run, malformed ones included. */
  #items = 0;
  /** Byte offset read up to. */
  #offset: number;
  #done = false;
  #bytesPerItem: number | undefined;
  /** Items settled before this run (by the run it resumes). */
  readonly #priorItems: number;
  /** Where this run started reading. */
  readonly #startOffset: number;

  constructor(priorItems: number, startOffset: number) {
    this.#priorItems = priorItems;
    this.#startOffset = startOffset;
    this.#offset = startOffset;
  }

  /** Whether the input was read to its end. */
  get done(): boolean {
    return this.#done;
  }

  /** Counts a chunk read. */
  note(chunk: Chunk): void {
    this.#items += chunk.items.length + chunk.malformed.length;
    const bytes = chunk.end.offset - this.#offset;
    const consumed = chunk.end.offset - this.#startOffset;
    if (this.#items > 0 && consumed > 0) this.#bytesPerItem = consumed / this.#items;
    this.#offset += bytes;
    if (chunk.eof) this.#done = true;
  }

  /** The input's items: known once read to the end, else estimated from its `size` in bytes. */
  total(size: number | undefined): number | undefined {
    let total: number | undefined;
    if (this.#done) total = this.#items + this.#priorItems;
    else if (size !== undefined && this.#bytesPerItem) {
      total = this.#priorItems + this.#items +
        Math.round((size - this.#offset) / this.#bytesPerItem);
    }
    return total;
  }
}
