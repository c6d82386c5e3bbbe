// The durable spool under a batcher: items are appended to segment files and fsynced before
// `add()` resolves (group commit: items that arrive while a write is under way share the next
// fsync), batches record their idempotency key before they are sent, and items leave only when
// settled (answered by the server, or dead-lettered). Segments are deleted oldest first once
// nothing in them is live, which is how disk is reclaimed. See `spool_record.ts` for the format.
import { spoolFs as runtimeFs } from "./_fs_deno.ts";
import type { AppendFile, SpoolFs } from "./_fs_common.ts";
import { silentLogger } from "../logger.ts";
import type { Logger } from "../logger.ts";
import { acquireLock, DEFAULT_LEASE, type LeaseOptions, type SpoolLock } from "./spool_lock.ts";
import { osCode, spoolErrorFrom, VectorVueSpoolError } from "./spool_error.ts";
import {
  encodeRecord,
  itemRecordBytes,
  itemTextAt,
  itemTextRange,
  type PreviousSegment,
  type Refs,
  scanSegment,
  writeItemRecords,
} from "./spool_record.ts";
import { utf8Length } from "../serialize.ts";

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

/** Largest segment file before the spool starts a new one. */
const MAX_SEGMENT_BYTES = 16 * 1024 * 1024;

/** Segment files: `segment-<id>-<writer>.log`; without a writer, the first format's. */
const SEGMENT = /^segment-(\d{12})(?:-([0-9a-f]{16}))?\.log$/;
const segmentName = (id: number, writer: string) =>
  `segment-${String(id).padStart(12, "0")}-${writer}.log`;
/** Where damaged segment files are moved once their readable records are settled. */
export const DAMAGED_DIR = "damaged";
/** The writer token standing for segments of the first format (no writer in their name). */
const FIRST_FORMAT = "first-format";

/** An item in the spool. */
export interface SpooledItem {
  readonly seq: number;
  readonly text: string;
  /** When it was first added, ms since the epoch. */
  readonly addedAt: number;
}

/** A batch recorded before it was sent, with the items of it still live. */
export interface SpooledBatch {
  readonly key: string;
  readonly items: readonly SpooledItem[];
}

/**
 * An item the last process left, not read into memory yet: where its text is. Start-up keeps
 * only these; the batcher reads the texts in portions as its queue has room
 * ({@linkcode Spool.readBacklog}).
 */
export interface BacklogItem {
  readonly seq: number;
  readonly addedAt: number;
  /** The batch it was in, if any. */
  readonly batchKey?: string;
  /** Its segment file and where its record starts. */
  readonly path: string;
  readonly at: number;
  /** UTF-8 bytes of its text. */
  readonly bytes: number;
}

/** What the last process left in the spool, to be delivered first. */
export interface Recovered {
  /** Batches that had been formed (and perhaps sent), in the order they were formed. */
  readonly batches: readonly SpooledBatch[];
  /** Items not yet in a batch, in the order they were added. */
  readonly items: readonly SpooledItem[];
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

interface Segment {
  readonly id: number;
  readonly name: string;
  readonly path: string;
  /** Bytes in the file (an upper bound after a failed write). */
  bytes: number;
  /** Live items whose record is in this file. */
  live: number;
  /** Records written to it (its header included). */
  records: number;
  /** Found damaged at start-up: moved to `damaged/` instead of deleted once nothing in it is live. */
  damaged: boolean;
}

/**
 * This spool's own items of one group commit (consecutive sequence numbers, one segment), live
 * or settled: one object per group rather than one per item keeps the garbage collector's work
 * per item small at tens of thousands of items a second.
 */
interface OwnGroup {
  readonly first: number;
  readonly segment: Segment;
  readonly addedAt: Float64Array;
  /** 1 while the item at `seq - first` is live. */
  readonly live: Uint8Array;
  /** Live items left in the group. */
  count: number;
}

interface LiveItem {
  readonly segment: Segment;
  readonly addedAt: number;
  /** The writer whose sequence number `seq` is (this spool's own, or an earlier process's). */
  readonly writer: string;
  readonly seq: number;
}

interface Pending {
  /** The record's bytes; for an item, built in the group's buffer from `text` instead. */
  readonly bytes?: Uint8Array;
  /** Bytes of the record. */
  readonly size: number;
  /** The text of an item record. */
  readonly text?: string;
  /** Sequence number of an item record. */
  readonly seq?: number;
  readonly addedAt?: number;
  /** Called once the record is written (before its fsync). */
  readonly written?: () => void;
  /** Called once the record is fsynced (with an item's sequence number). */
  readonly resolve?: (seq: number) => void;
  readonly reject?: (error: Error) => void;
}

/** The durable queue of one batcher. */
export class Spool {
  readonly #dir: string;
  readonly #fs: SpoolFs;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #maxBytes: number;
  readonly #segmentBytes: number;
  readonly #lock: SpoolLock;
  /** This spool's writer token, in its segment names and in records naming its items. */
  readonly #writer: string;
  /** The segment this writer closed last, named in the next one's header. */
  #previous: PreviousSegment | undefined;

  #segments: Segment[] = [];
  #nextSegmentId: number;
  #active: { segment: Segment; file: AppendFile } | undefined;
  #activeBroken = false;
  /** Items on disk and not settled, in the order they were added (oldest first). */
  readonly #live: Map<number, LiveItem>;
  /** Sequence numbers from here on are this spool's own items (below: recovered ones). */
  readonly #ownBase: number;
  /** Groups of own items, oldest first, from `#ownHead` on (earlier ones are settled). */
  #ownGroups: OwnGroup[] = [];
  #ownHead = 0;
  /** Own items live. */
  #ownLive = 0;
  #nextSeq: number;
  /** Bytes of the segment files plus bytes reserved by records waiting to be written. */
  #bytes = 0;
  #pending: Pending[] = [];
  /** Fsyncs in flight, and the last one started (each group settles after the one before). */
  readonly #syncs = new Set<Promise<void>>();
  #lastSync: Promise<void> = Promise.resolve();
  #committing: Promise<void> | undefined;
  /** Wakes the commit loop waiting on an fsync when a bookkeeping record is handed over. */
  #bookkeepingArrived: (() => void) | undefined;
  #wantRotate = false;
  #spaceWaiters: (() => void)[] = [];
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
  async readBacklog(from: number, to: number): Promise<(SpooledItem & { batchKey?: string })[]> {
    const slice = this.backlog.slice(from, to);
    const texts = new Array<string>(slice.length);
    const byPath = new Map<string, number[]>();
    slice.forEach((item, index) => {
      const list = byPath.get(item.path);
      if (list === undefined) byPath.set(item.path, [index]);
      else list.push(index);
    });
    for (const [path, indexes] of byPath) {
      let bytes: Uint8Array;
      try {
        bytes = await this.#fs.readFile(path);
      } catch (error) {
        throw spoolErrorFrom(error, "read the spool file", path);
      }
      for (const index of indexes) texts[index] = itemTextAt(bytes, slice[index].at);
    }
    return slice.map(({ seq, addedAt, batchKey }, index) => ({
      seq,
      addedAt,
      text: texts[index],
      ...(batchKey === undefined ? {} : { batchKey }),
    }));
  }

  /** The whole backlog read back, as batches and loose items (tests and small spools). */
  async readRecovered(): Promise<Recovered> {
    const items = await this.readBacklog(0, this.backlog.length);
    const batches = new Map<string, SpooledItem[]>();
    const loose: SpooledItem[] = [];
    for (const { batchKey, ...item } of items) {
      if (batchKey === undefined) loose.push(item);
      else if (batches.has(batchKey)) batches.get(batchKey)!.push(item);
      else batches.set(batchKey, [item]);
    }
    return {
      batches: [...batches].map(([key, batchItems]) => ({ key, items: batchItems })),
      items: loose,
    };
  }

  private constructor(
    options: SpoolOpenOptions,
    fs: SpoolFs,
    lock: SpoolLock,
    state: RecoveredState,
  ) {
    this.#dir = options.dir;
    this.#fs = fs;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#maxBytes = options.maxBytes;
    this.#segmentBytes = options.segmentBytes ??
      Math.min(MAX_SEGMENT_BYTES, Math.max(4096, Math.floor(options.maxBytes / 8)));
    this.#lock = lock;
    this.#writer = writerOf(lock.token);
    this.#segments = state.segments;
    this.#nextSegmentId = (state.segments.at(-1)?.id ?? 0) + 1;
    this.#nextSeq = state.nextSeq;
    this.backlog = state.backlog;
    this.#bytes = state.segments.reduce((sum, segment) => sum + segment.bytes, 0);
    this.#live = state.live;
    this.#ownBase = state.nextSeq;
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
      await spool.#reclaim();
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
   */
  append(text: string, textBytes: number = utf8Length(text)): Promise<number> {
    const size = itemRecordBytes(textBytes);
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
    if (this.#bytes + size <= this.#maxBytes) return this.#queueItem(text, size);
    return this.#appendWhenRoom(text, size);
  }

  async #appendWhenRoom(text: string, size: number): Promise<number> {
    while (this.#bytes + size > this.#maxBytes) {
      if (this.#refusing) throw new SpoolClosedError();
      await new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
    }
    if (this.#refusing) throw new SpoolClosedError();
    return await this.#queueItem(text, size);
  }

  #queueItem(text: string, size: number): Promise<number> {
    const seq = this.#nextSeq++;
    const addedAt = this.#now();
    this.#bytes += size;
    return new Promise<number>((resolve, reject) => {
      this.#pending.push({ size, text, seq, addedAt, resolve, reject });
      this.#kick();
    });
  }

  /**
   * Records that these items form the batch `key`, before it is first sent. Resolves once the
   * record is written, which a process crash cannot undo; its fsync follows with the next group
   * (waiting for it would hold every send back by an fsync). After a power loss in between, the
   * batch goes out again under a new key, and the server's item ids keep one copy.
   */
  async recordBatch(key: string, seqs: readonly number[]): Promise<void> {
    this.#assertOpen();
    const bytes = encodeRecord({ kind: "batch", key, refs: this.#refs(seqs, false) });
    this.#bytes += bytes.length;
    await new Promise<void>((resolve, reject) => {
      this.#pending.push({ bytes, size: bytes.length, written: resolve, reject });
      this.#bookkeepingArrived?.();
      this.#kick();
    });
  }

  /**
   * Items the server answered for, or that were dead-lettered: they leave the spool. Not waited
   * for: should the record be lost in a crash, the items are sent again and the server, which
   * keys events by `event_id`, keeps one copy.
   */
  settle(seqs: readonly number[]): void {
    const refs = this.#refs(seqs, true);
    if (refs.size === 0 || this.#closed) return;
    const bytes = encodeRecord({ kind: "settled", refs });
    this.#bytes += bytes.length;
    this.#pending.push({ bytes, size: bytes.length });
    this.#bookkeepingArrived?.();
    const active = this.#active?.segment;
    if (
      this.#liveCount === 0 && active !== undefined &&
      (active.bytes >= this.#segmentBytes / 2 || this.#spaceWaiters.length > 0)
    ) {
      this.#wantRotate = true;
    }
    this.#kick();
  }

  /** Items live on disk. */
  get #liveCount(): number {
    return this.#live.size + this.#ownLive;
  }

  /** The group holding own item `seq`, or undefined. */
  #ownGroup(seq: number): OwnGroup | undefined {
    const groups = this.#ownGroups;
    let low = this.#ownHead;
    let high = groups.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const group = groups[middle];
      if (seq < group.first) high = middle - 1;
      else if (seq >= group.first + group.live.length) low = middle + 1;
      else return group;
    }
    return undefined;
  }

  /**
   * The live ones of these items as their writers' sequence numbers, for a batch or settled
   * record; with `settle`, they stop being live.
   */
  #refs(seqs: readonly number[], settle: boolean): Refs {
    const refs = new Map<string, number[]>();
    const add = (writer: string, seq: number) => {
      const list = refs.get(writer);
      if (list === undefined) refs.set(writer, [seq]);
      else list.push(seq);
    };
    for (const seq of seqs) {
      if (seq >= this.#ownBase) {
        const group = this.#ownGroup(seq);
        if (group === undefined || group.live[seq - group.first] === 0) continue;
        if (settle) {
          group.live[seq - group.first] = 0;
          group.count--;
          group.segment.live--;
          this.#ownLive--;
        }
        add(this.#writer, seq);
      } else {
        const item = this.#live.get(seq);
        if (item === undefined) continue;
        if (settle) {
          this.#live.delete(seq);
          item.segment.live--;
        }
        add(item.writer, item.seq);
      }
    }
    for (const list of refs.values()) list.sort((a, b) => a - b);
    if (settle) this.#dropSettledGroups();
    return refs;
  }

  #dropSettledGroups(): void {
    while (this.#ownHead < this.#ownGroups.length && this.#ownGroups[this.#ownHead].count === 0) {
      this.#ownHead++;
    }
    if (this.#ownHead > 64 && this.#ownHead * 2 > this.#ownGroups.length) {
      this.#ownGroups = this.#ownGroups.slice(this.#ownHead);
      this.#ownHead = 0;
    }
  }

  /** Refuses appends from now on, also those waiting for space; the rest still works. */
  refuseNew(): void {
    this.#refusing = true;
    this.#wakeSpaceWaiters();
  }

  /** Resolves when every record handed over so far is written and settled files are deleted. */
  async idle(): Promise<void> {
    await this.#drain();
  }

  /** What is on disk now. */
  stats(): SpoolStats {
    // Recovered items are older than any of our own.
    let oldest = this.#live.values().next().value?.addedAt;
    if (oldest === undefined && this.#ownLive > 0) {
      const group = this.#ownGroups[this.#ownHead];
      oldest = group.addedAt[group.live.indexOf(1)];
    }
    return {
      items: this.#liveCount,
      bytes: this.#segments.reduce((sum, segment) => sum + segment.bytes, 0),
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, this.#now() - oldest),
    };
  }

  /**
   * Writes what is pending, deletes the segment files when nothing is live (a clean shutdown
   * leaves an empty directory), closes the files and releases the lock. Items still live stay
   * on disk for the next process.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.refuseNew();
    try {
      await this.#drain();
      if (this.#liveCount === 0) this.#wantRotate = true;
      await this.#rotateAndReclaim();
      await this.#closeActive();
    } finally {
      await this.#lock.release();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new SpoolClosedError();
  }

  #kick(): void {
    if (this.#committing !== undefined) return;
    this.#committing = Promise.resolve().then(() => this.#commitLoop());
  }

  async #drain(): Promise<void> {
    while (this.#committing !== undefined) await this.#committing;
  }

  async #commitLoop(): Promise<void> {
    try {
      // Ends only when nothing is pending right after the last await: a record handed over
      // while this loop was finishing is never left behind.
      let itemsWait = false;
      while (this.#pending.length > 0 || this.#wantRotate || this.#syncs.size > 0) {
        if (this.#pending.length > 0) {
          if (this.#syncs.size < 2 && !itemsWait) await this.#write(this.#pending.splice(0));
          else {
            // Two fsyncs in flight: items wait for the next group, but bookkeeping records (a
            // batch key its send waits for, acknowledgements) are written now.
            const bookkeeping = this.#pending.filter((record) => record.text === undefined);
            if (bookkeeping.length > 0) {
              this.#pending = this.#pending.filter((record) => record.text !== undefined);
              await this.#write(bookkeeping);
            }
          }
        }
        // Pipelined: the next group is written while this fsync runs; at most two in flight.
        // A bookkeeping record arriving meanwhile is written at once (a send waits for it).
        // Items that arrive meanwhile wait for the fsync (they form the next group together).
        const holdItems = itemsWait;
        itemsWait = false;
        if (
          this.#syncs.size >= 2 ||
          (this.#syncs.size > 0 && (this.#pending.length === 0 || holdItems))
        ) {
          itemsWait = await Promise.race([
            Promise.race(this.#syncs).then(() => false),
            new Promise<boolean>((resolve) => this.#bookkeepingArrived = () => resolve(true)),
          ]);
          this.#bookkeepingArrived = undefined;
        }
        // Reclaiming deletes only files no fsync is pending on, so it need not wait for them.
        await this.#rotateAndReclaim();
      }
    } finally {
      this.#committing = undefined;
    }
  }

  /**
   * Writes one group of records with one write, then starts its fsync. Batch records are done
   * once written (a process crash cannot lose them any more); items once the fsync is done,
   * and in the order they were written.
   */
  async #write(group: Pending[]): Promise<void> {
    let size = 0;
    for (const record of group) size += record.size;
    // One buffer for the group; item records are built in it directly (no buffer per item).
    const bytes = new Uint8Array(size);
    const view = new DataView(bytes.buffer);
    let offset = 0;
    let run: Pending[] = [];
    let runAt = 0;
    for (const record of group) {
      if (record.bytes === undefined) {
        if (run.length === 0) runAt = offset;
        run.push(record);
      } else {
        if (run.length > 0) writeItemRecords(bytes, view, runAt, run);
        run = [];
        bytes.set(record.bytes, offset);
      }
      offset += record.size;
    }
    if (run.length > 0) writeItemRecords(bytes, view, runAt, run);
    let path = this.#dir;
    let counted = false;
    try {
      // Fencing: a holder that lost its lock (frozen past its lease) writes nothing more.
      if (this.#lock.lost) await this.#lock.verify();
      const active = await this.#activeFor(size);
      path = active.segment.path;
      // Moved from reserved to the file before the write: after a failure part of it may be there.
      active.segment.bytes += size;
      active.segment.records += group.length;
      counted = true;
      await active.file.write(bytes);
      for (const record of group) record.written?.();
      // Bookkeeping alone needs no fsync of its own: written, a process crash cannot undo it, and
      // the next group's fsync (or the segment's close) covers it.
      if (!group.some((record) => record.text !== undefined)) return;
      const synced = active.file.sync();
      const previous = this.#lastSync;
      const done: Promise<void> = previous.then(() => synced, () => synced).then(
        () => {
          this.#addOwnGroup(group, active.segment);
          for (const record of group) record.resolve?.(record.seq!);
        },
        (error) => this.#failed(group, spoolErrorFrom(error, "fsync the spool file", path)),
      ).finally(() => this.#syncs.delete(done));
      this.#syncs.add(done);
      this.#lastSync = done;
    } catch (error) {
      this.#failed(group, spoolErrorFrom(error, "write the spool file", path));
      if (!counted) {
        this.#bytes -= size;
        this.#wakeSpaceWaiters();
      }
    }
  }

  /** The items of a group just fsynced become live (groups complete in sequence order). */
  #addOwnGroup(group: Pending[], segment: Segment): void {
    let first = -1;
    let last = -1;
    for (const record of group) {
      if (record.seq === undefined) continue;
      if (first < 0) first = record.seq;
      last = record.seq;
    }
    if (first < 0) return;
    const own: OwnGroup = {
      first,
      segment,
      addedAt: new Float64Array(last - first + 1),
      live: new Uint8Array(last - first + 1),
      count: 0,
    };
    for (const record of group) {
      if (record.seq === undefined) continue;
      own.addedAt[record.seq - first] = record.addedAt!;
      own.live[record.seq - first] = 1;
      own.count++;
    }
    segment.live += own.count;
    this.#ownLive += own.count;
    this.#ownGroups.push(own);
  }

  #failed(group: Pending[], failure: VectorVueSpoolError): void {
    this.#activeBroken = true;
    for (const record of group) record.reject?.(failure);
    if (group.some((record) => record.reject === undefined)) {
      // A settled record was lost: those items are sent again after a restart (see settle()).
      this.#logger.error("vectorvue spool write failed", {
        error: failure.message,
        code: failure.code,
      });
    }
  }

  /** The segment to write `size` bytes to, starting a new one when needed. */
  async #activeFor(size: number): Promise<{ segment: Segment; file: AppendFile }> {
    const active = this.#active;
    if (
      active !== undefined && !this.#activeBroken &&
      (active.segment.records === 1 || active.segment.bytes + size <= this.#segmentBytes)
    ) {
      return active;
    }
    await this.#closeActive();
    // Fencing: a segment is started only while the lock is still ours.
    await this.#lock.verify();
    const id = this.#nextSegmentId++;
    const name = segmentName(id, this.#writer);
    const path = `${this.#dir}/${name}`;
    // The header is fsynced under a temporary name first, so a segment file without one (an
    // empty file, say) is always damage, never a crash between creating and writing it.
    const temporary = `${path}.tmp`;
    const header = encodeRecord({
      kind: "header",
      writer: this.#writer,
      segment: id,
      prev: this.#previous,
    });
    let file: AppendFile | undefined;
    try {
      file = await this.#fs.createAppend(temporary);
      await file.write(header);
      await file.sync();
      await this.#fs.rename(temporary, path);
      // The new file's name must survive a crash as well as its contents.
      await this.#fs.syncDir(this.#dir);
    } catch (error) {
      await file?.close().catch(() => {});
      await this.#fs.remove(temporary).catch(() => {});
      await this.#fs.remove(path).catch(() => {});
      throw error;
    }
    this.#bytes += header.length;
    const segment: Segment = {
      id,
      name,
      path,
      bytes: header.length,
      live: 0,
      records: 1,
      damaged: false,
    };
    this.#segments.push(segment);
    this.#activeBroken = false;
    this.#active = { segment, file };
    return this.#active;
  }

  /** Closes the active segment; a complete one gets a footer saying how many records it holds. */
  async #closeActive(): Promise<void> {
    const active = this.#active;
    this.#active = undefined;
    await Promise.allSettled(this.#syncs);
    if (active === undefined) return;
    const { segment, file } = active;
    this.#previous = { name: segment.name, records: segment.records };
    if (!this.#activeBroken && !this.#lock.lost) {
      const footer = encodeRecord({ kind: "footer", records: segment.records });
      try {
        // Best effort (a full disk): the next segment's header counts this one's records too.
        await file.write(footer);
        await file.sync();
        segment.bytes += footer.length;
        this.#bytes += footer.length;
      } catch {
        this.#activeBroken = true;
      }
    }
    await file.close().catch(() => {});
  }

  async #rotateAndReclaim(): Promise<void> {
    if (this.#wantRotate) {
      this.#wantRotate = false;
      if (this.#liveCount === 0 && this.#pending.length === 0) await this.#closeActive();
    }
    await this.#reclaim();
  }

  /** Deletes segments from the oldest while nothing in them is live; never the active one. */
  async #reclaim(): Promise<void> {
    let removed = false;
    while (this.#segments.length > 0) {
      const head = this.#segments[0];
      if (head.live > 0 || head === this.#active?.segment) break;
      try {
        if (head.damaged) await this.#setAside(head);
        else await this.#fs.remove(head.path);
      } catch (error) {
        this.#logger.error("vectorvue spool could not delete a settled file", {
          error: spoolErrorFrom(error, "delete", head.path).message,
        });
        break;
      }
      this.#segments.shift();
      this.#bytes -= head.bytes;
      removed = true;
    }
    if (!removed) return;
    await this.#fs.syncDir(this.#dir).catch(() => {});
    this.#wakeSpaceWaiters();
  }

  /** Moves a damaged segment, its readable records settled, into `damaged/` for inspection. */
  async #setAside(segment: Segment): Promise<void> {
    const aside = `${this.#dir}/${DAMAGED_DIR}`;
    await this.#fs.mkdir(aside);
    await this.#fs.rename(segment.path, `${aside}/${segment.name}`);
    this.#logger.info("vectorvue spool: damaged segment moved aside", {
      file: `${aside}/${segment.name}`,
    });
  }

  #wakeSpaceWaiters(): void {
    for (const wake of this.#spaceWaiters.splice(0)) wake();
  }
}

/** The writer token of a lock's holder: 16 hex digits. */
function writerOf(token: string): string {
  return token.replaceAll("-", "").slice(0, 16);
}

interface RecoveredState {
  readonly segments: Segment[];
  readonly nextSeq: number;
  readonly backlog: BacklogItem[];
  readonly live: Map<number, LiveItem>;
}

/** A segment file found at start-up, before its records are read. */
interface Found {
  readonly id: number;
  readonly name: string;
  /** Whose sequence numbers its items use. */
  readonly writer: string;
}

/** What one segment's scan said about its own completeness. */
interface SegmentReport {
  readonly segment: Segment;
  readonly writer: string;
  readonly firstFormat: boolean;
  /** Records found, the footer excluded. */
  readonly found: number;
  /** Records it should hold (from its footer), when known. */
  expected: number | undefined;
  readonly hasFooter: boolean;
  readonly prev: PreviousSegment | undefined;
  readonly problems: string[];
  /** A torn end with nothing after it (a crash mid-write), reported apart. */
  readonly tail: { offset: number; bytes: number } | undefined;
}

/** Leftover temporary files: segment heads of a crash, lock files of a killed starter. */
async function removeLeftovers(fs: SpoolFs, dir: string, names: readonly string[]) {
  for (const name of names) {
    if (!name.endsWith(".tmp")) continue;
    const path = `${dir}/${name}`;
    if (name.startsWith("segment-")) {
      await fs.remove(path).catch(() => {});
    } else if (name.startsWith("spool.lock.")) {
      // Another starter's, being linked right now, must be left alone; a minute old is dead.
      const since = await fs.mtime(path).catch(() => Date.now());
      if (Date.now() - since > 60_000) await fs.remove(path).catch(() => {});
    }
  }
}

/**
 * Reads every segment: live items, the batches they were in. A segment that is not whole (cut,
 * emptied, without its header, damaged inside) is reported with the number of records lost where
 * it can be known, and set aside in `damaged/` once its readable items are settled.
 */
async function recover(fs: SpoolFs, dir: string, logger: Logger): Promise<RecoveredState> {
  let names: string[];
  try {
    names = await fs.readDir(dir);
  } catch (error) {
    throw spoolErrorFrom(error, "read the spool directory", dir);
  }
  await removeLeftovers(fs, dir, names);
  const found: Found[] = [];
  for (const name of names) {
    const match = SEGMENT.exec(name);
    if (match !== null) {
      found.push({ id: Number(match[1]), name, writer: match[2] ?? FIRST_FORMAT });
    }
  }
  found.sort((a, b) => a.id - b.id || (a.name < b.name ? -1 : 1));
  const segments: Segment[] = [];
  const reports: SegmentReport[] = [];
  /** Items by writer and sequence number, in the order they were read. */
  const items = new Map<string, { at: number; bytes: number; ref: LiveItem }>();
  const batchOf = new Map<string, string>();
  const settled = new Set<string>();
  const refKey = (writer: string, seq: number) => `${writer}\u0000${seq}`;
  for (const { id, name, writer } of found) {
    const path = `${dir}/${name}`;
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(path);
    } catch (error) {
      if (osCode(error) === "ENOENT") continue;
      throw spoolErrorFrom(error, "read the spool file", path);
    }
    // Texts are not decoded here: start-up keeps where they are, not what they say.
    const { records, offsets, damage } = scanSegment(bytes, { texts: false });
    const firstFormat = writer === FIRST_FORMAT;
    const problems: string[] = [];
    let tail: SegmentReport["tail"];
    for (const stretch of damage) {
      if (stretch.tail) tail = { offset: stretch.offset, bytes: stretch.length };
      else problems.push(`${stretch.length} bytes at offset ${stretch.offset} unreadable`);
    }
    const header = records[0]?.kind === "header" ? records[0] : undefined;
    if (bytes.length === 0) problems.push("empty (0 bytes)");
    else if (!firstFormat && header === undefined) problems.push("its header is missing");
    const footerAt = records.findIndex((record) => record.kind === "footer");
    const footer = footerAt < 0 ? undefined : records[footerAt];
    const segment: Segment = {
      id,
      name,
      path,
      bytes: bytes.length,
      live: 0,
      records: 0,
      damaged: false,
    };
    reports.push({
      segment,
      writer,
      firstFormat,
      found: footerAt < 0 ? records.length : footerAt,
      expected: footer?.kind === "footer" ? footer.records : undefined,
      hasFooter: footer !== undefined,
      prev: header?.kind === "header" ? header.prev : undefined,
      problems,
      tail,
    });
    for (const [index, record] of records.entries()) {
      if (record.kind === "item") {
        const { seq, addedAt } = record;
        const ref: LiveItem = { segment, addedAt, writer, seq };
        const [start, end] = itemTextRange(bytes, offsets[index]);
        items.set(refKey(writer, seq), { at: offsets[index], bytes: end - start, ref });
      } else if (record.kind === "batch" || record.kind === "settled") {
        for (const [owner, seqs] of record.refs) {
          for (const seq of seqs) {
            const key = refKey(owner === "" ? writer : owner, seq);
            if (record.kind === "batch") batchOf.set(key, record.key);
            else settled.add(key);
          }
        }
      }
    }
  }
  // What each writer's next segment says of the one before: the count of a cut segment.
  const byName = new Map(reports.map((report) => [report.segment.name, report]));
  const lastOfWriter = new Map(reports.map((report) => [report.writer, report]));
  for (const report of reports) {
    const previous = report.prev === undefined ? undefined : byName.get(report.prev.name);
    if (previous !== undefined && previous.expected === undefined) {
      previous.expected = report.prev!.records;
    }
  }
  for (const report of reports) {
    const isLast = lastOfWriter.get(report.writer) === report;
    const lost = report.expected === undefined ? undefined : report.expected - report.found;
    if (lost !== undefined && lost > 0) report.problems.push(`${lost} records missing`);
    else if (!report.firstFormat && !isLast && !report.hasFooter && report.expected === undefined) {
      report.problems.push("its end is missing");
    }
    const { path } = report.segment;
    segments.push(report.segment);
    if (report.problems.length > 0) {
      report.segment.damaged = true;
      logger.warn(
        "vectorvue spool: damaged segment; its readable records are delivered, the file is then moved to damaged/",
        {
          file: path,
          problems: report.problems,
          recordsLost: lost !== undefined && lost > 0 ? lost : "unknown",
          ...(report.tail === undefined ? {} : { tailOffset: report.tail.offset }),
        },
      );
    } else {
      if (report.tail !== undefined) {
        // The end of the newest file of a crashed writer: never acknowledged (add() resolves
        // after the fsync), so nothing is lost.
        logger.warn("vectorvue spool: torn or corrupt tail skipped (a crash mid-write?)", {
          file: path,
          offset: report.tail.offset,
          bytes: report.tail.bytes,
        });
      }
    }
  }
  const live = new Map<number, LiveItem>();
  const batches = new Map<string, BacklogItem[]>();
  const loose: BacklogItem[] = [];
  let nextSeq = 0;
  for (const [key, { at, bytes, ref }] of items) {
    if (settled.has(key)) continue;
    const seq = nextSeq++;
    ref.segment.live++;
    live.set(seq, ref);
    const batchKey = batchOf.get(key);
    const item: BacklogItem = {
      seq,
      addedAt: ref.addedAt,
      path: ref.segment.path,
      at,
      bytes,
      ...(batchKey === undefined ? {} : { batchKey }),
    };
    if (batchKey === undefined) loose.push(item);
    else if (batches.has(batchKey)) batches.get(batchKey)!.push(item);
    else batches.set(batchKey, [item]);
  }
  // Batches in the order of their first item, which is the order they were formed in.
  const backlog = [...batches.values()].sort((a, b) => a[0].seq - b[0].seq).flat();
  backlog.push(...loose);
  return { segments, nextSeq, backlog, live };
}
