/**
 * One followed file: its identity as opened, the handle it is read through (so a renamed or
 * deleted file is finished by its handle, whatever its name now holds), where we are in it.
 *
 * @module
 */
import type { FileStat, ReadHandle } from "../src/platform/command_line.ts";
import { headHash, parseSource, readHeadOf } from "./file_identity.ts";
import { LagClock } from "./follow_lag.ts";
import { splitLines, type SplitResult } from "./follow_lines.ts";

/** Bytes read at once; more only when a line is longer (up to `maxLineBytes` and its newline). */
const READ_BYTES = 64 * 1024;

/** The device and inode of a stat, as one key. */
export function keyOf(stat: Pick<FileStat, "dev" | "ino">): string {
  return `${stat.dev}:${stat.ino}`;
}

/**
 * A file being followed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FollowedFile } from "./follow_file.ts";
 * const file = new FollowedFile("/logs/a.log", { dev: 1, ino: 2, birthtimeMs: 0, size: 0, mtimeMs: 0 }, 0);
 * assert.equal(file.key, "1:2");
 * assert.equal(file.source, "");
 * ```
 */
export class FollowedFile {
  /** The name it is followed under (the last one that held it). */
  path: string;
  readonly dev: number;
  readonly ino: number;
  /** Birth time in whole ms (0 when unknown). */
  readonly born: number;
  /** Open while it is read; `undefined` once closed. */
  handle: ReadHandle | undefined;
  /** Its identity (see `cli/file_identity.ts`), "" until its head is settled. */
  source = "";
  /** Where the next line starts: everything before was handed out or skipped. */
  position = 0;
  /** Whether a line over the limit is being skipped at `position`. */
  skipping = false;
  /** The size and modification time at the last look. */
  size: number;
  mtimeMs: number;
  /** Whether a matched path holds it (else it is read to its end, then let go). */
  named = true;
  /** When it last grew (or was found), in ms. */
  grewAt: number;
  /** The size at which the last read gave nothing (a partial line), to let go of it. */
  stalledAt = -1;
  /** Whether its start waits to be written to the starts file (its lines wait too). */
  unrecorded = false;
  /** The live source this file is a copy of (then it is not read), or `undefined`. */
  copyOf: string | undefined;
  readonly lag: LagClock = new LagClock();

  constructor(
    path: string,
    stat: Pick<FileStat, "dev" | "ino" | "birthtimeMs" | "size" | "mtimeMs">,
    now: number,
    handle?: ReadHandle,
  ) {
    this.path = path;
    this.dev = stat.dev;
    this.ino = stat.ino;
    this.born = stat.birthtimeMs;
    this.size = stat.size;
    this.mtimeMs = stat.mtimeMs;
    this.grewAt = now;
    this.handle = handle;
    this.lag.saw(stat.size, now);
  }

  /** Device and inode. */
  get key(): string {
    return keyOf(this);
  }

  /** How many bytes of the head the source covers (0 without one). */
  get headLength(): number {
    return parseSource(this.source)?.length ?? 0;
  }

  /** Whether it has lines to hand out now, as far as the last look knows. */
  get readable(): boolean {
    return this.handle !== undefined && this.source !== "" && this.copyOf === undefined &&
      !this.unrecorded && this.position < this.size && this.stalledAt !== this.size;
  }

  /**
   * Whether the file's head no longer is the one its source names (truncated, maybe written
   * again): an append-only file's head never changes.
   */
  async headChanged(): Promise<boolean> {
    const identity = parseSource(this.source);
    if (!identity || !this.handle) return false;
    const head = await readHeadOf(this.handle, identity.length);
    return head.length < identity.length || (await headHash(head)) !== identity.hash;
  }

  /**
   * Whether the bytes after `position` (as far as the last look's size) hold a newline, so a
   * read would give a line (or end a skipped one); a file holding only an unterminated line
   * does not.
   */
  async hasLineEnd(): Promise<boolean> {
    const left = this.size - this.position;
    if (!this.handle || left <= 0) return false;
    if (left > READ_BYTES) return true;
    const bytes = new Uint8Array(left);
    let filled = 0;
    while (filled < left) {
      const read = await this.handle.read(bytes.subarray(filled), this.position + filled);
      if (read === 0) break;
      filled += read;
    }
    return bytes.subarray(0, filled).includes(0x0a);
  }

  /** Starts again from 0 as a new file (after a truncation). */
  restart(now: number): void {
    this.source = "";
    this.position = 0;
    this.skipping = false;
    this.stalledAt = -1;
    this.lag.reset();
    this.lag.saw(this.size, now);
  }

  /**
   * Reads the complete lines after `position` and moves past them (and past lines skipped as
   * too long). A partial last line stays for the next read.
   */
  async readLines(maxLineBytes: number): Promise<SplitResult> {
    const handle = this.handle;
    if (!handle) return { lines: [], skipped: [], next: this.position, skipping: this.skipping };
    const before = this.position;
    let length = READ_BYTES;
    for (;;) {
      const buffer = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const read = await handle.read(buffer.subarray(filled), this.position + filled);
        if (read === 0) break;
        filled += read;
      }
      const result = splitLines(
        buffer.subarray(0, filled),
        this.position,
        maxLineBytes,
        this.skipping,
      );
      const full = filled === length;
      // No newline in a full buffer shorter than a line may be: read that much once more, so a
      // line up to `maxLineBytes` is whole and a longer one is seen to be longer.
      if (result.next === this.position && full && length <= maxLineBytes) {
        length = maxLineBytes + 2;
        continue;
      }
      this.position = result.next;
      this.skipping = result.skipping;
      // Read past the last look's size: the file grew since (the next look records when).
      if (this.position > this.size) this.size = this.position;
      if (this.position === before) this.stalledAt = this.size;
      return result;
    }
  }

  /** Closes the handle (idempotent). */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
  }
}
