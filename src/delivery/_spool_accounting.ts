// The spool's accounting: which items are live (an earlier process's, one entry each; this
// spool's own, by group commit), and the segment files with the bytes they take, deleted (or,
// damaged, set aside) oldest first once nothing in them is live, which is how disk is reclaimed.
import type { SpoolFs } from "../platform/files.ts";
import type { Logger } from "../logger.ts";
import { spoolErrorFrom } from "./spool_error.ts";
import type { Refs } from "./spool_record.ts";
import { DAMAGED_DIR, type LiveItem, type Segment } from "./_spool_segment.ts";
import { OriginMap } from "./_origins.ts";
import type { RecordOrigin } from "./spool_record.ts";

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

/** What the ledger needs of a record fsynced: an own item's sequence number and time added. */
export interface WrittenItem {
  readonly seq?: number;
  readonly addedAt?: number;
  readonly origin?: RecordOrigin;
}

/** Which items are live, and where: see the file comment. */
export class SpoolLedger {
  /** This spool's writer token, in records naming its items. */
  readonly #writer: string;
  /** Items an earlier process left, not settled, in the order they were added (oldest first). */
  readonly #live: Map<number, LiveItem>;
  /** Sequence numbers from here on are this spool's own items (below: recovered ones). */
  readonly #ownBase: number;
  /** Groups of own items, oldest first, from `#ownHead` on (earlier ones are settled). */
  #ownGroups: OwnGroup[] = [];
  #ownHead = 0;
  /** Own items live. */
  #ownLive = 0;
  /** Per source, the position of the last item fsynced (recovered ones first). */
  readonly origins: OriginMap;

  constructor(
    writer: string,
    recovered: Map<number, LiveItem>,
    ownBase: number,
    origins: OriginMap = new OriginMap(),
  ) {
    this.#writer = writer;
    this.#live = recovered;
    this.#ownBase = ownBase;
    this.origins = origins;
  }

  /** Items live on disk. */
  get liveCount(): number {
    return this.#live.size + this.#ownLive;
  }

  /** When the oldest live item was added (ms since the epoch), if any. */
  oldestAddedAt(): number | undefined {
    // Recovered items are older than any of our own.
    let oldest = this.#live.values().next().value?.addedAt;
    if (oldest === undefined && this.#ownLive > 0) {
      const group = this.#ownGroups[this.#ownHead];
      oldest = group.addedAt[group.live.indexOf(1)];
    }
    return oldest;
  }

  /** The items of a group just fsynced become live (groups complete in sequence order). */
  addOwnGroup(group: readonly WrittenItem[], segment: Segment): void {
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
      // Durable now: groups complete in sequence order, so the last one set is the latest.
      if (record.origin !== undefined) {
        this.origins.set(record.origin.source, record.origin.position);
      }
    }
    segment.live += own.count;
    this.#ownLive += own.count;
    this.#ownGroups.push(own);
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
  refs(seqs: readonly number[], settle: boolean): Refs {
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
}

/** The segment files and the bytes they take: see the file comment. */
export class SegmentSpace {
  readonly #fs: SpoolFs;
  readonly #dir: string;
  readonly #logger: Logger;
  /** The segment files, oldest first. */
  readonly segments: Segment[];
  /** Bytes of the segment files plus bytes reserved by records waiting to be written. */
  #bytes: number;
  /** Appends waiting for space, woken when files are deleted (or the spool refuses them). */
  #spaceWaiters: (() => void)[] = [];

  constructor(fs: SpoolFs, dir: string, logger: Logger, segments: Segment[]) {
    this.#fs = fs;
    this.#dir = dir;
    this.#logger = logger;
    this.segments = segments;
    this.#bytes = segments.reduce((sum, segment) => sum + segment.bytes, 0);
  }

  /** Bytes taken and reserved. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Counts `bytes` more (reserved, or written); negative to give them back. */
  count(bytes: number): void {
    this.#bytes += bytes;
  }

  /** Bytes of the segment files. */
  fileBytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.bytes, 0);
  }

  /** Whether an append waits for space. */
  get someoneWaits(): boolean {
    return this.#spaceWaiters.length > 0;
  }

  /** Resolves when space may have been freed (or appends are refused). */
  spaceFreed(): Promise<void> {
    return new Promise<void>((resolve) => this.#spaceWaiters.push(resolve));
  }

  /** Wakes every append waiting for space, to look again. */
  wakeSpaceWaiters(): void {
    for (const wake of this.#spaceWaiters.splice(0)) wake();
  }

  /**
   * Deletes segments from the oldest while nothing in them is live; never the active one, nor
   * with `keepNewest` the newest (which holds the positions of the sources).
   */
  async reclaim(active: () => Segment | undefined, keepNewest = false): Promise<void> {
    let removed = false;
    while (this.segments.length > 0) {
      const head = this.segments[0];
      if (head.live > 0 || head === active()) break;
      if (keepNewest && this.segments.length === 1) break;
      try {
        if (head.damaged) await this.#setAside(head);
        else await this.#fs.remove(head.path);
      } catch (error) {
        this.#logger.error("vectorvue spool could not delete a settled file", {
          error: spoolErrorFrom(error, "delete", head.path).message,
        });
        break;
      }
      this.segments.shift();
      this.#bytes -= head.bytes;
      removed = true;
    }
    if (!removed) return;
    await this.#fs.syncDir(this.#dir).catch(() => {});
    this.wakeSpaceWaiters();
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
}
