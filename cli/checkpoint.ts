/**
 * The checkpoint of a `send` run: which input it reads (path, size, a hash of its start), how
 * it batches, how far every item is settled, and the dead-letter file's length at that point.
 * Written atomically after each settled chunk, so a crash loses at most the chunk in flight,
 * which a resumed run sends again under the same idempotency keys.
 *
 * @module
 */
import { UsageError } from "./args.ts";
import type { InputFormat } from "./input.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

/** How many bytes of the input's start the fingerprint hashes. */
export const HEAD_BYTES = 1024 * 1024;

/** Which file a checkpoint belongs to. */
export interface InputFingerprint {
  readonly path: string;
  readonly size: number;
  /** SHA-256 (hex) of the first {@linkcode HEAD_BYTES} bytes. */
  readonly headSha256: string;
}

/** Item counts of a run (or of all runs, in a checkpoint). */
export interface Counts {
  accepted: number;
  rejected: number;
  failed: number;
  malformed: number;
}

/** What a checkpoint file holds. */
export interface Checkpoint {
  readonly version: 1;
  readonly kind: "events" | "findings";
  readonly input: InputFingerprint;
  readonly format: InputFormat;
  /** Makes the run's idempotency keys unique; kept across resumes so the keys stay the same. */
  readonly runId: string;
  readonly batchSize: number;
  readonly chunkItems: number;
  /** Everything before this position is settled (accepted, rejected, dead-lettered). */
  readonly next: { readonly offset: number; readonly line: number };
  readonly counts: Counts;
  readonly requests: number;
  readonly rateLimited: number;
  readonly rateLimitWaitMs?: number;
  readonly deadLetter: { readonly path: string; readonly bytes: number };
  readonly elapsedMs: number;
  readonly complete: boolean;
  readonly updatedAt: string;
}

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The fingerprint of the file at `path`. */
export async function fingerprint(system: CliSystem, path: string): Promise<InputFingerprint> {
  const size = await system.size(path);
  if (size === undefined) throw new UsageError(`${path} does not exist`);
  const head = await system.readHead(path, HEAD_BYTES);
  const digest = await crypto.subtle.digest("SHA-256", head.slice().buffer);
  return { path: system.resolvePath(path), size, headSha256: hex(digest) };
}

/** Why `saved` does not describe `current`, or `undefined` when it does. */
export function fingerprintMismatch(
  saved: InputFingerprint,
  current: InputFingerprint,
): string | undefined {
  if (saved.path !== current.path) return `it was made for ${saved.path}, not ${current.path}`;
  if (saved.size !== current.size) {
    return `${current.path} is now ${current.size} bytes, the checkpoint saw ${saved.size}`;
  }
  if (saved.headSha256 !== current.headSha256) {
    return `the start of ${current.path} changed since the checkpoint was written`;
  }
  return undefined;
}

/** Reads a checkpoint, or `undefined` when there is none. */
export async function readCheckpoint(
  system: CliSystem,
  path: string,
): Promise<Checkpoint | undefined> {
  if ((await system.size(path)) === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(await system.readTextFile(path));
  } catch (error) {
    throw new UsageError(`the checkpoint ${path} cannot be read: ${(error as Error).message}`);
  }
  const checkpoint = value as Checkpoint;
  if (
    checkpoint?.version !== 1 || typeof checkpoint.next?.offset !== "number" ||
    typeof checkpoint.input?.headSha256 !== "string" || typeof checkpoint.runId !== "string"
  ) {
    throw new UsageError(`${path} is not a vectorvue send checkpoint`);
  }
  return checkpoint;
}

/** Writes the checkpoint atomically (a crash leaves the old one or the new one, never half). */
export async function writeCheckpoint(
  system: CliSystem,
  path: string,
  checkpoint: Checkpoint,
): Promise<void> {
  await system.writeFileAtomic(path, `${JSON.stringify(checkpoint, null, 2)}\n`);
}
