// What the spool hands its segment writer (`_spool_writer.ts`): records to write, and the one
// object kept for each item being appended, with what settles its append.
import type { RecordOrigin } from "./spool_record.ts";

/** A record handed over to be written. */
export interface Pending {
  /** The record's bytes; for an item, built in the group's buffer from `text` instead. */
  readonly bytes?: Uint8Array;
  /** Bytes of the record. */
  readonly size: number;
  /** The text of an item record. */
  readonly text?: string;
  /** Its UTF-8, when the caller has it already (copied, not encoded again). */
  readonly encoded?: Uint8Array;
  /** Sequence number of an item record. */
  readonly seq?: number;
  readonly addedAt?: number;
  /** Where an item came from, and its source as UTF-8. */
  readonly origin?: RecordOrigin;
  readonly sourceBytes?: Uint8Array;
  /** Called once the record is written (before its fsync). */
  readonly written?: () => void;
  /** Called once the record is fsynced (with an item's sequence number). */
  readonly resolve?: (seq: number) => void;
  readonly reject?: (error: Error) => void;
}

/**
 * An item being appended: the one object the writer keeps for it, its sequence number, time
 * and settlers filled in when it is queued (one allocation per item, of one shape).
 */
export interface NewItem extends Pending {
  readonly text: string;
  readonly encoded: Uint8Array | undefined;
  readonly size: number;
  seq: number;
  addedAt: number;
  resolve: (seq: number) => void;
  reject: (error: Error) => void;
}

const unset = () => {};

/** A {@linkcode NewItem} before it is queued. */
export function newItem(
  text: string,
  encoded: Uint8Array | undefined,
  size: number,
  origin: RecordOrigin | undefined,
  sourceBytes: Uint8Array | undefined,
): NewItem {
  return {
    text,
    encoded,
    size,
    origin,
    sourceBytes,
    seq: 0,
    addedAt: 0,
    resolve: unset,
    reject: unset,
  };
}
