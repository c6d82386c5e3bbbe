/**
 * Cutting bytes read from a followed file into lines: complete lines only (a partial last line
 * waits for its newline), offsets counted in bytes (the text may differ in length), a trailing
 * "\r" dropped, lines longer than the limit skipped and reported, invalid UTF-8 decoded with
 * U+FFFD and reported.
 *
 * @module
 */

const NEWLINE = 0x0a;
const RETURN = 0x0d;

/** One complete line of a chunk. */
export interface SplitLine {
  readonly text: string;
  /** Byte offset of the line's start in the file. */
  readonly offset: number;
  /** Byte offset just past its newline. */
  readonly end: number;
  /** Whether the bytes were not valid UTF-8 (the text carries U+FFFD where they were). */
  readonly invalid: boolean;
}

/** A line over the limit, skipped: where it starts and how far we know it goes. */
export interface SkippedLine {
  readonly offset: number;
  /** Its length in bytes with its newline, or the bytes skipped so far when it has none yet. */
  readonly bytes: number;
  /** Whether its newline was seen (else the rest is skipped as it arrives). */
  readonly complete: boolean;
}

/** What a chunk gave. */
export interface SplitResult {
  readonly lines: SplitLine[];
  readonly skipped: SkippedLine[];
  /** The file position after the last byte used (lines, skipped bytes); a partial line stays. */
  readonly next: number;
  /** Whether the file is in the middle of skipping a long line at `next`. */
  readonly skipping: boolean;
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder("utf-8", { ignoreBOM: true });

function decode(bytes: Uint8Array): { text: string; invalid: boolean } {
  try {
    return { text: strict.decode(bytes), invalid: false };
  } catch {
    return { text: lenient.decode(bytes), invalid: true };
  }
}

/**
 * Splits `bytes`, read at file position `start`, into its complete lines. `skipping` says a long
 * line is being skipped at `start` (its rest is dropped up to its newline). A line (without its
 * newline) longer than `maxLineBytes` is skipped; so is a partial line already longer, so that a
 * writer that never ends its line cannot hold the file (the caller must read more than
 * `maxLineBytes` bytes at once to see it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitLines } from "./follow_lines.ts";
 * const result = splitLines(new TextEncoder().encode("a\r\nbb\ncc"), 10, 100, false);
 * assert.deepEqual(result.lines.map((l) => [l.text, l.offset, l.end]), [["a", 10, 13], ["bb", 13, 16]]);
 * assert.equal(result.next, 16); // "cc" waits for its newline
 * ```
 */
export function splitLines(
  bytes: Uint8Array,
  start: number,
  maxLineBytes: number,
  skipping: boolean,
): SplitResult {
  const lines: SplitLine[] = [];
  const skipped: SkippedLine[] = [];
  let at = 0;
  while (at < bytes.length) {
    const newline = bytes.indexOf(NEWLINE, at);
    if (skipping) {
      // The rest of a line already reported: dropped up to its newline, silently.
      if (newline < 0) return { lines, skipped, next: start + bytes.length, skipping: true };
      at = newline + 1;
      skipping = false;
      continue;
    }
    if (newline < 0) {
      const partial = bytes.length - at;
      if (partial <= maxLineBytes) break;
      skipped.push({ offset: start + at, bytes: partial, complete: false });
      return { lines, skipped, next: start + bytes.length, skipping: true };
    }
    let stop = newline;
    if (stop > at && bytes[stop - 1] === RETURN) stop--;
    if (stop - at > maxLineBytes) {
      skipped.push({ offset: start + at, bytes: newline + 1 - at, complete: true });
    } else {
      const { text, invalid } = decode(bytes.subarray(at, stop));
      lines.push({ text, offset: start + at, end: start + newline + 1, invalid });
    }
    at = newline + 1;
  }
  return { lines, skipped, next: start + at, skipping };
}

/**
 * Where following from the end starts, given the file's last bytes `tail` (read at `tailStart`)
 * and its `size`: just after the last newline, so a line being written is shipped whole; at 0
 * when the file has no newline and `tail` is all of it; else at `size`, skipping the rest of
 * the line in progress (`skipping`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { endStart } from "./follow_lines.ts";
 * assert.deepEqual(endStart(new TextEncoder().encode("a\nb"), 0, 3), { position: 2, skipping: false });
 * assert.deepEqual(endStart(new TextEncoder().encode("abc"), 0, 3), { position: 0, skipping: false });
 * assert.deepEqual(endStart(new TextEncoder().encode("abc"), 5, 8), { position: 8, skipping: true });
 * ```
 */
export function endStart(
  tail: Uint8Array,
  tailStart: number,
  size: number,
): { position: number; skipping: boolean } {
  const newline = tail.lastIndexOf(NEWLINE);
  if (newline >= 0) return { position: tailStart + newline + 1, skipping: false };
  if (tailStart === 0) return { position: 0, skipping: false };
  return { position: size, skipping: true };
}
