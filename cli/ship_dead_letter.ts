/**
 * The shipper's dead-letter file: one NDJSON record per line that was not delivered (malformed,
 * refused by the server, or failed for good), with the file it came from and where in it. Like
 * `vectorvue send`'s, each record keeps the item under `item` (or the unreadable text under
 * `raw`), so the file, once fixed, can be given to `vectorvue send`.
 *
 * @module
 */
import type { AppendFile, CliSystem } from "../src/platform/command_line.ts";
import { DEAD_LETTER_KEY } from "./input.ts";

/** Why a line is in the dead-letter file. */
export type ShipDeadLetterReason = "malformed" | "rejected" | "failed";

/** One dead-letter entry. */
export interface ShipDeadLetter {
  readonly reason: ShipDeadLetterReason;
  readonly code: string;
  readonly message: string;
  /** The file the line came from (`-` for standard input), when known. */
  readonly file?: string;
  /** The source's identity, when known (a followed file's survives its renames). */
  readonly source?: string;
  /** Byte offset of the line's start, when known (malformed lines). */
  readonly offset?: number;
  /** Byte offset just past the line, when known. */
  readonly end?: number;
  readonly item?: unknown;
  readonly raw?: string;
}

const RAW_LIMIT = 64 * 1024;

/** The NDJSON line of one entry. */
export function shipDeadLetterLine(entry: ShipDeadLetter, at: Date): string {
  const about: Record<string, unknown> = {
    reason: entry.reason,
    code: entry.code,
    message: entry.message,
  };
  for (const key of ["file", "source", "offset", "end"] as const) {
    if (entry[key] !== undefined) about[key] = entry[key];
  }
  about.at = at.toISOString();
  if (entry.reason === "failed") about.retry = "not delivered: send the item again";
  const record: Record<string, unknown> = { [DEAD_LETTER_KEY]: about };
  if (entry.item !== undefined) record.item = entry.item;
  else {
    const raw = entry.raw ?? "";
    record.raw = raw.length > RAW_LIMIT ? `${raw.slice(0, RAW_LIMIT)}…` : raw;
  }
  return `${JSON.stringify(record)}\n`;
}

const encoder = new TextEncoder();

/**
 * Appends entries to the dead-letter file (created 0600 on the first entry), each write made
 * durable before it returns: a dead letter is rare, and one that a crash loses is a lost line.
 */
export class ShipDeadLetters {
  readonly path: string;
  readonly #system: CliSystem;
  #file: Promise<AppendFile> | undefined;
  /** Writes in call order, even when callers do not wait. */
  #chain: Promise<void> = Promise.resolve();
  #count = 0;
  readonly #byReason: Record<ShipDeadLetterReason, number> = {
    malformed: 0,
    rejected: 0,
    failed: 0,
  };

  constructor(system: CliSystem, path: string) {
    this.#system = system;
    this.path = path;
  }

  /** Entries written (and synced) by this process. */
  get count(): number {
    return this.#count;
  }

  /** Entries written (and synced) by this process, by reason. */
  get byReason(): Readonly<Record<ShipDeadLetterReason, number>> {
    return this.#byReason;
  }

  /** Appends the entries and syncs them. */
  write(entries: readonly ShipDeadLetter[]): Promise<void> {
    if (entries.length === 0) return this.#chain;
    const at = new Date();
    const bytes = encoder.encode(entries.map((entry) => shipDeadLetterLine(entry, at)).join(""));
    const write = this.#chain.then(async () => {
      this.#file ??= this.#system.openAppend(this.path);
      try {
        const file = await this.#file;
        await file.write(bytes);
        await file.sync();
        // Counted once they are in the file: the metrics and the summary say what is there.
        for (const entry of entries) this.#byReason[entry.reason]++;
        this.#count += entries.length;
      } catch (error) {
        this.#file = undefined;
        throw error;
      }
    });
    // A failed write fails its caller; the next write tries again.
    this.#chain = write.catch(() => {});
    return write;
  }

  async close(): Promise<void> {
    await this.#chain;
    const file = this.#file;
    this.#file = undefined;
    if (file) await (await file).close();
  }
}
