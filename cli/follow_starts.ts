/**
 * Where new files started, kept durably when they do not start at 0. With `fromStart: false` a
 * file found by the first look starts at its end; if the shipper stops before any of its lines
 * reached the spool, the restarted one finds it unknown and would start at its (new) end,
 * skipping the lines written meanwhile. So the start of every new source is written to this
 * file (atomically: a sibling, fsync, rename) before any of its lines is handed out, and read
 * back as positions the spool does not have. With `fromStart: true` an unknown file starts at
 * 0, which is always right, and no file is needed.
 *
 * The newest {@linkcode MAX_STARTS} starts are kept (the spool's origins take over as lines
 * reach it).
 *
 * @module
 */
import type { CliSystem } from "../src/platform/command_line.ts";
import type { FollowedFile } from "./follow_file.ts";
import type { FollowEvent } from "./follow_types.ts";

/** How many starts the file keeps. */
export const MAX_STARTS = 4096;

/**
 * The starts file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StartsFile } from "./follow_starts.ts";
 * let text: string | undefined;
 * const system = {
 *   size: () => Promise.resolve(text === undefined ? undefined : text.length),
 *   readTextFile: () => Promise.resolve(text!),
 *   writeFileAtomic: (_: string, next: string) => Promise.resolve(void (text = next)),
 * };
 * await new StartsFile(system, "/state/starts.json").record([["1:2:3:4:0123456789abcdef", 7]]);
 * const starts = await new StartsFile(system, "/state/starts.json").load();
 * assert.deepEqual([...starts], [["1:2:3:4:0123456789abcdef", 7]]);
 * ```
 */
export class StartsFile {
  readonly #system: Pick<CliSystem, "size" | "readTextFile" | "writeFileAtomic">;
  readonly #path: string;
  #starts = new Map<string, number>();
  /** The last failure to write, reported once. */
  failure: string | undefined;

  constructor(
    system: Pick<CliSystem, "size" | "readTextFile" | "writeFileAtomic">,
    path: string,
  ) {
    this.#system = system;
    this.#path = path;
  }

  /** The path of the file. */
  get path(): string {
    return this.#path;
  }

  /** Reads the starts kept (none when there is no file); throws when it cannot be read. */
  async load(): Promise<ReadonlyMap<string, number>> {
    if ((await this.#system.size(this.#path)) === undefined) return this.#starts;
    const value = JSON.parse(await this.#system.readTextFile(this.#path));
    if (value?.version !== 1 || typeof value.starts !== "object" || value.starts === null) {
      throw new Error(`${this.#path} is not a follower's starts file`);
    }
    for (const [source, position] of Object.entries(value.starts)) {
      if (Number.isSafeInteger(position) && (position as number) >= 0) {
        this.#starts.set(source, position as number);
      }
    }
    return this.#starts;
  }

  /** Adds starts and writes the file; resolves once it is on disk. */
  async record(starts: ReadonlyArray<readonly [string, number]>): Promise<void> {
    const next = new Map(this.#starts);
    for (const [source, position] of starts) {
      next.delete(source);
      next.set(source, position);
    }
    while (next.size > MAX_STARTS) next.delete(next.keys().next().value!);
    const text = JSON.stringify({ version: 1, starts: Object.fromEntries(next) });
    await this.#system.writeFileAtomic(this.#path, `${text}\n`);
    this.#starts = next;
  }
}

/**
 * Writes the starts of `files` not recorded yet, then lets their lines out; when the write
 * fails, they wait for the next look (and the failure is reported once).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordStarts, StartsFile } from "./follow_starts.ts";
 * const system = {
 *   size: () => Promise.resolve(undefined),
 *   readTextFile: () => Promise.reject(new Error("unused")),
 *   writeFileAtomic: () => Promise.reject(new Error("ENOSPC: no space left on device")),
 * };
 * const file = { source: "1:2:3:4:0123456789abcdef", position: 0, path: "/a", unrecorded: true };
 * const events: unknown[] = [];
 * await recordStarts(new StartsFile(system, "/s.json"), [file], (event) => events.push(event));
 * assert.equal(file.unrecorded, true);
 * assert.equal(events.length, 1);
 * ```
 */
export async function recordStarts(
  starts: StartsFile,
  files: Iterable<Pick<FollowedFile, "source" | "position" | "path" | "unrecorded">>,
  emit: (event: FollowEvent) => void,
): Promise<void> {
  const waiting = [...files].filter((file) => file.unrecorded);
  if (waiting.length === 0) return;
  try {
    await starts.record(waiting.map((file) => [file.source, file.position] as const));
  } catch (error) {
    const reason = `cannot keep where new files start: ${(error as Error).message}`;
    if (starts.failure !== reason) {
      emit({ kind: "unreadable", path: starts.path, source: "", reason });
    }
    starts.failure = reason;
    return;
  }
  starts.failure = undefined;
  for (const file of waiting) file.unrecorded = false;
}
