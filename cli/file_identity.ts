/**
 * A followed file's identity, written into one string (the `source` of its lines) so that a
 * restarted shipper can match the files it finds against the positions it recovered, with no
 * other state: `dev:ino:born:length:hash`, the device, inode and birth time (ms, 0 where the file
 * system keeps none) the file had when it was first seen, and a SHA-256 prefix of its first
 * `length` bytes (its head).
 *
 * Why all three: a name is reused by the next file after a rotation; an inode is reused by the
 * file system as soon as the last name and handle of a deleted file are gone (ext4 gives it to
 * the very next file created), and the birth time tells the new file apart where the file
 * system keeps one; the head of an append-only file never changes, so it tells a reused inode
 * from the file we knew where there is no birth time, and it recognises a copy of the file
 * (copy-and-truncate rotation) under another inode.
 *
 * The head is fixed once: at the first newline within {@linkcode HEAD_BYTES} bytes, or at
 * `HEAD_BYTES` bytes without one (then `length` is as much of the file as existed, up to
 * `HEAD_BYTES`). Until then the file has no source, and no line of it is handed out (there is
 * none). NDJSON telemetry starts with a line carrying a unique id and a time, so one line is
 * enough to tell two files apart; without a birth time, two files with the same inode and the
 * same first line are taken for one (documented limitation).
 *
 * @module
 */
import type { ReadHandle } from "../src/platform/command_line.ts";

/** How many bytes of a file's head its identity covers at most. */
export const HEAD_BYTES = 1024;

/** What a `source` string says. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
  /** Birth time in whole ms, 0 when unknown. */
  readonly born: number;
  /** How many bytes of the head the hash covers. */
  readonly length: number;
  /** The first 16 hex digits of the SHA-256 of those bytes. */
  readonly hash: string;
}

/**
 * The `source` string of an identity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSource, sourceOf } from "./file_identity.ts";
 * const identity = { dev: 2049, ino: 77, born: 1700000000123, length: 12, hash: "00ff00ff00ff00ff" };
 * const source = sourceOf(identity);
 * assert.equal(source, "2049:77:1700000000123:12:00ff00ff00ff00ff");
 * assert.deepEqual(parseSource(source), identity);
 * ```
 */
export function sourceOf(identity: FileIdentity): string {
  const { dev, ino, born, length, hash } = identity;
  return `${dev}:${ino}:${born}:${length}:${hash}`;
}

/**
 * The identity a `source` string names, or `undefined` when it is not one (a position recovered
 * for standard input, or from another version).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSource } from "./file_identity.ts";
 * assert.equal(parseSource("-"), undefined);
 * assert.equal(parseSource("1:2:0:3:xyz")?.length, undefined);
 * ```
 */
export function parseSource(source: string): FileIdentity | undefined {
  const match = /^(\d+):(\d+):(\d+):(\d+):([0-9a-f]{16})$/.exec(source);
  if (!match) return undefined;
  const [dev, ino, born, length] = match.slice(1, 5).map(Number);
  return { dev, ino, born, length, hash: match[5] };
}

/**
 * Whether `identity` may be the inode `file` is: same device and inode, and the same birth time
 * where both know one (a reused inode is born again).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameInode } from "./file_identity.ts";
 * const known = { dev: 1, ino: 2, born: 1000, length: 2, hash: "00ff00ff00ff00ff" };
 * assert.equal(sameInode(known, { dev: 1, ino: 2, born: 1000 }), true);
 * assert.equal(sameInode(known, { dev: 1, ino: 2, born: 2000 }), false);
 * assert.equal(sameInode(known, { dev: 1, ino: 2, born: 0 }), true);
 * ```
 */
export function sameInode(
  identity: FileIdentity,
  file: { readonly dev: number; readonly ino: number; readonly born: number },
): boolean {
  return identity.dev === file.dev && identity.ino === file.ino &&
    (identity.born === 0 || file.born === 0 || identity.born === file.born);
}

/**
 * The hash that identities carry for `head`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headHash } from "./file_identity.ts";
 * assert.equal(await headHash(new TextEncoder().encode("a\n")), await headHash(new Uint8Array([97, 10])));
 * assert.notEqual(await headHash(new Uint8Array([98, 10])), await headHash(new Uint8Array([97, 10])));
 * ```
 */
export async function headHash(head: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", head.slice().buffer));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * How long the settled head of a file is: through its first newline within `HEAD_BYTES`,
 * else `HEAD_BYTES` once that many exist; `undefined` while neither is there yet.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { settledHeadLength } from "./file_identity.ts";
 * const bytes = (text: string) => new TextEncoder().encode(text);
 * assert.equal(settledHeadLength(bytes('{"a":1}\n{"b"')), 12);
 * assert.equal(settledHeadLength(bytes('{"a":')), undefined);
 * ```
 */
export function settledHeadLength(head: Uint8Array, limit = HEAD_BYTES): number | undefined {
  const newline = head.subarray(0, limit).indexOf(0x0a);
  if (newline >= 0) return Math.min(head.length, limit);
  return head.length >= limit ? limit : undefined;
}

/**
 * Reads up to `length` bytes from the start of an open file.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readHeadOf } from "./file_identity.ts";
 * const file = new TextEncoder().encode("hello\n");
 * const handle = {
 *   stat: () => Promise.reject(new Error("unused")),
 *   read: (into: Uint8Array, at: number) => {
 *     const part = file.subarray(at, at + into.length);
 *     into.set(part);
 *     return Promise.resolve(part.length);
 *   },
 *   close: () => Promise.resolve(),
 * };
 * assert.deepEqual(await readHeadOf(handle, 3), new TextEncoder().encode("hel"));
 * ```
 */
export async function readHeadOf(handle: ReadHandle, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const read = await handle.read(buffer.subarray(filled), filled);
    if (read === 0) break;
    filled += read;
  }
  return buffer.subarray(0, filled);
}
