/**
 * The files a follower follows, reconciled with the file system at each look: which name holds
 * which file (device and inode), which file is new, grew, was truncated, renamed, deleted or
 * copied, and which source each file carries (settled from its head, see
 * `cli/file_identity.ts`). Reading lines is `cli/follow.ts`'s; this only looks.
 *
 * @module
 */
import type { CliSystem, FileStat } from "../src/platform/command_line.ts";
import { HEAD_BYTES, parseSource } from "./file_identity.ts";
import { FollowedFile, keyOf } from "./follow_file.ts";
import { openCount, toRest } from "./follow_budget.ts";
import { expandPattern } from "./follow_glob.ts";
import { endStart } from "./follow_lines.ts";
import { ended, truncated, vanished } from "./follow_handover.ts";
import { settle } from "./follow_settle.ts";
import { recordStarts, StartsFile } from "./follow_starts.ts";
import type { NormalizedFollowOptions } from "./follow_options.ts";
import type { FollowEvent } from "./follow_types.ts";

/** The options the table uses, defaults applied. */
export type TableOptions = Pick<
  NormalizedFollowOptions,
  | "patterns"
  | "fromStart"
  | "positions"
  | "lingerMs"
  | "maxOpenFiles"
  | "emit"
  | "now"
  | "startsFile"
>;

/** Bytes read from the end to find where following from the end starts. */
const TAIL_BYTES = 64 * 1024;

/** Sources kept while no file holds them (one is let go at every rotation): as the spool's. */
export const MAX_KNOWN_SOURCES = 4096;

/**
 * The followed files and the sources known but not followed now (recovered positions, and
 * sources whose file ended, for a copy found later).
 */
export class FileTable {
  /** Followed files by device and inode. */
  readonly files: Map<string, FollowedFile> = new Map();
  /** Sources no followed file holds, with where to resume them: the most recent few thousand. */
  readonly known: Map<string, number>;
  readonly #system: CliSystem;
  readonly #options: TableOptions;
  /** The last expansion of the patterns. */
  #paths: string[] = [];
  /** Paths reported unreadable, with why, so each problem is reported once while it lasts. */
  readonly #reported = new Map<string, string>();
  #looks = 0;
  /** Where new files started, when they must be kept (`fromStart: false`). */
  readonly #starts: StartsFile | undefined;

  constructor(system: CliSystem, options: TableOptions) {
    this.#system = system;
    this.#options = options;
    this.known = new Map(options.positions);
    this.#trimKnown();
    const path = options.startsFile;
    if (path !== undefined && !options.fromStart) this.#starts = new StartsFile(system, path);
  }

  /** Keeps `source` at `position` as the most recent known source, forgetting the oldest. */
  remember(source: string, position: number): void {
    this.known.delete(source);
    this.known.set(source, position);
    this.#trimKnown();
  }

  #trimKnown(): void {
    for (const source of this.known.keys()) {
      if (this.known.size <= MAX_KNOWN_SOURCES) return;
      this.known.delete(source);
    }
  }

  /** The followed file holding `source`, if any. */
  holder(source: string): FollowedFile | undefined {
    for (const file of this.files.values()) if (file.source === source) return file;
    return undefined;
  }

  /**
   * Looks at the file system once: expands the globs when `expand` (or when a followed file lost
   * its name, to find it under its new one), then reconciles names, new files, sizes,
   * truncations and sources.
   */
  async look(expand: boolean): Promise<void> {
    const now = this.#options.now();
    if (this.#looks === 0) await this.#loadStarts();
    const stats = new Map<string, FileStat | undefined>();
    const statOf = async (path: string) => {
      if (!stats.has(path)) stats.set(path, await this.#stat(path));
      return stats.get(path);
    };
    for (const file of this.files.values()) {
      const stat = await statOf(file.path);
      if (file.named && (!stat || keyOf(stat) !== file.key)) expand = true;
    }
    if (expand || this.#looks === 0) this.#paths = await this.#expand();
    const byKey = new Map<string, string>();
    for (const path of this.#paths) {
      const stat = await statOf(path);
      if (stat?.isFile) {
        if (!byKey.has(keyOf(stat))) byKey.set(keyOf(stat), path);
      } else if (stat) {
        this.#report(path, `not a regular file${stat.isDirectory ? " (a directory)" : ""}`);
      }
    }
    this.#rename(byKey, stats, now);
    await this.#open(byKey, now);
    for (const file of [...this.files.values()]) {
      try {
        await this.#wake(file, stats.get(file.path), now);
        await this.#measure(file, now);
      } catch (error) {
        await this.fail(file, error);
      }
    }
    const found = await settle(this, [...this.files.values()].filter((f) => this.#unsettled(f)));
    if (this.#starts) {
      for (const file of found) file.unrecorded = true;
      await recordStarts(this.#starts, this.files.values(), this.#options.emit);
    }
    for (const file of [...this.files.values()]) await this.#maybeLetGo(file, now);
    this.#looks++;
  }

  /**
   * Takes the sizes of the files that lost their name, before a read: they are read first, and
   * what their writers added since the last look must come before their successors' lines.
   */
  async measureUnnamed(): Promise<void> {
    const now = this.#options.now();
    for (const file of [...this.files.values()]) {
      if (file.named) continue;
      try {
        await this.#measure(file, now);
      } catch (error) {
        await this.fail(file, error);
      }
    }
  }

  /** Starts kept by an earlier run: positions for sources the spool has none for. */
  async #loadStarts(): Promise<void> {
    try {
      const starts = await this.#starts?.load() ?? new Map<string, number>();
      for (const [source, position] of starts) {
        if (!this.known.has(source)) this.remember(source, position);
      }
    } catch (error) {
      this.#report(this.#starts!.path, (error as Error).message);
    }
  }

  /** Emits an event (for `settle`). */
  emit(event: FollowEvent): void {
    this.#options.emit(event);
  }

  async #stat(path: string): Promise<FileStat | undefined> {
    try {
      return await this.#system.stat(path);
    } catch (error) {
      this.#report(path, (error as Error).message);
      return undefined;
    }
  }

  async #expand(): Promise<string[]> {
    const paths = new Set<string>();
    for (const pattern of this.#options.patterns) {
      try {
        for (const path of await expandPattern(this.#system, pattern)) paths.add(path);
      } catch (error) {
        this.#report(pattern, (error as Error).message);
      }
    }
    return [...paths];
  }

  /** Reports `path` unreadable (or deferred) once while the reason lasts. */
  #report(path: string, reason: string, kind: "unreadable" | "deferred" = "unreadable"): void {
    if (this.#reported.get(path) === reason) return;
    this.#reported.set(path, reason);
    this.#options.emit({ kind, path, source: "", reason });
  }

  /** Whether a handle may be opened now, resting an idle file if that makes room. */
  async #room(path: string): Promise<boolean> {
    if (openCount(this.files.values()) < this.#options.maxOpenFiles) return true;
    const rest = toRest(this.files.values());
    if (rest) {
      await rest.close();
      return true;
    }
    const max = this.#options.maxOpenFiles;
    this.#report(path, `waiting for an open-file slot (all ${max} hold files to read)`, "deferred");
    return false;
  }

  /** Opens `path` and checks that it is still the file `key` names. */
  async #openChecked(path: string, key: string) {
    let handle;
    try {
      handle = await this.#system.openRead(path);
    } catch (error) {
      this.#report(path, (error as Error).message);
      return undefined;
    }
    const stat = await handle.stat().catch(() => undefined);
    if (!stat || keyOf(stat) !== key || !stat.isFile) {
      await handle.close().catch(() => {}); // replaced between the look and the open
      return undefined;
    }
    this.#reported.delete(path);
    return { handle, stat };
  }

  /** Follows each followed file to the name that holds it now, or notes that none does. */
  #rename(byKey: Map<string, string>, stats: Map<string, FileStat | undefined>, now: number) {
    for (const file of this.files.values()) {
      const path = byKey.get(file.key);
      if (path !== undefined) {
        if (path !== file.path) {
          this.emit({ kind: "rotated", path: file.path, source: file.source, newPath: path });
          file.path = path;
        }
        file.named = true;
        continue;
      }
      if (!file.named) continue;
      if (!file.handle) {
        // Resting: deleted or renamed away while closed, it cannot be read again. A file at its
        // name with its head is a new file, as when its inode is reused (see `#wake`).
        this.files.delete(file.key);
        const taken = stats.get(file.path)?.isFile ? " (its name holds another file now)" : "";
        vanished(this, file, `deleted or renamed away while its handle was closed${taken}`);
        continue;
      }
      file.named = false;
      file.grewAt = now;
      const there = stats.get(file.path);
      this.emit({
        kind: there?.isFile ? "rotated" : "gone",
        path: file.path,
        source: file.source,
        position: file.position,
        reason: there?.isFile
          ? "its name holds another file now; this one is read to its end"
          : `${there ? "a directory" : "nothing"} is at its name now; it is read to its end`,
      });
    }
  }

  /** Opens the files that matched names hold and that are not followed yet. */
  async #open(byKey: Map<string, string>, now: number) {
    for (const [key, path] of byKey) {
      if (this.files.has(key) || !(await this.#room(path))) continue;
      const opened = await this.#openChecked(path, key);
      if (!opened) continue;
      const { handle, stat } = opened;
      const file = new FollowedFile(path, stat, now, handle);
      this.files.set(key, file);
      if (this.#looks === 0 && !this.#options.fromStart && stat.size > 0) {
        try {
          const tailStart = Math.max(0, stat.size - TAIL_BYTES);
          const tail = new Uint8Array(stat.size - tailStart);
          const read = await handle.read(tail, tailStart);
          const start = endStart(tail.subarray(0, read), tailStart, stat.size);
          file.position = start.position;
          file.skipping = start.skipping;
        } catch (error) {
          await this.fail(file, error);
        }
      }
    }
  }

  /**
   * Opens a resting file again when its name shows it changed (and there is room); until then
   * its size (and lag) come from its name.
   */
  async #wake(file: FollowedFile, stat: FileStat | undefined, now: number): Promise<void> {
    if (file.handle || !file.named || !stat || keyOf(stat) !== file.key) return;
    if (file.born !== 0 && stat.birthtimeMs !== 0 && stat.birthtimeMs !== file.born) {
      // Deleted while it rested, and its inode given to a new file: that one is found next look.
      this.files.delete(file.key);
      vanished(this, file, "deleted while its handle was closed; its inode holds a new file now");
      return;
    }
    if (stat.size > file.size) {
      file.grewAt = now;
      file.lag.saw(stat.size, now);
    }
    file.size = Math.max(file.size, stat.size);
    if (stat.size === file.position && stat.mtimeMs === file.mtimeMs) return;
    if (!(await this.#room(file.path))) return;
    file.handle = (await this.#openChecked(file.path, file.key))?.handle;
    // The next measure takes the size from the handle and checks the head (a truncation while
    // resting must be seen).
    file.mtimeMs = -1;
  }

  /**
   * A followed file failed to read (EIO, a vanished mount): let go of it, report it; its
   * source is known at its position, so a later look that finds it again resumes it.
   */
  async fail(file: FollowedFile, error: unknown): Promise<void> {
    this.files.delete(file.key);
    await file.close();
    this.emit({
      kind: "unreadable",
      path: file.path,
      source: file.source,
      position: file.position,
      reason: (error as Error)?.message ?? String(error),
    });
    if (file.source !== "" && file.copyOf === undefined) {
      ended(this, file.source, file.position, false);
    }
  }

  /** Takes the size of an open file; notes growth; detects a truncation. */
  async #measure(file: FollowedFile, now: number): Promise<void> {
    if (!file.handle) return;
    let stat;
    try {
      stat = await file.handle.stat();
    } catch {
      return;
    }
    const changed = stat.size !== file.size || stat.mtimeMs !== file.mtimeMs;
    const previous = file.size;
    file.size = stat.size;
    file.mtimeMs = stat.mtimeMs;
    if (!changed) return;
    if (stat.size > previous) file.grewAt = now;
    file.lag.saw(stat.size, now);
    if (file.source === "" || file.copyOf !== undefined) return;
    const isTruncated = stat.size < file.position || await file.headChanged();
    if (isTruncated) truncated(this, file, previous, now);
  }

  /**
   * A read found the head of `file` changed: it was truncated (and maybe written again) since
   * the last look. What the read gave is dropped (it may be the new content at old offsets).
   */
  truncatedAtRead(file: FollowedFile, position: number): void {
    file.position = position;
    truncated(this, file, file.size, this.#options.now());
  }

  #unsettled(file: FollowedFile): boolean {
    return file.handle !== undefined && file.source === "" && file.copyOf === undefined;
  }

  /** Lets go of a file that lost its name once it is read and has not grown for `lingerMs`. */
  async #maybeLetGo(file: FollowedFile, now: number): Promise<void> {
    if (file.named || now - file.grewAt < this.#options.lingerMs) return;
    const done = !file.handle || file.copyOf !== undefined || file.source === "" ||
      !(await file.hasLineEnd().catch(() => false));
    if (!done) return;
    this.files.delete(file.key);
    const links = await file.handle?.stat().then((stat) => stat.nlink, () => 1);
    await file.close();
    const left = file.copyOf === undefined ? Math.max(0, file.size - file.position) : 0;
    this.emit({
      kind: "closed",
      path: file.path,
      source: file.source,
      position: file.position,
      bytes: left,
      reason: left > 0 ? "an unterminated last line was left unread" : undefined,
    });
    if (file.source === "" || file.copyOf !== undefined) return;
    ended(this, file.source, file.position, links === 0);
  }

  /** Closes every file. */
  async closeAll(): Promise<void> {
    for (const file of this.files.values()) await file.close();
    this.files.clear();
  }

  /** The bytes to read for settling heads: enough for every known source's head too. */
  headBytes(): number {
    let length = HEAD_BYTES;
    for (const source of this.known.keys()) {
      length = Math.max(length, Math.min(parseSource(source)?.length ?? 0, 1 << 20));
    }
    return length;
  }
}
