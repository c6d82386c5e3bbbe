/**
 * Giving a followed file its source once its head is settled, and deciding where it starts:
 *
 * 1. The same device, inode and head as a known source (a restart): resume at its position.
 * 2. The head of a known source under another inode (a copy, made by copy-and-truncate
 *    rotation): when that source's file is still followed, this one is taken for its copy and
 *    not read (it is read on from the source's position if the source's file is truncated or
 *    goes); when it is not, the copy carries the source on from its position.
 * 3. Otherwise a new source, read from 0 (or from the end for `fromStart: false` on the first
 *    look, decided when the file was opened).
 *
 * Exact matches are made first for every file settling in a look, so that after a restart the
 * original wins over its copy.
 *
 * @module
 */
import {
  headHash,
  parseSource,
  readHeadOf,
  sameInode,
  settledHeadLength,
  sourceOf,
} from "./file_identity.ts";
import type { FollowedFile } from "./follow_file.ts";

import type { FollowEvent } from "./follow_types.ts";

/** What `settle` needs of the table. */
export interface SettleTable {
  readonly files: ReadonlyMap<string, FollowedFile>;
  readonly known: Map<string, number>;
  holder(source: string): FollowedFile | undefined;
  emit(event: FollowEvent): void;
  headBytes(): number;
}

interface Candidate {
  readonly file: FollowedFile;
  readonly head: Uint8Array;
  readonly length: number;
  readonly hashes: Map<number, string>;
}

async function hashOf(candidate: Candidate, length: number): Promise<string | undefined> {
  if (length > candidate.head.length || length === 0) return undefined;
  let hash = candidate.hashes.get(length);
  if (hash === undefined) {
    hash = await headHash(candidate.head.subarray(0, length));
    candidate.hashes.set(length, hash);
  }
  return hash;
}

/** The known (not followed) or followed sources whose head `candidate` has, by inode match. */
async function matches(
  table: SettleTable,
  candidate: Candidate,
  byInode: boolean,
): Promise<string[]> {
  const { file } = candidate;
  const found: string[] = [];
  const sources = new Set(table.known.keys());
  if (!byInode) {
    // A copy may be of a source followed now.
    for (const source of liveSources(table, file)) sources.add(source);
  }
  for (const source of sources) {
    const identity = parseSource(source);
    if (!identity) continue;
    if (sameInode(identity, file) !== byInode) continue;
    if ((await hashOf(candidate, identity.length)) !== identity.hash) continue;
    if (!byInode && !(await lineEndsAt(file, positionOf(table, source)))) continue;
    found.push(source);
  }
  return found;
}

function positionOf(table: SettleTable, source: string): number {
  return table.known.get(source) ?? table.holder(source)?.position ?? 0;
}

/**
 * Whether a copy of a file at `position` may be `file`: positions are at line ends, so the byte
 * before is a newline in the copy, when the copy is that long (a file created with the same
 * first line as another is not taken for its copy).
 */
async function lineEndsAt(file: FollowedFile, position: number): Promise<boolean> {
  if (position === 0 || file.size < position || !file.handle) return true;
  const byte = new Uint8Array(1);
  const read = await file.handle.read(byte, position - 1).catch(() => 0);
  return read === 1 && byte[0] === 0x0a;
}

function liveSources(table: SettleTable, file: FollowedFile): string[] {
  const sources: string[] = [];
  for (const other of table.files.values()) {
    if (other !== file && other.source !== "") sources.push(other.source);
  }
  return sources;
}

function resume(table: SettleTable, file: FollowedFile, source: string, reason: string): void {
  const position = table.known.get(source) ?? 0;
  table.known.delete(source);
  file.source = source;
  file.skipping = false;
  file.stalledAt = -1;
  if (position > file.size) {
    // Shorter than where we were, with the same head: cut while we were away. Read it again
    // from 0 rather than skip whatever it holds now.
    file.position = 0;
    table.emit({
      kind: "truncated",
      path: file.path,
      source,
      position,
      reason: `the file is shorter (${file.size} bytes) than the recovered position; read from 0`,
    });
    return;
  }
  file.position = position;
  table.emit({ kind: "resumed", path: file.path, source, position, reason });
}

/**
 * Settles the sources of `files` (followed files without one) whose heads allow it; returns the
 * files given a new source (not resumed, not copies).
 */
export async function settle(
  table: SettleTable,
  files: readonly FollowedFile[],
): Promise<FollowedFile[]> {
  const found: FollowedFile[] = [];
  const candidates: Candidate[] = [];
  for (const file of files) {
    if (!file.handle) continue;
    const head = await readHeadOf(file.handle, table.headBytes()).catch(() => undefined);
    const length = head && settledHeadLength(head);
    if (!head || length === undefined) continue;
    candidates.push({ file, head, length, hashes: new Map() });
  }
  const rest: Candidate[] = [];
  for (const candidate of candidates) {
    const [source] = await matches(table, candidate, true);
    if (source !== undefined) resume(table, candidate.file, source, "known file (restart)");
    else rest.push(candidate);
  }
  for (const candidate of rest) {
    const { file } = candidate;
    const [source] = await matches(table, candidate, false);
    if (source !== undefined) {
      const holder = table.holder(source);
      if (holder) {
        file.copyOf = source;
        table.emit({
          kind: "copy",
          path: file.path,
          source,
          reason: `it has the head of ${holder.path}: taken for its copy, read from the source's ` +
            `position only if that file is truncated or goes`,
        });
      } else {
        resume(table, file, source, "a copy of a known file, read on from its position");
      }
      continue;
    }
    const hash = (await hashOf(candidate, candidate.length))!;
    const { dev, ino, born } = file;
    file.source = sourceOf({ dev, ino, born, length: candidate.length, hash });
    table.emit({ kind: "found", path: file.path, source: file.source, position: file.position });
    found.push(file);
  }
  return found;
}
