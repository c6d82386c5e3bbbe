// Types shared by the `_fs_deno.ts` / `_fs_node.ts` pair: the few file-system calls the spool
// makes. Errors thrown through the seam keep the runtime's own error; both runtimes give it a
// POSIX `code` ("ENOSPC", "EROFS", "EEXIST"...), which `spool_error.ts` reads.
//
// Files are created 0600 and directories 0700: a umask only removes permission bits, so asking
// for these modes at creation keeps the spool private whatever the umask.

/** A file open for appending. */
export interface AppendFile {
  /** Writes all of `bytes` at the end of the file. */
  write(bytes: Uint8Array): Promise<void>;
  /** Flushes the file's data (and its size) to the disk (fdatasync). */
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** Who a process is, beyond its pid: pids are only meaningful within one PID namespace. */
export interface HostIdentity {
  /** The host name. */
  readonly host: string;
  /** The kernel's boot id (Linux), empty where unknown. */
  readonly bootId: string;
  /** The PID namespace (Linux `/proc/self/ns/pid` link), empty where unknown. */
  readonly pidNs: string;
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
