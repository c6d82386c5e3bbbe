// The files capability: the few file-system calls the library makes (the spool's, and PEM files
// named by the environment). `files_deno.ts` (Deno) and `files_node.ts` (the npm build)
// implement `FilesPlatform`; `files.ts` checks the one the build picked. Errors thrown through
// the seam keep the runtime's own error; both runtimes give it a POSIX `code` ("ENOSPC",
// "EROFS", "EEXIST"...), which `delivery/spool_error.ts` reads.
import type { HostIdentity } from "./process_common.ts";

export type { HostIdentity };

// Files are created 0600 and directories 0700: a umask only removes permission bits, so asking
// for these modes at creation keeps the spool private whatever the umask.

/**
 * A file open for appending, written in order (the spool's segments, the command line's
 * dead-letter and checkpoint files).
 */
export interface AppendFile {
  /** Writes all of `bytes` at the end of the file; resolves when the operating system has them. */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Flushes what was written to the disk: the data and the size that reaches it (fdatasync) for
   * the spool, everything (fsync) for the command line's files.
   */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file-system calls of the spool. Paths are `/`-separated. */
export interface SpoolFs {
  /** Creates a directory (mode 0700) and its parents; an existing one is fine. */
  mkdir(path: string): Promise<void>;
  /** Names of the entries of a directory. */
  readDir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  /** Creates a new file (mode 0600) for appending; fails with `EEXIST` when it exists. */
  createAppend(path: string): Promise<AppendFile>;
  /** Makes `link` a second name of `target`; fails with `EEXIST` when `link` exists. */
  link(target: string, link: string): Promise<void>;
  /** Renames a file, replacing `to` if it exists. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file; one that is already gone is fine. */
  remove(path: string): Promise<void>;
  /** The modification time of a file in ms; fails with `ENOENT` when it is gone. */
  mtime(path: string): Promise<number>;
  /** Sets a file's modification time to now (a lease renewal); fails with `ENOENT` when gone. */
  touch(path: string): Promise<void>;
  /** Makes a directory's entries (files created or removed) durable; best effort where unsupported. */
  syncDir(path: string): Promise<void>;
  /** Whether a process with this id exists (it may belong to another user). */
  processExists(pid: number): boolean;
  /** This host, boot and PID namespace. */
  identity(): Promise<HostIdentity>;
  /** Calls `tick` every `ms` without keeping the process alive; returns the function that stops it. */
  every(ms: number, tick: () => void): () => void;
  /** This process's id. */
  readonly pid: number;
}

/** The files capability, one implementation per runtime. */
export interface FilesPlatform {
  /** The real file system, as the spool uses it. */
  readonly spoolFs: SpoolFs;
  /** Reads a UTF-8 text file synchronously (used for PEM paths from the environment). */
  readTextFile(path: string): string;
}
