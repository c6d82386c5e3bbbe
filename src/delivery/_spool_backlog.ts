// The backlog: what the last process left in the spool, kept at start-up as where each item's
// text is (not the text), and read back in portions as the batcher's queue has room.
import type { SpoolFs } from "../platform/files.ts";
import { spoolErrorFrom } from "./spool_error.ts";
import { itemTextAt, type RecordOrigin } from "./spool_record.ts";

/** An item in the spool. */
export interface SpooledItem {
  readonly seq: number;
  readonly text: string;
  /** When it was first added, ms since the epoch. */
  readonly addedAt: number;
  /** Where it came from, when it was added with an origin. */
  readonly origin?: RecordOrigin;
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
  /** Where it came from, when it was added with an origin. */
  readonly origin?: RecordOrigin;
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
 * The texts of backlog items `from` to `to` (exclusive), with their batch keys. Reads each
 * segment file concerned once, one at a time, so memory holds one file and these texts.
 */
export async function readBacklog(
  fs: SpoolFs,
  backlog: readonly BacklogItem[],
  from: number,
  to: number,
): Promise<(SpooledItem & { batchKey?: string })[]> {
  const slice = backlog.slice(from, to);
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
      bytes = await fs.readFile(path);
    } catch (error) {
      throw spoolErrorFrom(error, "read the spool file", path);
    }
    for (const index of indexes) texts[index] = itemTextAt(bytes, slice[index].at);
  }
  return slice.map(({ seq, addedAt, batchKey, origin }, index) => ({
    seq,
    addedAt,
    text: texts[index],
    ...(batchKey === undefined ? {} : { batchKey }),
    ...(origin === undefined ? {} : { origin }),
  }));
}

/** The whole backlog read back, as batches and loose items (tests and small spools). */
export async function readRecovered(
  fs: SpoolFs,
  backlog: readonly BacklogItem[],
): Promise<Recovered> {
  const items = await readBacklog(fs, backlog, 0, backlog.length);
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
