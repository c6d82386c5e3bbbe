/**
 * Following files as `tail -F` does, for `vectorvue ship`: lines appended are handed out as they
 * are written (a partial last line waits for its newline); globs are expanded again for new
 * files; a file renamed away is finished through its open handle, before its successor's lines;
 * a truncated file (copy-and-truncate, or a head that changed) is read again from 0 as a new
 * source, and its copy, when the patterns match it, carries the old source on from where we
 * were (when they do not, the bytes written between our last read and the truncation are lost,
 * as with every copy-and-truncate shipper, and the `truncated` event says how many we saw).
 *
 * Every line carries its file's `source` (device, inode, birth time and a hash of its head, see
 * `cli/file_identity.ts`) and the byte offset just past it: a restarted follower given those
 * positions resumes each file where the spool says, with no other state. Files unknown to the
 * positions start at 0, or at their end (after their last newline) with `fromStart: false` when
 * the first look finds them; files found later always start at 0. With `fromStart: false`, give
 * `startsFile` (in the state directory): where each new file started is written there before its
 * first line is handed out, so that a stop before its lines reached the spool skips nothing.
 *
 * Reading is pulled by the consumer; looks (stat by name, fstat by handle, a head read when a
 * size changed) go on every `pollMs` meanwhile, so rotation is seen under back-pressure too.
 *
 * Open files: at most `maxOpenFiles` (default 256). When a file needs a handle and none is
 * free, the followed file idle longest (named, read to its end) rests: its handle closes and it
 * is opened again by name when its size or time changes (see `cli/follow_budget.ts`). Files
 * with bytes to read and files that lost their name keep theirs; a file that finds no room
 * waits (a `deferred` event) for the next look.
 *
 * @module
 */
import type { CliSystem } from "../src/platform/command_line.ts";
import { type NormalizedFollowOptions, normalizeFollowOptions } from "./follow_options.ts";
import { FileTable } from "./follow_table.ts";
import type { FileLag, FollowedLine, FollowOptions } from "./follow_types.ts";

export { FOLLOW_DEFAULTS } from "./follow_options.ts";

export type {
  FileLag,
  FollowedLine,
  FollowEvent,
  FollowEventKind,
  FollowOptions,
} from "./follow_types.ts";

/**
 * Follows files; hand out their lines through {@linkcode Follower.lines}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mkdtempSync, writeFileSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * import { currentSystem } from "../src/platform/command_line.ts";
 * import { Follower } from "./follow.ts";
 * const dir = mkdtempSync(`${tmpdir()}/follow-`);
 * writeFileSync(`${dir}/a.log`, "one\ntwo\npart");
 * const follower = new Follower(currentSystem(), {
 *   patterns: [`${dir}/*.log`],
 *   fromStart: true,
 *   positions: new Map(),
 * });
 * for await (const chunk of follower.lines()) {
 *   assert.deepEqual(chunk.map((line) => line.text), ["one", "two"]); // "part" waits for "\n"
 *   break;
 * }
 * await follower.close();
 * ```
 */
export class Follower {
  readonly #options: NormalizedFollowOptions;
  readonly #table: FileTable;
  readonly #signal: AbortSignal | undefined;
  #closed = false;
  #rescan = true;
  #lastLook = -Infinity;
  #lastExpand = -Infinity;
  /** Where the round-robin over files starts next. */
  #cursor = 0;
  /** Wakes a pull waiting for the next look. */
  #wake: (() => void) | undefined;
  /** The look or read under way (close waits for it before closing handles). */
  #busy: Promise<unknown> = Promise.resolve();
  /** Looks between pulls; stops on close. */
  #looking: ReturnType<typeof setInterval> | undefined;
  readonly #system: CliSystem;

  constructor(system: CliSystem, options: FollowOptions) {
    this.#system = system;
    this.#options = normalizeFollowOptions(options);
    this.#signal = options.signal;
    this.#table = new FileTable(system, this.#options);
    this.#signal?.addEventListener("abort", () => void this.close(), { once: true });
  }

  /**
   * Chunks of lines, in file order per file (one file per chunk, files taken in turn). Pulled:
   * nothing is read while the consumer does not ask, so back-pressure never drops a line. Ends
   * when the signal aborts or `close()` is called.
   */
  async *lines(): AsyncIterableIterator<readonly FollowedLine[]> {
    this.#lookBetweenPulls();
    while (!this.#isClosed()) {
      const chunk = await this.#run(() => this.#next());
      if (chunk.length > 0) {
        yield chunk;
        continue;
      }
      await this.#sleep();
    }
  }

  /** Expands the patterns at the next look, and looks now (SIGHUP). */
  rescan(): void {
    this.#rescan = true;
    this.#lastLook = -Infinity;
    this.#wake?.();
  }

  /** How far behind each followed file is (copies waiting as spares are not listed). */
  files(): readonly FileLag[] {
    const now = this.#options.now();
    return [...this.#table.files.values()]
      .filter((file) => file.copyOf === undefined)
      .map((file) => ({
        path: file.path,
        source: file.source,
        size: file.size,
        position: file.position,
        lagBytes: Math.max(0, file.size - file.position),
        lagSeconds: file.lag.secondsBehind(file.position, now),
      }));
  }

  /**
   * Looks at the files now, globs expanded (what pulls and the timer do every `pollMs`); for
   * tests, which drive the follower look by look.
   */
  look(): Promise<void> {
    this.#rescan = true;
    return this.#run(() => this.#look(true));
  }

  /** Stops: the iterator ends, every file is closed. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#looking);
    this.#wake?.();
    await this.#busy.catch(() => {});
    await this.#table.closeAll();
  }

  /**
   * Keeps looking while the consumer does not pull (back-pressure): no line is read, but a file
   * created and rotated away meanwhile is opened, so its handle finishes it later.
   */
  #lookBetweenPulls(): void {
    if (this.#looking !== undefined || this.#isClosed()) return;
    this.#looking = setInterval(() => {
      if (this.#isClosed()) clearInterval(this.#looking);
      else this.#run(() => this.#look(false)).catch(() => {});
    }, this.#options.pollMs);
    this.#system.unrefTimer(this.#looking);
  }

  #isClosed(): boolean {
    return this.#closed || this.#signal?.aborted === true;
  }

  /** Runs `work` after what is under way (reads and looks never overlap). */
  #run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#busy.then(work);
    this.#busy = result.catch(() => {});
    return result;
  }

  async #look(force: boolean): Promise<void> {
    if (this.#isClosed()) return;
    // Scheduling runs on the process's clock; `now` (which tests may hold still) dates events.
    const now = performance.now();
    if (!force && now - this.#lastLook < this.#options.pollMs) return;
    const expand = this.#rescan || now - this.#lastExpand >= this.#options.rescanMs;
    this.#rescan = false;
    await this.#table.look(expand);
    this.#lastLook = now;
    if (expand) this.#lastExpand = now;
  }

  /** The next chunk: the next file in turn with complete lines, after a look when one is due. */
  async #next(): Promise<FollowedLine[]> {
    await this.#look(false);
    await this.#table.measureUnnamed();
    // Files that lost their name first: a rotated file is finished before its successor; the
    // others in turn, so that one busy file does not starve the rest.
    const all = [...this.#table.files.values()];
    const named = all.filter((file) => file.named);
    const turn = named.length > 0 ? this.#cursor % named.length : 0;
    const order = [
      ...all.filter((file) => !file.named),
      ...named.slice(turn),
      ...named.slice(0, turn),
    ];
    for (const file of order) {
      if (this.#isClosed()) break;
      if (!file.readable) continue;
      const source = file.source;
      const before = file.position;
      let result;
      try {
        result = await file.readLines(this.#options.maxLineBytes);
        if (await file.headChanged()) {
          // Truncated since the last look: what was read may be new bytes at old offsets.
          this.#table.truncatedAtRead(file, before);
          continue;
        }
      } catch (error) {
        file.position = before;
        await this.#table.fail(file, error);
        continue;
      }
      const emit = this.#table.emit.bind(this.#table);
      for (const skipped of result.skipped) {
        emit({
          kind: "line-too-long",
          path: file.path,
          source,
          position: skipped.offset,
          // Its length is known once its newline is seen; one still being written is reported
          // at once (its rest is skipped as it comes), without one.
          ...(skipped.complete ? { bytes: skipped.bytes } : {}),
          reason: skipped.complete
            ? `a line of ${skipped.bytes} bytes, over ${this.#options.maxLineBytes}, was skipped`
            : `a line over ${this.#options.maxLineBytes} bytes is being skipped to its newline`,
        });
      }
      if (result.lines.length === 0) continue;
      if (file.named) this.#cursor = named.indexOf(file) + 1;
      return result.lines.map((line) => {
        if (line.invalid) {
          emit({ kind: "invalid-utf8", path: file.path, source, position: line.offset });
        }
        return { source, path: file.path, text: line.text, offset: line.offset, end: line.end };
      });
    }
    return [];
  }

  /** Waits for the next look (or a wake-up). */
  async #sleep(): Promise<void> {
    const wait = Math.max(1, this.#lastLook + this.#options.pollMs - performance.now());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, wait);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }
}
