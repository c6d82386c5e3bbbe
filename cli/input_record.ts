/**
 * One record of the input (an item, or why a line or array element is not one) and what the
 * NDJSON and JSON array readers share: classifying a record's bytes and collecting them across
 * chunks within {@linkcode MAX_RECORD_BYTES}.
 *
 * @module
 */

/** How the input is laid out. */
export type InputFormat = "ndjson" | "array";

/** One item read, or one that could not be. */
export interface InputRecord {
  /** 1-based line of the item's first byte. */
  readonly line: number;
  /** Byte offset just after this record: a resumed run starts here. */
  readonly endOffset: number;
  /** The item, when the record is a JSON object. */
  readonly item?: Record<string, unknown>;
  /** Why the record is not an item: `invalid_json`, `not_an_object`, ... */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  /** The record's text when it is not an item (cut to 64 KiB), for the dead-letter file. */
  readonly raw?: string;
}

/** Where reading starts: the beginning, or a resumed run's saved position. */
export interface ReadPosition {
  readonly offset: number;
  readonly line: number;
  /** Known when resuming; otherwise taken from the first non-blank byte. */
  readonly format?: InputFormat;
}

/** The key marking a dead-letter record; `send` takes its `item` again. */
export const DEAD_LETTER_KEY = "vectorvue_dead_letter";

/** Longest record read; a longer one is reported and skipped without holding it. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const RAW_LIMIT = 64 * 1024;

const decoder = new TextDecoder("utf-8", { fatal: true });

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function clip(text: string): string {
  return text.length > RAW_LIMIT ? `${text.slice(0, RAW_LIMIT)}…` : text;
}

/** What one record's bytes hold. */
export function classify(
  bytes: Uint8Array,
  line: number,
  endOffset: number,
): InputRecord {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return {
      line,
      endOffset,
      errorCode: "invalid_utf8",
      errorMessage: "the line is not valid UTF-8",
      raw: clip(new TextDecoder().decode(bytes)),
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      line,
      endOffset,
      errorCode: "invalid_json",
      errorMessage: `not JSON: ${(error as Error).message}`,
      raw: clip(text.trim()),
    };
  }
  if (!isRecord(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    return {
      line,
      endOffset,
      errorCode: "not_an_object",
      errorMessage: `not a JSON object but ${kind}`,
      raw: clip(text.trim()),
    };
  }
  if (DEAD_LETTER_KEY in value) {
    // A dead-letter record sent again: its fixed `item` is what goes to the server.
    if (isRecord(value.item)) return { line, endOffset, item: value.item };
    return {
      line,
      endOffset,
      errorCode: "unfixed_dead_letter",
      errorMessage: "a dead-letter record without an `item` object: put the fixed item there",
      raw: clip(text.trim()),
    };
  }
  return { line, endOffset, item: value };
}

/** `parts` joined into one array of `length` bytes. */
export function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

/** Whether `bytes` are only JSON whitespace. */
export function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) return false;
  }
  return true;
}

/**
 * Collects one record's bytes across chunks, forgetting them past {@linkcode MAX_RECORD_BYTES}.
 * A record inside one chunk is read from the chunk itself; only the part of a record that is
 * carried over to the next chunk is copied (many small copies fragment Node's native heap).
 */
export class RecordBuffer {
  parts: Uint8Array[] = [];
  length = 0;
  tooLong = false;
  add(bytes: Uint8Array): void {
    if (this.tooLong || bytes.length === 0) return;
    if (this.length + bytes.length > MAX_RECORD_BYTES) {
      this.tooLong = true;
      this.parts = [];
      return;
    }
    this.parts.push(bytes);
    this.length += bytes.length;
  }
  take(): Uint8Array {
    const bytes = concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    return bytes;
  }
  reset(): void {
    this.parts = [];
    this.length = 0;
    this.tooLong = false;
  }
}

/** The record for one over {@linkcode MAX_RECORD_BYTES}. */
export function tooLong(line: number, endOffset: number): InputRecord {
  return {
    line,
    endOffset,
    errorCode: "record_too_large",
    errorMessage: `longer than ${MAX_RECORD_BYTES} bytes`,
    raw: "",
  };
}

/** Whether `byte` is JSON whitespace. */
export function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}
