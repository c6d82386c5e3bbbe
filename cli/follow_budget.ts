/**
 * The bound on open files. A follower holds at most `maxOpenFiles` handles; when a file needs
 * one and none is free, the file that has waited longest with nothing to read (named, read to
 * its end, not growing) rests: its handle is closed and it stays followed by name, and is
 * opened again when a look sees its name hold it with a new size or time. Files that lost their
 * name, files with bytes to read and files whose source is not settled never rest (they can
 * only be read through their handle). A resting file that is renamed or deleted before it is
 * opened again loses what was written to it after it rested (it was read to its end then).
 *
 * @module
 */
import type { FollowedFile } from "./follow_file.ts";

/**
 * How many of `files` hold a handle.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openCount } from "./follow_budget.ts";
 * assert.equal(openCount([]), 0);
 * ```
 */
export function openCount(files: Iterable<FollowedFile>): number {
  let count = 0;
  for (const file of files) if (file.handle) count++;
  return count;
}

/**
 * The file to rest to make room, or `undefined` when none may rest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toRest } from "./follow_budget.ts";
 * assert.equal(toRest([]), undefined);
 * ```
 */
export function toRest(files: Iterable<FollowedFile>): FollowedFile | undefined {
  let chosen: FollowedFile | undefined;
  for (const file of files) {
    const idle = file.handle !== undefined && file.named && file.source !== "" &&
      file.position >= file.size && !file.skipping;
    if (idle && (!chosen || file.grewAt < chosen.grewAt)) chosen = file;
  }
  return chosen;
}
