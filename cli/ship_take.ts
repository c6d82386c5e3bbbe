/**
 * Taking lines: each line read is classified, a malformed one goes to the dead-letter file, an
 * item is added to the spooled batcher with its origin, and the line counts as taken only once
 * its `add()` has resolved (it is then on disk with how far its source was read).
 *
 * Items are added in the order of their lines (the batcher keeps that order, also for adds that
 * wait for room), so the spool never holds a line without the ones before it from the same
 * source. Adds that find room go out together (they share one fsync); when the queue or the spool
 * is too full for a whole group, lines are added one at a time, so that each line counts as taken
 * as soon as its own add resolved: while reading waits on a full spool, the metrics and a stop's
 * report of what was taken stay exact.
 *
 * @module
 */
import type { ShipDeadLetter, ShipDeadLetters } from "./ship_dead_letter.ts";
import { lineContent, type OriginBatcher, type ShipLine } from "./ship_lines.ts";
import { STDIN_SOURCE } from "./ship_stdin.ts";

/** Bounds the shipper gave its batcher and spool, to know when a group of adds fits. */
export interface Room {
  readonly maxQueueSize: number;
  readonly maxQueueBytes: number;
  readonly spoolMaxBytes: number;
}

/** How far one source was taken. */
export interface TakenSource {
  /** Lines taken (blank and malformed ones included). */
  readonly lines: number;
  /** Byte offset just past the last line taken. */
  readonly end: number;
}

/** Lines taken together at most (one fsync for them all). */
const GROUP = 500;
/** A record's bytes in the spool beyond its JSON (a generous bound of its header). */
const RECORD_OVERHEAD = 64;

/** See the module comment. */
export class LineTaker {
  readonly #batcher: OriginBatcher;
  readonly #deadLetters: ShipDeadLetters;
  readonly #room: Room;
  readonly #maxLineBytes: number;
  /**
   * Lines taken by this process. A total, not a count per source: a shipper running for days
   * sees a new source at every rotation, and nothing needs how far each of them was taken here
   * (the spool keeps that, bounded).
   */
  linesTaken = 0;
  /** How far standard input was taken by this process (the one source a stop reports on). */
  stdin: TakenSource | undefined;
  /** Lines and bytes read (taken or not). */
  readonly read = { lines: 0, bytes: 0 };
  /** Items added to the batcher by this process. */
  added = 0;

  constructor(
    batcher: OriginBatcher,
    deadLetters: ShipDeadLetters,
    room: Room,
    maxLineBytes: number,
  ) {
    this.#batcher = batcher;
    this.#deadLetters = deadLetters;
    this.#room = room;
    this.#maxLineBytes = maxLineBytes;
  }

  /**
   * Takes `lines` in order; rejects with the first failure (a full disk, a closed batcher),
   * after counting the lines before it as taken.
   */
  async take(lines: readonly ShipLine[]): Promise<void> {
    for (let start = 0; start < lines.length; start += GROUP) {
      await this.#takeGroup(lines.slice(start, start + GROUP));
    }
  }

  async #takeGroup(lines: readonly ShipLine[]): Promise<void> {
    const malformed: ShipDeadLetter[] = [];
    const adds: { line: number; item: Record<string, unknown>; origin: ShipLine }[] = [];
    let bytes = 0;
    lines.forEach((line, index) => {
      this.read.lines++;
      this.read.bytes += line.end - line.offset;
      const content = lineContent(line, this.#maxLineBytes);
      if ("item" in content) {
        adds.push({ line: index, item: content.item, origin: line });
        bytes += line.end - line.offset + RECORD_OVERHEAD;
      } else if ("code" in content) {
        malformed.push({
          reason: "malformed",
          code: content.code,
          message: content.message,
          file: line.path,
          source: line.source === line.path ? undefined : line.source,
          offset: line.offset,
          end: line.end,
          raw: line.text ?? "",
        });
      }
    });
    // Malformed lines first: a line counts as taken only once it is where it goes.
    await this.#deadLetters.write(malformed);
    const add = (entry: (typeof adds)[number]) =>
      this.#batcher.add(entry.item, {
        origin: { source: entry.origin.source, position: entry.origin.end },
      });
    // Lines before `upTo` are taken; a line counts once its own add (and those before) resolved.
    let marked = 0;
    const markTaken = (upTo: number) => {
      for (; marked < upTo; marked++) {
        const line = lines[marked];
        this.linesTaken++;
        if (line.source === STDIN_SOURCE) {
          this.stdin = { lines: (this.stdin?.lines ?? 0) + 1, end: line.end };
        }
      }
    };
    if (this.#fits(adds.length, bytes)) {
      const results = await Promise.allSettled(adds.map(add));
      this.added += results.filter((result) => result.status === "fulfilled").length;
      const first = results.findIndex((result) => result.status === "rejected");
      if (first >= 0) {
        markTaken(adds[first].line);
        throw (results[first] as PromiseRejectedResult).reason;
      }
    } else {
      for (const entry of adds) {
        markTaken(entry.line);
        await add(entry);
        this.added++;
      }
    }
    markTaken(lines.length);
  }

  /** Whether `count` items of about `bytes` fit the queue and the spool without waiting. */
  #fits(count: number, bytes: number): boolean {
    const stats = this.#batcher.stats();
    const held = stats.queued + stats.inFlight;
    const spooled = stats.spool?.bytes ?? 0;
    return held + count <= this.#room.maxQueueSize &&
      stats.heldBytes + bytes <= this.#room.maxQueueBytes &&
      spooled + bytes <= this.#room.spoolMaxBytes;
  }
}
