// Types shared by the `_fs_deno.ts` / `_fs_node.ts` pair: the few file-system calls the spool
// makes. Errors thrown through the seam keep the runtime's own error; both runtimes give it a
// POSIX `code` ("ENOSPC", "EROFS", "EEXIST"...), which `spool_error.ts` reads.

/** A file open for appending. */
export interface AppendFile {
  /** Writes all of `bytes` at the end of the file. */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes the file's data to the disk (fsync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file-system calls of the spool. Paths are `/`-separated. */
export interface SpoolFs {
  /** Creates a directory and its parents; an existing one is fine. */
  mkdir(path: string): Promise<void>;
  /** Names of the entries of a directory. */
  readDir(path: string): Promise<string[]>;
  readFile(path: string): Promise<Uint8Array>;
  /** Creates a new file for appending; fails with `EEXIST` when it exists. */
  createAppend(path: string): Promise<AppendFile>;
  /** Makes `link` a second name of `target`; fails with `EEXIST` when `link` exists. */
  link(target: string, link: string): Promise<void>;
  /** Removes a file; one that is already gone is fine. */
  remove(path: string): Promise<void>;
  /** Makes a directory's entries (files created or removed) durable; best effort where unsupported. */
  syncDir(path: string): Promise<void>;
  /** Whether a process with this id exists (it may belong to another user). */
  processExists(pid: number): boolean;
  /** This process's id. */
  readonly pid: number;
}
