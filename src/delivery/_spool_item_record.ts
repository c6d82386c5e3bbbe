// The spool's item records (see `spool_record.ts` for the whole format): their frame, and the
// two kinds of item, with and without an origin (the source the item came from and the position
// just past it there, for `vectorvue ship`). Built in place, a whole group in one buffer.
import { crc32 } from "./crc32.ts";

/** First bytes of every record. */
export const MAGIC = new Uint8Array([0xff, 0x56, 0x56, 0x53]);
/** Bytes before a record's body. */
export const HEADER_BYTES = 12;

/** Record kinds of items. */
export const ITEM = 1;
export const ORIGIN_ITEM = 8;
/** Bytes of an item body before its text: kind, seq low, seq high, time added. */
const ITEM_FIXED = 17;
/** More for an origin: position (f64), source length (u16); the source's bytes follow. */
const ORIGIN_FIXED = 10;
/** Longest source in UTF-8 bytes (Linux's PATH_MAX); a u16 holds it. */
export const MAX_SOURCE_BYTES = 4096;

/** Where an item came from: a source and the position just past the item in it. */
export interface RecordOrigin {
  readonly source: string;
  readonly position: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** CRC-32 over the length field and the body of the record at `offset`. */
export function checksum(bytes: Uint8Array, offset: number, length: number): number {
  const body = offset + HEADER_BYTES;
  return crc32(bytes, crc32(bytes, 0, offset + 4, offset + 8), body, body + length);
}

/**
 * Bytes an item record takes on disk, given the UTF-8 length of its text and, with an origin,
 * of its source.
 */
export function itemRecordBytes(textBytes: number, sourceBytes?: number): number {
  const origin = sourceBytes === undefined ? 0 : ORIGIN_FIXED + sourceBytes;
  return HEADER_BYTES + ITEM_FIXED + origin + textBytes;
}

/** Where an item record's text is, given where the record starts (either kind). */
export function itemTextRange(bytes: Uint8Array, offset: number): [start: number, end: number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const body = offset + HEADER_BYTES;
  const end = body + view.getUint32(offset + 4, true);
  if (bytes[body] !== ORIGIN_ITEM) return [body + ITEM_FIXED, end];
  const sourceBytes = view.getUint16(body + ITEM_FIXED + 8, true);
  return [body + ITEM_FIXED + ORIGIN_FIXED + sourceBytes, end];
}

/** The text of the item record at `offset` (one that a scan found valid). */
export function itemTextAt(bytes: Uint8Array, offset: number): string {
  const [start, end] = itemTextRange(bytes, offset);
  return decoder.decode(bytes.subarray(start, end));
}

/** An item to write with {@linkcode writeItemRecords}. */
export interface ItemToWrite {
  /** Bytes of its record ({@linkcode itemRecordBytes}). */
  readonly size: number;
  readonly seq?: number;
  readonly addedAt?: number;
  readonly text?: string;
  /** The text's UTF-8, when the caller has it (copied instead of encoded). */
  readonly encoded?: Uint8Array;
  readonly origin?: RecordOrigin;
  /** The origin's source as UTF-8 (given with `origin`). */
  readonly sourceBytes?: Uint8Array;
}

/**
 * Writes consecutive item records into `target` from `offset`. An item's text given as UTF-8
 * (`encoded`) is copied; the others are encoded together, with one encoding for all of them, at
 * the end of the run, then each is moved down into place after its header (encoding costs most
 * per call).
 */
export function writeItemRecords(
  target: Uint8Array,
  view: DataView,
  offset: number,
  items: readonly ItemToWrite[],
): void {
  let end = offset;
  let texts = "";
  let textBytes = 0;
  for (const item of items) {
    end += item.size;
    if (item.encoded !== undefined) continue;
    texts += item.text!;
    textBytes += item.size - prefixBytes(item);
  }
  if (textBytes > 0) {
    // encode() and one copy: Node's encodeInto() is several times slower on a long string.
    const encoded = encoder.encode(texts);
    if (encoded.length !== textBytes) {
      throw new RangeError("the items' UTF-8 length is not the one their records were sized for");
    }
    target.set(encoded, end - textBytes);
  }
  let from = end - textBytes;
  let at = offset;
  for (const item of items) {
    const prefix = prefixBytes(item);
    const length = item.size - prefix;
    if (item.encoded === undefined) {
      target.copyWithin(at + prefix, from, from + length);
      from += length;
    } else if (item.encoded.length === length) {
      target.set(item.encoded, at + prefix);
    } else {
      throw new RangeError("an item's UTF-8 length is not the one its record was sized for");
    }
    writeItemPrefix(target, view, at, item);
    view.setUint32(at + 8, checksum(target, at, item.size - HEADER_BYTES), true);
    at += item.size;
  }
}

/** Bytes of an item record before its text. */
function prefixBytes(item: ItemToWrite): number {
  const origin = item.origin === undefined ? 0 : ORIGIN_FIXED + item.sourceBytes!.length;
  return HEADER_BYTES + ITEM_FIXED + origin;
}

/** Everything of an item record but its text and checksum. */
function writeItemPrefix(target: Uint8Array, view: DataView, at: number, item: ItemToWrite) {
  target.set(MAGIC, at);
  view.setUint32(at + 4, item.size - HEADER_BYTES, true);
  const body = at + HEADER_BYTES;
  target[body] = item.origin === undefined ? ITEM : ORIGIN_ITEM;
  view.setUint32(body + 1, item.seq! % 0x1_0000_0000, true);
  view.setUint32(body + 5, Math.floor(item.seq! / 0x1_0000_0000), true);
  view.setFloat64(body + 9, item.addedAt!, true);
  if (item.origin === undefined) return;
  view.setFloat64(body + ITEM_FIXED, item.origin.position, true);
  view.setUint16(body + ITEM_FIXED + 8, item.sourceBytes!.length, true);
  target.set(item.sourceBytes!, body + ITEM_FIXED + ORIGIN_FIXED);
}

/** The bytes of one item record. */
export function encodeItem(
  item: { seq: number; addedAt: number; text: string; origin?: RecordOrigin },
): Uint8Array {
  const sourceBytes = item.origin === undefined ? undefined : encoder.encode(item.origin.source);
  const size = itemRecordBytes(encoder.encode(item.text).length, sourceBytes?.length);
  const bytes = new Uint8Array(size);
  writeItemRecords(bytes, new DataView(bytes.buffer), 0, [{ ...item, size, sourceBytes }]);
  return bytes;
}

/** An item record's body read back (its text left empty unless `texts`). */
export function decodeItem(
  body: Uint8Array,
  texts: boolean,
): { kind: "item"; seq: number; addedAt: number; text: string; origin?: RecordOrigin } {
  if (body.length < ITEM_FIXED) throw new TypeError("short item record");
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const seq = view.getUint32(1, true) + view.getUint32(5, true) * 0x1_0000_0000;
  const addedAt = view.getFloat64(9, true);
  if (body[0] !== ORIGIN_ITEM) {
    const text = texts ? decoder.decode(body.subarray(ITEM_FIXED)) : "";
    return { kind: "item", seq, addedAt, text };
  }
  if (body.length < ITEM_FIXED + ORIGIN_FIXED) throw new TypeError("short item record");
  const position = view.getFloat64(ITEM_FIXED, true);
  const sourceBytes = view.getUint16(ITEM_FIXED + 8, true);
  const textAt = ITEM_FIXED + ORIGIN_FIXED + sourceBytes;
  if (body.length < textAt || sourceBytes === 0 || !isPosition(position)) {
    throw new TypeError("bad item origin");
  }
  const source = decoder.decode(body.subarray(ITEM_FIXED + ORIGIN_FIXED, textAt));
  const text = texts ? decoder.decode(body.subarray(textAt)) : "";
  return { kind: "item", seq, addedAt, text, origin: { source, position } };
}

/** Whether `value` can be a position: a whole number, 0 or more. */
export function isPosition(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
