/**
 * The dead-letter file: one NDJSON record per item that did not make it, with its line number
 * and why. Each record keeps the item under `item` (or the unreadable text under `raw`), so the
 * file, once fixed, can be given to `vectorvue send` again.
 *
 * @module
 */
import type { AppendFile, CliSystem } from "../src/platform/command_line.ts";
import { DEAD_LETTER_KEY } from "./input.ts";

/** Why an item is in the dead-letter file. */
export type DeadLetterReason = "malformed" | "rejected" | "failed";

/** One dead-letter entry. */
export interface DeadLetter {
  readonly line: number;
  readonly reason: DeadLetterReason;
  readonly code: string;
  readonly message: string;
  /** The batch's `request_id`, when the server answered it. */
  readonly requestId?: string;
  readonly item?: Record<string, unknown>;
  readonly raw?: string;
}

/** The NDJSON line of one entry. */
export function deadLetterLine(entry: DeadLetter): string {
  const about: Record<string, unknown> = {
    line: entry.line,
    reason: entry.reason,
    code: entry.code,
    message: entry.message,
  };
  if (entry.requestId !== undefined) about.request_id = entry.requestId;
  if (entry.reason === "failed") about.retry = "not delivered in the delivery budget: send again";
  const record: Record<string, unknown> = { [DEAD_LETTER_KEY]: about };
  if (entry.item !== undefined) record.item = entry.item;
  else record.raw = entry.raw ?? "";
  return `${JSON.stringify(record)}\n`;
}

const encoder = new TextEncoder();

/**
 * Appends entries to the dead-letter file, created on the first entry. `bytes` is the file's
 * length after what was written, which a checkpoint records: a resumed run cuts the file back
 * to it, so entries written after the checkpoint are not written twice.
 */
export class DeadLetterWriter {
  readonly path: string;
  #file: AppendFile | undefined;
  #bytes: number;
  #truncateTo: number | undefined;
  #count = 0;

  constructor(readonly system: CliSystem, path: string, resumeAtBytes?: number) {
    this.path = path;
    this.#bytes = resumeAtBytes ?? 0;
    this.#truncateTo = resumeAtBytes;
  }

  /** Bytes in the file. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries written by this run. */
  get count(): number {
    return this.#count;
  }

  /** Appends the entries (no fsync: see {@linkcode sync}). */
  async write(entries: readonly DeadLetter[]): Promise<void> {
    if (entries.length === 0) return;
    this.#file ??= await this.system.openAppend(this.path, this.#truncateTo ?? 0);
    const bytes = encoder.encode(entries.map(deadLetterLine).join(""));
    await this.#file.write(bytes);
    this.#bytes += bytes.length;
    this.#count += entries.length;
  }

  /** Makes what was written durable, before a checkpoint names it. */
  async sync(): Promise<void> {
    if (this.#file) await this.#file.sync();
  }

  async close(): Promise<void> {
    await this.#file?.close();
    this.#file = undefined;
  }
}
