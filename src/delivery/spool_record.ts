// The spool's on-disk record format, and the scan that reads a segment back.
//
// A segment file is a sequence of records, appended and never rewritten:
//
//   offset 0   4 bytes  magic FF 56 56 53 ("\xFFVVS"; 0xFF never occurs in UTF-8 text)
//   offset 4   u32 LE   body length N
//   offset 8   u32 LE   CRC-32 of bytes 4..8 (the length) and of the body
//   offset 12  N bytes  body: u8 kind, then
//                kind 1 item:    u32 LE seq low, u32 LE seq high, f64 LE time added (ms since
//                                the epoch), the item's JSON text (UTF-8)
//                kind 8 item with its origin: as kind 1, then f64 LE position, u16 LE source
//                                length L (1..4096), L bytes source (UTF-8), then the JSON text
//                kind 4 header:  JSON {"writer": token, "segment": id, "prev": {"name", "records"},
//                                "origins": [[source, position], ...]}: the first record of every
//                                segment; names the writer whose sequence numbers the segment's
//                                items use, what the writer's previous segment held (so a cut one
//                                is counted), and (when any) the latest durable position of each
//                                of the most recent 4,096 sources, oldest first, so that positions
//                                outlive the segments their items were in
//                kind 5 batch:   JSON {"key": idempotency key, "refs": {writer: [[first, last], ...]}}
//                kind 6 settled: JSON {writer: [[first, last], ...]}: items the server answered
//                                for or that were dead-lettered
//                kind 7 footer:  JSON {"records": n}: the segment is complete and holds n records
//                                before this one (its header included)
//                kind 2, 3:      the batch and settled records of the first format (no writer:
//                                the sequence numbers are the segment's writer's)
//
// An item is named by its writer and sequence number, so the records of two writers can never
// be mistaken for one another.
//
// The magic lets a scan find the next record after a damaged one; the checksum (over the
// length too) tells a record from a torn write or flipped bits.
import {
  checksum,
  decodeItem,
  encodeItem,
  HEADER_BYTES,
  isPosition,
  ITEM,
  MAGIC,
  ORIGIN_ITEM,
  type RecordOrigin,
} from "./_spool_item_record.ts";

export {
  HEADER_BYTES,
  itemRecordBytes,
  itemTextAt,
  itemTextRange,
  MAGIC,
  MAX_SOURCE_BYTES,
  type RecordOrigin,
  writeItemRecords,
} from "./_spool_item_record.ts";
/** Largest body a scan accepts; anything longer is damage (a flipped bit in the length). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;

const OLD_BATCH = 2;
const OLD_SETTLED = 3;
const HEADER = 4;
const BATCH = 5;
const SETTLED = 6;
const FOOTER = 7;

/**
 * Sequence numbers by writer token (sorted ascending within each). The empty token stands for
 * the writer of the segment the record is in (records of the first format).
 */
export type Refs = ReadonlyMap<string, readonly number[]>;

/** What a header says of the writer's previous segment. */
export interface PreviousSegment {
  readonly name: string;
  readonly records: number;
}

/** One record of a segment. */
export type SpoolRecord =
  | {
    readonly kind: "item";
    readonly seq: number;
    readonly addedAt: number;
    readonly text: string;
    /** Where the item came from (kind 8); absent for kind 1. */
    readonly origin?: RecordOrigin;
  }
  | {
    readonly kind: "header";
    readonly writer: string;
    readonly segment: number;
    readonly prev?: PreviousSegment;
    /** The latest position of each source, oldest first (see the format above). */
    readonly origins?: readonly (readonly [string, number])[];
  }
  | { readonly kind: "batch"; readonly key: string; readonly refs: Refs }
  | { readonly kind: "settled"; readonly refs: Refs }
  | { readonly kind: "footer"; readonly records: number };

/** A stretch of a segment that holds no valid record. */
export interface Damage {
  /** Byte offset where the damage starts. */
  readonly offset: number;
  /** Bytes skipped. */
  readonly length: number;
  /** Whether it runs to the end of the file (a torn tail) rather than up to a valid record. */
  readonly tail: boolean;
}

/** What a scan of one segment found. */
export interface ScanResult {
  readonly records: SpoolRecord[];
  /** Where each record starts in the file, for reading an item's text later. */
  readonly offsets: number[];
  readonly damage: Damage[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Sorted sequence numbers as inclusive ranges: `[1, 2, 3, 7]` → `[[1, 3], [7, 7]]`. */
export function toRanges(seqs: readonly number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const seq of seqs) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && seq === last[1] + 1) last[1] = seq;
    else ranges.push([seq, seq]);
  }
  return ranges;
}

/** The inverse of {@linkcode toRanges}; throws on anything that is not a list of ranges. */
export function fromRanges(ranges: unknown): number[] {
  if (!Array.isArray(ranges)) throw new TypeError("ranges must be an array");
  const seqs: number[] = [];
  for (const range of ranges) {
    const [first, last] = Array.isArray(range) ? range : [];
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) {
      throw new TypeError(`bad range ${JSON.stringify(range)}`);
    }
    for (let seq = first; seq <= last; seq++) seqs.push(seq);
  }
  return seqs;
}

function frame(body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(HEADER_BYTES + body.length);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, body.length, true);
  bytes.set(body, HEADER_BYTES);
  view.setUint32(8, checksum(bytes, 0, body.length), true);
  return bytes;
}

/** The bytes of one record. */
export function encodeRecord(record: SpoolRecord): Uint8Array {
  if (record.kind === "item") return encodeItem(record);
  let kind: number;
  let json: string;
  switch (record.kind) {
    case "header":
      kind = HEADER;
      json = JSON.stringify({
        writer: record.writer,
        segment: record.segment,
        prev: record.prev,
        origins: record.origins?.length ? record.origins : undefined,
      });
      break;
    case "batch":
      kind = BATCH;
      json = JSON.stringify({ key: record.key, refs: refsJson(record.refs) });
      break;
    case "settled":
      kind = SETTLED;
      json = JSON.stringify(refsJson(record.refs));
      break;
    default:
      kind = FOOTER;
      json = JSON.stringify({ records: record.records });
  }
  const text = encoder.encode(json);
  const body = new Uint8Array(1 + text.length);
  body[0] = kind;
  body.set(text, 1);
  return frame(body);
}

function refsJson(refs: Refs): Record<string, [number, number][]> {
  const json: Record<string, [number, number][]> = {};
  for (const [writer, seqs] of refs) json[writer] = toRanges(seqs);
  return json;
}

function refsFrom(json: unknown): Refs {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new TypeError("refs must be an object");
  }
  return new Map(Object.entries(json).map(([writer, ranges]) => [writer, fromRanges(ranges)]));
}

function decodeBody(body: Uint8Array, texts: boolean): SpoolRecord {
  switch (body[0]) {
    case ITEM:
    case ORIGIN_ITEM:
      return decodeItem(body, texts);
    case OLD_BATCH: {
      const parsed = JSON.parse(decoder.decode(body.subarray(1)));
      if (typeof parsed?.key !== "string") throw new TypeError("batch record without key");
      return { kind: "batch", key: parsed.key, refs: new Map([["", fromRanges(parsed.seqs)]]) };
    }
    case OLD_SETTLED: {
      const seqs = fromRanges(JSON.parse(decoder.decode(body.subarray(1))));
      return { kind: "settled", refs: new Map([["", seqs]]) };
    }
    case HEADER: {
      const parsed = JSON.parse(decoder.decode(body.subarray(1)));
      if (typeof parsed?.writer !== "string" || !Number.isSafeInteger(parsed.segment)) {
        throw new TypeError("bad header record");
      }
      const prev = parsed.prev;
      const valid = prev === undefined ||
        (typeof prev?.name === "string" && Number.isSafeInteger(prev.records));
      if (!valid) throw new TypeError("bad header record");
      const origins = originsFrom(parsed.origins);
      const { writer, segment } = parsed;
      return {
        kind: "header",
        writer,
        segment,
        prev,
        ...(origins === undefined ? {} : { origins }),
      };
    }
    case BATCH: {
      const parsed = JSON.parse(decoder.decode(body.subarray(1)));
      if (typeof parsed?.key !== "string") throw new TypeError("batch record without key");
      return { kind: "batch", key: parsed.key, refs: refsFrom(parsed.refs) };
    }
    case SETTLED:
      return { kind: "settled", refs: refsFrom(JSON.parse(decoder.decode(body.subarray(1)))) };
    case FOOTER: {
      const records = JSON.parse(decoder.decode(body.subarray(1)))?.records;
      if (!Number.isSafeInteger(records)) throw new TypeError("bad footer record");
      return { kind: "footer", records };
    }
    default:
      throw new TypeError(`unknown record kind ${body[0]}`);
  }
}

/** A header's origins: `[[source, position], ...]`, or absent (segments before origins). */
function originsFrom(json: unknown): [string, number][] | undefined {
  if (json === undefined) return undefined;
  const valid = Array.isArray(json) &&
    json.every((pair) =>
      Array.isArray(pair) && typeof pair[0] === "string" && pair[0] !== "" && isPosition(pair[1])
    );
  if (!valid) throw new TypeError("bad origins in a header record");
  return json;
}

/** The record at `offset` with its size, or `undefined` when none starts there. */
function recordAt(
  bytes: Uint8Array,
  offset: number,
  texts = true,
): { record: SpoolRecord; size: number } | undefined {
  if (offset + HEADER_BYTES > bytes.length) return undefined;
  for (let i = 0; i < MAGIC.length; i++) if (bytes[offset + i] !== MAGIC[i]) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(offset + 4, true);
  if (length < 1 || length > MAX_BODY_BYTES || offset + HEADER_BYTES + length > bytes.length) {
    return undefined;
  }
  if (view.getUint32(offset + 8, true) !== checksum(bytes, offset, length)) return undefined;
  try {
    const body = bytes.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
    return { record: decodeBody(body, texts), size: HEADER_BYTES + length };
  } catch {
    return undefined;
  }
}

/**
 * Reads every valid record of a segment (item texts left empty with `texts: false`, for a scan
 * that only needs to know what is there). A damaged stretch (torn write, flipped bits, zeros from
 * a crash) is skipped up to the next valid record and reported once, so nothing written before
 * or after it is lost.
 */
export function scanSegment(bytes: Uint8Array, options: { texts?: boolean } = {}): ScanResult {
  const records: SpoolRecord[] = [];
  const offsets: number[] = [];
  const damage: Damage[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const found = recordAt(bytes, offset, options.texts ?? true);
    if (found !== undefined) {
      records.push(found.record);
      offsets.push(offset);
      offset += found.size;
      continue;
    }
    let next = offset + 1;
    for (;; next++) {
      next = bytes.indexOf(MAGIC[0], next);
      if (next < 0 || recordAt(bytes, next) !== undefined) break;
    }
    const end = next < 0 ? bytes.length : next;
    damage.push({ offset, length: end - offset, tail: next < 0 });
    offset = end;
  }
  return { records, offsets, damage };
}
