// The spool's segment writing: records handed over are written in groups, one write each, to
// the active segment file, and each group of items is fsynced before their appends resolve (group
// commit: items that arrive while a write is under way share the next fsync; at most two fsyncs
// in flight, pipelined). Bookkeeping records (batch keys, settled items) need no fsync of their
// own. Segments start with a header (fsynced under a temporary name first) and end with a footer.
import type { AppendFile, SpoolFs } from "../platform/files.ts";
import type { Logger } from "../logger.ts";
import type { SpoolLock } from "./spool_lock.ts";
import { spoolErrorFrom, type VectorVueSpoolError } from "./spool_error.ts";
import { encodeRecord, type PreviousSegment, writeItemRecords } from "./spool_record.ts";
import type { SegmentSpace, SpoolLedger } from "./_spool_accounting.ts";
import type { Pending } from "./_spool_pending.ts";
import { type Segment, segmentName } from "./_spool_segment.ts";

/** The largest group buffer kept for the next group (a larger group is a rare burst of adds). */
const MAX_REUSED_GROUP_BYTES = 4 * 1024 * 1024;

/** What the writer works with. */
export interface SegmentWriterOptions {
  readonly fs: SpoolFs;
  readonly dir: string;
  readonly logger: Logger;
  readonly lock: SpoolLock;
  /** This spool's writer token, in its segment names and headers. */
  readonly writer: string;
  /** Segment size before a new file is started. */
  readonly segmentBytes: number;
  /** The id of the next segment file. */
  readonly nextSegmentId: number;
  readonly space: SegmentSpace;
  readonly ledger: SpoolLedger;
}

/** See the file comment. */
export class SegmentWriter {
  readonly #fs: SpoolFs;
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #lock: SpoolLock;
  readonly #writer: string;
  readonly #segmentBytes: number;
  readonly #space: SegmentSpace;
  readonly #ledger: SpoolLedger;
  /** The segment this writer closed last, named in the next one's header. */
  #previous: PreviousSegment | undefined;
  #nextSegmentId: number;
  #active: { segment: Segment; file: AppendFile } | undefined;
  /** A write or fsync of the active segment failed: the next group starts a new one. */
  #activeBroken = false;
  /** Records handed over and not written yet. */
  #pending: Pending[] = [];
  /** The group buffer reused from one write to the next. */
  #reused = new Uint8Array(0);
  /** Fsyncs in flight, and the last one started (each group settles after the one before). */
  readonly #syncs = new Set<Promise<void>>();
  #lastSync: Promise<void> = Promise.resolve();
  /** The commit loop, while it runs. */
  #committing: Promise<void> | undefined;
  /** Wakes the commit loop waiting on an fsync when a bookkeeping record is handed over. */
  #bookkeepingArrived: (() => void) | undefined;
  /** Close the active segment once nothing is live (its file can then be deleted). */
  #wantRotate = false;

  constructor(options: SegmentWriterOptions) {
    this.#fs = options.fs;
    this.#dir = options.dir;
    this.#logger = options.logger;
    this.#lock = options.lock;
    this.#writer = options.writer;
    this.#segmentBytes = options.segmentBytes;
    this.#nextSegmentId = options.nextSegmentId;
    this.#space = options.space;
    this.#ledger = options.ledger;
  }

  /** The segment being written to, if any. */
  get activeSegment(): Segment | undefined {
    return this.#active?.segment;
  }

  /** Hands an item record over; it is written with the next group. */
  submitItem(record: Pending): void {
    this.#pending.push(record);
    this.kick();
  }

  /** Hands a bookkeeping record over; it is written at once, even while fsyncs are in flight. */
  submitBookkeeping(record: Pending): void {
    this.#pending.push(record);
    this.#bookkeepingArrived?.();
    this.kick();
  }

  /**
   * Hands a record over that nothing waits for (items settled): written with the next write
   * (the next group of items, or a batch record), or at once when the writer is idle, rather than
   * by a write of its own while fsyncs are in flight: a write call costs the event loop more than
   * the bytes it adds to another one.
   */
  submitLazy(record: Pending): void {
    this.#pending.push(record);
    this.kick();
  }

  /** Asks for the active segment to be closed once nothing is live or pending. */
  requestRotate(): void {
    this.#wantRotate = true;
  }

  /** Starts the commit loop, unless it runs (it takes what arrives meanwhile). */
  kick(): void {
    if (this.#committing !== undefined) return;
    this.#committing = Promise.resolve().then(() => this.#commitLoop());
  }

  /** Resolves once everything handed over is written and the commit loop has ended. */
  async drain(): Promise<void> {
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
            // Two fsyncs in flight: items wait for the next group, but a batch key its send
            // waits for is written now (with the settled records pending, which wait otherwise).
            if (this.#pending.some((record) => record.written !== undefined)) {
              const bookkeeping = this.#pending.filter((record) => record.text === undefined);
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
        await this.rotateAndReclaim();
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
  /** A buffer of `size` bytes for one group: the reused one when it fits in its bound. */
  #groupBuffer(size: number): Uint8Array {
    if (size > MAX_REUSED_GROUP_BYTES) return new Uint8Array(size);
    if (this.#reused.byteLength < size) {
      const grown = Math.max(size, 2 * this.#reused.byteLength);
      this.#reused = new Uint8Array(Math.min(MAX_REUSED_GROUP_BYTES, grown));
    }
    return this.#reused.subarray(0, size);
  }

  async #write(group: Pending[]): Promise<void> {
    let size = 0;
    for (const record of group) size += record.size;
    // One buffer for the group; item records are built in it directly (no buffer per item). It
    // is reused by the next group once written (writes are one at a time), so a steady stream of
    // groups leaves no garbage outside the heap; an unusually large group gets its own.
    const bytes = this.#groupBuffer(size);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
          this.#ledger.addOwnGroup(group, active.segment);
          for (const record of group) record.resolve?.(record.seq!);
        },
        (error) => this.#failed(group, spoolErrorFrom(error, "fsync the spool file", path)),
      ).finally(() => this.#syncs.delete(done));
      this.#syncs.add(done);
      this.#lastSync = done;
    } catch (error) {
      this.#failed(group, spoolErrorFrom(error, "write the spool file", path));
      if (!counted) {
        this.#space.count(-size);
        this.#space.wakeSpaceWaiters();
      }
    }
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
    await this.closeActive();
    // Fencing: a segment is started only while the lock is still ours.
    await this.#lock.verify();
    const id = this.#nextSegmentId++;
    const name = segmentName(id, this.#writer);
    const path = `${this.#dir}/${name}`;
    // The header is fsynced under a temporary name first, so a segment file without one (an
    // empty file, say) is always damage, never a crash between creating and writing it. It
    // carries the durable positions of the sources (every group before it is fsynced: see
    // closeActive), so that they outlive the segments their items were in.
    const temporary = `${path}.tmp`;
    const header = encodeRecord({
      kind: "header",
      writer: this.#writer,
      segment: id,
      prev: this.#previous,
      origins: this.#ledger.origins.pairs(),
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
    this.#space.count(header.length);
    const segment: Segment = {
      id,
      name,
      path,
      bytes: header.length,
      live: 0,
      records: 1,
      damaged: false,
    };
    this.#space.segments.push(segment);
    this.#activeBroken = false;
    this.#active = { segment, file };
    return this.#active;
  }

  /** Closes the active segment; a complete one gets a footer saying how many records it holds. */
  async closeActive(): Promise<void> {
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
        this.#space.count(footer.length);
      } catch {
        this.#activeBroken = true;
      }
    }
    await file.close().catch(() => {});
  }

  /**
   * Closes the active segment and starts a new one (its header holds the positions of the
   * sources), best effort: on a full disk the last segment stays, holding them as well.
   */
  async startSegment(): Promise<void> {
    await this.closeActive();
    await this.#activeFor(0).catch(() => {});
  }

  /**
   * Closes the active segment when asked to, and deletes what is settled; with origins, the
   * newest segment stays (it holds the latest position of each source, with its header).
   */
  async rotateAndReclaim(): Promise<void> {
    if (this.#wantRotate) {
      this.#wantRotate = false;
      if (this.#ledger.liveCount === 0 && this.#pending.length === 0) await this.closeActive();
    }
    await this.#space.reclaim(() => this.#active?.segment, this.#ledger.origins.size > 0);
  }
}
