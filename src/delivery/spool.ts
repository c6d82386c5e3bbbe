// The durable spool under a batcher: items are appended to segment files and fsynced before
// `add()` resolves (group commit: items that arrive while a write is under way share the next
// fsync), batches record their idempotency key before they are sent, and items leave only when
// settled (answered by the server, or dead-lettered). Segments are deleted oldest first once
// nothing in them is live, which is how disk is reclaimed. See `spool_record.ts` for the format.
// This file is the spool's face; its parts: `_spool_writer.ts` (segment writing, group commit),
// `_spool_recovery.ts` (the start-up scan), `_spool_backlog.ts` (reading back what the last
// process left), `_spool_accounting.ts` (live items, segment files, reclaiming).
import { type SpoolFs, spoolFs as runtimeFs } from "../platform/files.ts";
import { silentLogger } from "../logger.ts";
import type { Logger } from "../logger.ts";
import { acquireLock, DEFAULT_LEASE, type LeaseOptions, type SpoolLock } from "./spool_lock.ts";
import { spoolErrorFrom, VectorVueSpoolError } from "./spool_error.ts";
import {
  encodeRecord,
  itemRecordBytes,
  MAX_SOURCE_BYTES,
  type RecordOrigin,
} from "./spool_record.ts";
import { utf8Length } from "../serialize.ts";
import {
  type BacklogItem,
  readBacklog,
  readRecovered,
  type Recovered,
  type SpooledItem,
} from "./_spool_backlog.ts";
import { recover, type RecoveredState } from "./_spool_recovery.ts";
import { SegmentSpace, SpoolLedger } from "./_spool_accounting.ts";
import { SegmentWriter } from "./_spool_writer.ts";
import { type NewItem, newItem } from "./_spool_pending.ts";
import { MAX_SEGMENT_BYTES, writerOf } from "./_spool_segment.ts";

export type { BacklogItem, Recovered, SpooledBatch, SpooledItem } from "./_spool_backlog.ts";
export { DAMAGED_DIR } from "./_spool_segment.ts";

/**
 * Options of a batcher's durable spool (`createBatcher({ spool })`).
 *
 * @example Spool to a directory of its own, at most 1 GiB
 * ```ts
 * import type { SpoolOptions } from "@spectrastrike/vectorvue-client";
 *
 * const spool: SpoolOptions = { dir: "/var/spool/sensor-events", maxBytes: 1024 ** 3 };
 * ```
 */
export interface SpoolOptions {
  /**
   * The directory, created if missing; one batcher (one process) at a time. Give each batcher
   * its own: events and findings do not share one.
   */
  readonly dir: string;
  /**
   * Most bytes the spool's files take; `add()` waits beyond it (back-pressure).
   * @default {268435456}
   */
  readonly maxBytes?: number;
}

/** An append refused because the spool is closing (the batcher turns it into its closed error). */
export class SpoolClosedError extends Error {
  /** Creates the error. */
  constructor() {
    super("the spool is closing and accepts no new items");
  }
}

/**
 * What a batcher's spool holds on disk, in `batcher.stats().spool`.
 *
 * @example Alert when the spool backs up
 * ```ts
 * import type { SpoolStats } from "@spectrastrike/vectorvue-client";
 *
 * const backedUp = (spool: SpoolStats) => spool.oldestAgeMs > 10 * 60_000;
 * ```
 */
export interface SpoolStats {
  /** Items durably on disk and not yet settled. */
  readonly items: number;
  /** Bytes of the spool's segment files. */
  readonly bytes: number;
  /** Age of the oldest unsettled item in ms; 0 when there is none. */
  readonly oldestAgeMs: number;
}

/** Options of {@linkcode Spool.open}. */
export interface SpoolOpenOptions {
  readonly dir: string;
  readonly maxBytes: number;
  /** Segment size before a new file is started; by default an eighth of `maxBytes`, at most 16 MiB. */
  readonly segmentBytes?: number;
  readonly logger?: Logger;
  /** The file system; tests inject failures through it. */
  readonly fs?: SpoolFs;
  /** Clock, ms since the epoch. */
  readonly now?: () => number;
  /** The lock's lease; tests shorten it. */
  readonly lease?: LeaseOptions;
}

/** The durable queue of one batcher. */
export class Spool {
  readonly #dir: string;
  readonly #fs: SpoolFs;
  readonly #now: () => number;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #lock: SpoolLock;
  /** Which items are live. */
  readonly #ledger: SpoolLedger;
  /** The segment files and the bytes they take. */
  readonly #space: SegmentSpace;
  /** Writes records to the segment files. */
  readonly #writer: SegmentWriter;
  #nextSeq: number;
  /** The last origin source appended, and its UTF-8. */
  #lastSource: [string, Uint8Array] = ["", new Uint8Array(0)];
  /** Appends waiting for space, in the order they came: see #appendWhenRoom. */
  #line: Promise<void> = Promise.resolve();
  #inLine = 0;
  #closed = false;
  #refusing = false;
  /**
   * What the last process left, in delivery order: the items of its batches (batch by batch, in
   * the order they were formed), then the items not yet in a batch, in the order they were added.
   */
  readonly backlog: readonly BacklogItem[];

  /** The spool directory. */
  get dir(): string {
    return this.#dir;
  }

  /**
   * The texts of backlog items `from` to `to` (exclusive), with their batch keys. Reads each
   * segment file concerned once, one at a time, so memory holds one file and these texts.
   */
  readBacklog(from: number, to: number): Promise<(SpooledItem & { batchKey?: string })[]> {
    return readBacklog(this.#fs, this.backlog, from, to);
  }

  /** The whole backlog read back, as batches and loose items (tests and small spools). */
  readRecovered(): Promise<Recovered> {
    return readRecovered(this.#fs, this.backlog);
  }

  private constructor(
    options: SpoolOpenOptions,
    fs: SpoolFs,
    lock: SpoolLock,
    state: RecoveredState,
  ) {
    this.#dir = options.dir;
    this.#fs = fs;
    const logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxBytes;
    this.#segmentBytes = options.segmentBytes ??
      Math.min(MAX_SEGMENT_BYTES, Math.max(4096, Math.floor(options.maxBytes / 8)));
    this.#lock = lock;
    const writer = writerOf(lock.token);
    this.#nextSeq = state.nextSeq;
    this.backlog = state.backlog;
    this.#ledger = new SpoolLedger(writer, state.live, state.nextSeq, state.origins);
    this.#space = new SegmentSpace(fs, options.dir, logger, state.segments);
    this.#writer = new SegmentWriter({
      fs,
      dir: options.dir,
      logger,
      lock,
      writer,
      segmentBytes: this.#segmentBytes,
      nextSegmentId: (state.segments.at(-1)?.id ?? 0) + 1,
      space: this.#space,
      ledger: this.#ledger,
    });
  }

  /**
   * Creates the directory if needed, takes its lock, and reads what the last process left.
   * Damaged stretches are skipped with one warning each, naming the file and byte offset.
   */
  static async open(options: SpoolOpenOptions): Promise<Spool> {
    const fs = options.fs ?? runtimeFs;
    const logger = options.logger ?? silentLogger;
    const { dir } = options;
    try {
      await fs.mkdir(dir);
    } catch (error) {
      throw spoolErrorFrom(error, "create the spool directory", dir);
    }
    const lock = await acquireLock(fs, dir, logger, options.lease ?? DEFAULT_LEASE);
    try {
      const state = await recover(fs, dir, logger);
      const spool = new Spool(options, fs, lock, state);
      await spool.#space.reclaim(() => undefined, state.origins.size > 0);
      return spool;
    } catch (error) {
      await lock.release().catch(() => {});
      throw error;
    }
  }

  /**
   * Appends an item and resolves with its sequence number once it is on disk (written and
   * fsynced). Waits while the spool holds `maxBytes` (back-pressure). Rejects with a
   * {@linkcode VectorVueSpoolError} when the disk fails; the item is then not in the spool's care.
   * `encoded`, the text's UTF-8 when the caller has it already, is copied instead of encoded again.
   */
  append(
    text: string,
    textBytes: number = utf8Length(text),
    origin?: RecordOrigin,
    encoded?: Uint8Array,
  ): Promise<number> {
    const sourceBytes = origin === undefined ? undefined : this.#sourceBytes(origin.source);
    const size = itemRecordBytes(textBytes, sourceBytes?.length);
    if (size > this.#maxBytes) {
      return Promise.reject(
        new VectorVueSpoolError(
          "too_large",
          `an item of ${size} bytes on disk can never fit a spool of maxBytes ${this.#maxBytes}`,
          { path: this.#dir },
        ),
      );
    }
    if (this.#refusing) return Promise.reject(new SpoolClosedError());
    // The common case, without an async frame: it runs once per item.
    const item = newItem(text, encoded, size, origin, sourceBytes);
    if (this.#inLine === 0 && this.#space.bytes + size <= this.#maxBytes) {
      return this.#queueItem(item);
    }
    return this.#appendWhenRoom(item);
  }

  /** A source as UTF-8, the last one kept (a shipper adds many lines of one file in a row). */
  #sourceBytes(source: string): Uint8Array {
    if (source !== this.#lastSource[0]) {
      const bytes = new TextEncoder().encode(source);
      if (bytes.length === 0 || bytes.length > MAX_SOURCE_BYTES) {
        throw new RangeError(`an origin's source must be 1 to ${MAX_SOURCE_BYTES} bytes of UTF-8`);
      }
      this.#lastSource = [source, bytes];
    }
    return this.#lastSource[1];
  }

  /**
   * Waits for space in line: appends take their sequence numbers in the order they were called,
   * so that a smaller item never overtakes a larger one waiting (the items of one source, with
   * their origins, stay in order).
   */
  #appendWhenRoom(item: NewItem): Promise<number> {
    // Settled by the writer itself, as a fast append's is, so that appends resolve in order.
    return new Promise<number>((resolve, reject) => {
      item.resolve = resolve;
      item.reject = reject;
      void this.#waitInLine(item);
    });
  }

  async #waitInLine(item: NewItem): Promise<void> {
    const previous = this.#line;
    let leave!: () => void;
    this.#line = new Promise<void>((done) => leave = done);
    this.#inLine++;
    try {
      await previous;
      while (this.#space.bytes + item.size > this.#maxBytes && !this.#refusing) {
        await this.#space.spaceFreed();
      }
      if (this.#refusing) item.reject(new SpoolClosedError());
      else this.#submit(item);
    } finally {
      this.#inLine--;
      leave();
    }
  }

  #queueItem(item: NewItem): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      item.resolve = resolve;
      item.reject = reject;
      this.#submit(item);
    });
  }

  #submit(item: NewItem): void {
    item.seq = this.#nextSeq++;
    item.addedAt = this.#now();
    this.#space.count(item.size);
    this.#writer.submitItem(item);
  }

  /**
   * Per source, the position of the last item durably written (fsynced), the most recent
   * 4,096 sources: recovered at start-up from the segments' headers and item records (settled
   * and deleted items included), then updated as each group of items is fsynced.
   */
  origins(): Map<string, number> {
    return this.#ledger.origins.snapshot();
  }

  /**
   * Records that these items form the batch `key`, before it is first sent. Resolves once the
   * record is written, which a process crash cannot undo; its fsync follows with the next group
   * (waiting for it would hold every send back by an fsync). After a power loss in between, the
   * batch goes out again under a new key, and the server's item ids keep one copy.
   */
  async recordBatch(key: string, seqs: readonly number[]): Promise<void> {
    this.#assertOpen();
    const bytes = encodeRecord({ kind: "batch", key, refs: this.#ledger.refs(seqs, false) });
    this.#space.count(bytes.length);
    await new Promise<void>((resolve, reject) => {
      this.#writer.submitBookkeeping({ bytes, size: bytes.length, written: resolve, reject });
    });
  }

  /**
   * Items the server answered for, or that were dead-lettered: they leave the spool. Not waited
   * for: should the record be lost in a crash, the items are sent again and the server, which
   * keys events by `event_id`, keeps one copy.
   */
  settle(seqs: readonly number[]): void {
    const refs = this.#ledger.refs(seqs, true);
    if (refs.size === 0 || this.#closed) return;
    const bytes = encodeRecord({ kind: "settled", refs });
    this.#space.count(bytes.length);
    this.#writer.submitLazy({ bytes, size: bytes.length });
    const active = this.#writer.activeSegment;
    if (
      this.#ledger.liveCount === 0 && active !== undefined &&
      (active.bytes >= this.#segmentBytes / 2 || this.#space.someoneWaits)
    ) {
      this.#writer.requestRotate();
    }
  }

  /** Refuses appends from now on, also those waiting for space; the rest still works. */
  refuseNew(): void {
    this.#refusing = true;
    this.#space.wakeSpaceWaiters();
  }

  /** Resolves when every record handed over so far is written and settled files are deleted. */
  async idle(): Promise<void> {
    await this.#writer.drain();
  }

  /** What is on disk now. */
  stats(): SpoolStats {
    const oldest = this.#ledger.oldestAddedAt();
    return {
      items: this.#ledger.liveCount,
      bytes: this.#space.fileBytes(),
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, this.#now() - oldest),
    };
  }

  /**
   * Writes what is pending, deletes the segment files when nothing is live (a clean shutdown
   * leaves an empty directory, or with origins one small segment that holds them), closes the files and releases the lock. Items still live stay
   * on disk for the next process.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.refuseNew();
    try {
      await this.#writer.drain();
      if (this.#ledger.liveCount === 0 && this.#ledger.origins.size > 0) {
        // The positions outlive a clean shutdown in one small file: a segment of its header.
        await this.#writer.startSegment();
      }
      if (this.#ledger.liveCount === 0) this.#writer.requestRotate();
      await this.#writer.rotateAndReclaim();
      await this.#writer.closeActive();
    } finally {
      await this.#lock.release();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new SpoolClosedError();
  }
}
