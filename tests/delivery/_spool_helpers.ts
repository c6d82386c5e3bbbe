// Helpers for the spool tests: temporary directories, a logger that keeps what it is told, and a
// file system that counts calls or fails on purpose.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AppendFile, type SpoolFs, spoolFs } from "../../src/platform/files.ts";
import type { LogFields, Logger } from "../../src/logger.ts";

export { spoolFs };

/** Runs `use` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(use: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "vv-spool-"));
  try {
    await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Segment files in a spool directory, sorted. */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith("segment-")).sort();
}

/** A record of what a logger was told. */
export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields?: LogFields;
}

/** A logger that keeps every line. */
export function recordingLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (message: string, fields?: LogFields) =>
    void lines.push({ level, message, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** An error shaped as the runtimes throw them: a message and a POSIX `code`. */
export function osError(code: string, message: string): Error {
  return Object.assign(new Error(`${message} (${code})`), { code });
}

/** The real file system, counting writes and fsyncs of files. */
export function countingFs(): SpoolFs & { readonly counts: { syncs: number; writes: number } } {
  const counts = { syncs: 0, writes: 0 };
  return Object.assign(
    patchedFs({
      async createAppend(path: string): Promise<AppendFile> {
        const file = await spoolFs.createAppend(path);
        return {
          write: (bytes) => (counts.writes++, file.write(bytes)),
          sync: () => (counts.syncs++, file.sync()),
          close: () => file.close(),
        };
      },
    }),
    { counts },
  );
}

/** The real file system, with some calls replaced. */
export function patchedFs(patch: Partial<SpoolFs>): SpoolFs {
  return Object.assign(Object.create(spoolFs) as SpoolFs, patch);
}

/** Start offsets of the records of a segment file's bytes, and its length at the end. */
export function recordBounds(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bounds = [0];
  while (bounds.at(-1)! + 12 <= bytes.length) {
    bounds.push(bounds.at(-1)! + 12 + view.getUint32(bounds.at(-1)! + 4, true));
  }
  return bounds;
}
