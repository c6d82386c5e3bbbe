// The command line's capability: everything `cli/` needs from the operating system (its
// process and its files, as a terminal program sees them), so the commands themselves use web
// APIs only. `command_line_deno.ts` and `command_line_node.ts` implement `CommandLinePlatform`;
// `command_line.ts` checks the one the build picked. The library never loads these files.
import type { AppendFile } from "./files_common.ts";
import type { EnvironmentRead } from "./process_common.ts";

export type { AppendFile, EnvironmentRead };

/** What `stat` tells of a file, by its name or by an open handle. */
export interface FileStat {
  /** Device and inode: the file's identity while it exists (a name can point to another later). */
  readonly dev: number;
  readonly ino: number;
  /** When the inode was created, in whole ms; 0 where the file system does not say. */
  readonly birthtimeMs: number;
  /** How many names the file has (0 once deleted, while a handle keeps it). */
  readonly nlink: number;
  readonly size: number;
  readonly mtimeMs: number;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
}

/**
 * A file open for reading at any position: it keeps reading the same file after the name is
 * renamed, removed or given to another file (how a follower finishes a rotated file).
 */
export interface ReadHandle {
  /** The open file's identity and size now (fstat). */
  stat(): Promise<FileStat>;
  /** Reads up to `into.length` bytes at `position`; resolves with the count (0 at the end). */
  read(into: Uint8Array, position: number): Promise<number>;
  close(): Promise<void>;
}

/** A signal the command line reacts to. */
export type SignalName = "SIGINT" | "SIGTERM" | "SIGHUP";

/** The operating system as the command line sees it. */
export interface CliSystem {
  /** Command-line arguments after the program. */
  readonly args: readonly string[];
  /** The process environment (empty where the runtime does not let us list it). */
  readonly env: Record<string, string | undefined>;
  /**
   * The named variables, each read on its own: those the runtime's permissions hide are
   * `unreadable` (never prompted for); `all` is every variable when they may be listed.
   */
  readEnvironment(names: readonly string[]): EnvironmentRead;
  /** Writes text to standard output (resolves when written). */
  stdout(text: string): Promise<void>;
  /** Writes text to standard error, at once (progress and last words before an exit). */
  stderr(text: string): void;
  /** Whether standard error is a terminal (progress is then one redrawn line). */
  stderrIsTerminal(): boolean;
  /** Terminal width in columns, or 80. */
  columns(): number;
  /** Standard input as bytes. */
  stdin(): ReadableStream<Uint8Array>;
  /** A file's bytes from `offset` to its end. */
  readFrom(path: string, offset: number): Promise<ReadableStream<Uint8Array>>;
  /** Up to `length` bytes from the start of a file. */
  readHead(path: string, length: number): Promise<Uint8Array>;
  /** Size in bytes, or `undefined` when the path does not exist. */
  size(path: string): Promise<number | undefined>;
  /**
   * What the file at `path` is, following symbolic links; `undefined` when nothing is there
   * (ENOENT, ENOTDIR). Other failures (EACCES on a directory on the way) are thrown.
   */
  stat(path: string): Promise<FileStat | undefined>;
  /** Names of a directory's entries; `undefined` when it does not exist or is not a directory. */
  readDirectory(path: string): Promise<string[] | undefined>;
  /** Opens a file for reading by handle (fails with the runtime's error, e.g. EACCES). */
  openRead(path: string): Promise<ReadHandle>;
  /** Whether `path` is a regular file (not a pipe or a terminal), so its size means something. */
  isRegularFile(path: string): Promise<boolean>;
  readTextFile(path: string): Promise<string>;
  /** Replaces a file's contents atomically: write a sibling, fsync it, rename it over. */
  writeFileAtomic(path: string, text: string): Promise<void>;
  /** Opens for appending, first cutting the file to `truncateTo` bytes when given. */
  openAppend(path: string, truncateTo?: number): Promise<AppendFile>;
  remove(path: string): Promise<void>;
  /** An absolute, normalised path (the file need not exist). */
  resolvePath(path: string): string;
  /** A directory for temporary files. */
  tempDir(): string;
  /** Calls `handler` on each delivery of `signal`; returns the function that stops it. */
  onSignal(signal: SignalName, handler: () => void): () => void;
  /** Lets the process exit while this timer is pending. */
  unrefTimer(timer: ReturnType<typeof setTimeout>): void;
  /** Ends the process now. */
  exit(code: number): never;
}

/** The command line's capability, one implementation per runtime. */
export interface CommandLinePlatform {
  /** The running process, through the runtime's own API. */
  currentSystem(): CliSystem;
}
