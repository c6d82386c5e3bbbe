/**
 * How a source passes on when its file ends: truncated (the file starts again from 0 as a new
 * source), deleted or let go. A copy of the file waiting under the patterns (`copyOf`) takes the
 * source on from its position; without one, the source is kept as known, so that a copy found
 * later resumes it (unless the file was deleted: nothing made later is it).
 *
 * @module
 */
import type { FollowedFile } from "./follow_file.ts";
import type { FollowEvent } from "./follow_types.ts";

/** What passing a source on needs of the table. */
export interface HandoverTable {
  readonly files: ReadonlyMap<string, FollowedFile>;
  readonly known: Map<string, number>;
  /** Keeps a source no file holds now, as the most recent (the table bounds how many). */
  remember(source: string, position: number): void;
  emit(event: FollowEvent): void;
}

function copyOf(table: HandoverTable, source: string): FollowedFile | undefined {
  for (const file of table.files.values()) if (file.copyOf === source) return file;
  return undefined;
}

/** Makes `copy` the file of `source`, read on from `position`. */
function adopt(table: HandoverTable, copy: FollowedFile, source: string, position: number): void {
  copy.copyOf = undefined;
  copy.source = source;
  copy.position = position;
  copy.stalledAt = -1;
  table.emit({
    kind: "resumed",
    path: copy.path,
    source,
    position,
    reason: "read on from a copy of the file",
  });
}

/**
 * A truncated file: its source ends (or goes on in a copy); the file starts again from 0.
 * `lastSize` is its size before, to count the bytes seen and not read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FollowedFile } from "./follow_file.ts";
 * import { truncated } from "./follow_handover.ts";
 * const file = new FollowedFile("/a.log", { dev: 1, ino: 2, birthtimeMs: 0, size: 0, mtimeMs: 0 }, 0);
 * file.source = "1:2:0:2:0123456789abcdef";
 * file.position = 4;
 * const known = new Map<string, number>();
 * const remember = (source: string, position: number) => void known.set(source, position);
 * const table = { files: new Map([[file.key, file]]), known, remember, emit() {} };
 * truncated(table, file, 10, 0);
 * assert.deepEqual([...table.known], [["1:2:0:2:0123456789abcdef", 4]]);
 * assert.deepEqual([file.source, file.position], ["", 0]);
 * ```
 */
export function truncated(
  table: HandoverTable,
  file: FollowedFile,
  lastSize: number,
  now: number,
): void {
  const source = file.source;
  const position = file.position;
  const unread = Math.max(0, lastSize - position);
  const copy = copyOf(table, source);
  table.emit({
    kind: "truncated",
    path: file.path,
    source,
    position,
    bytes: unread,
    reason: copy
      ? `read on from its copy ${copy.path}; the file is read from 0 as a new source`
      : `the file is read from 0 as a new source; bytes written between our last read and ` +
        `the truncation are lost (${unread} seen unread) unless a copy appears under the patterns`,
  });
  if (copy) adopt(table, copy, source, position);
  else table.remember(source, position);
  file.restart(now);
}

/**
 * `source`'s file ended at `position` (let go, failed, or `deleted`): a copy waiting takes it
 * on, or a later one may.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ended } from "./follow_handover.ts";
 * const known = new Map<string, number>();
 * const remember = (source: string, position: number) => void known.set(source, position);
 * const table = { files: new Map(), known, remember, emit() {} };
 * ended(table, "1:2:0:2:0123456789abcdef", 9, false);
 * ended(table, "1:3:0:2:0123456789abcdef", 9, true);
 * assert.deepEqual([...table.known.keys()], ["1:2:0:2:0123456789abcdef"]);
 * ```
 */
export function ended(
  table: HandoverTable,
  source: string,
  position: number,
  deleted: boolean,
): void {
  const copy = copyOf(table, source);
  if (copy) adopt(table, copy, source, position);
  // A deleted file cannot come back: a file made later with its head is not it.
  else if (!deleted) table.remember(source, position);
}

/**
 * A resting file (no handle) that can never be read again (deleted, or renamed away, while it
 * rested): reports it gone and ends its source as deleted, so that only a copy already waiting
 * takes it on. The caller has taken it out of the table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FollowedFile } from "./follow_file.ts";
 * import { vanished } from "./follow_handover.ts";
 * const file = new FollowedFile("/a.log", { dev: 1, ino: 2, birthtimeMs: 0, size: 0, mtimeMs: 0 }, 0);
 * file.source = "1:2:0:2:0123456789abcdef";
 * const events: unknown[] = [];
 * const known = new Map<string, number>();
 * const table = { files: new Map(), known, remember() {}, emit: (e: unknown) => void events.push(e) };
 * vanished(table, file, "deleted");
 * assert.equal(events.length, 1);
 * assert.equal(known.size, 0);
 * ```
 */
export function vanished(table: HandoverTable, file: FollowedFile, reason: string): void {
  table.emit({
    kind: "gone",
    path: file.path,
    source: file.source,
    position: file.position,
    reason: `${reason}; what was written to it since it rested is not read`,
  });
  if (file.source !== "") ended(table, file.source, file.position, true);
}
