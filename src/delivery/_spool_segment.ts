// What the spool's parts share about its segment files: their names, what the spool knows of
// each, and the live items recorded in them (see `spool.ts` for the whole).

/** Segment files: `segment-<id>-<writer>.log`; without a writer, the first format's. */
export const SEGMENT = /^segment-(\d{12})(?:-([0-9a-f]{16}))?\.log$/;
export const segmentName = (id: number, writer: string) =>
  `segment-${String(id).padStart(12, "0")}-${writer}.log`;
/** Where damaged segment files are moved once their readable records are settled. */
export const DAMAGED_DIR = "damaged";
/** The writer token standing for segments of the first format (no writer in their name). */
export const FIRST_FORMAT = "first-format";
/** Largest segment file before the spool starts a new one. */
export const MAX_SEGMENT_BYTES = 16 * 1024 * 1024;

/** A segment file of the spool. */
export interface Segment {
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

/** An item an earlier process left, live in its segment. */
export interface LiveItem {
  readonly segment: Segment;
  readonly addedAt: number;
  /** The writer whose sequence number `seq` is (this spool's own, or an earlier process's). */
  readonly writer: string;
  readonly seq: number;
}

/** The writer token of a lock's holder: 16 hex digits. */
export function writerOf(token: string): string {
  return token.replaceAll("-", "").slice(0, 16);
}
