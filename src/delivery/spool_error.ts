/**
 * The errors of a batcher's durable spool.
 *
 * @module
 */
import { VectorVueError } from "../errors.ts";

/**
 * Why a spool operation failed: the disk is full (`no_space`, also a disk quota), the process may
 * not write there (`permission_denied`), the file system is mounted read-only (`read_only`),
 * another process holds the directory (`locked`), an item is larger than the spool can ever hold
 * (`too_large`), or any other input/output failure (`io`).
 */
export type SpoolFailure =
  | "no_space"
  | "permission_denied"
  | "read_only"
  | "locked"
  | "too_large"
  | "io";

/**
 * A batcher's spool could not do its work, so `add()` did not make the item durable (the item is
 * not in the spool's care: keep it or retry). Never a silent drop.
 *
 * @example Tell a full disk from the rest
 * ```ts
 * import assert from "node:assert/strict";
 * import { VectorVueSpoolError } from "@spectrastrike/vectorvue-client";
 *
 * const error = new VectorVueSpoolError("no_space", "cannot write the spool: no space left", {
 *   code: "ENOSPC",
 *   path: "/var/spool/vectorvue/segment-000000000001.log",
 * });
 * assert.equal(error.reason, "no_space");
 * assert.equal(error.code, "ENOSPC");
 * ```
 */
export class VectorVueSpoolError extends VectorVueError {
  /** What went wrong, as one of a few words a program can branch on. */
  readonly reason: SpoolFailure;
  /** The operating system's error code, such as `ENOSPC` or `EROFS`, when it gave one. */
  readonly code: string | undefined;
  /** The file or directory concerned. */
  readonly path: string | undefined;

  /** Creates the error. */
  constructor(
    reason: SpoolFailure,
    message: string,
    options: ErrorOptions & { readonly code?: string; readonly path?: string } = {},
  ) {
    super(message, options);
    this.reason = reason;
    this.code = options.code;
    this.path = options.path;
  }
}

/**
 * Another batcher, in this process or another, holds the spool directory: one process (and one
 * batcher) per directory.
 *
 * @example Name the process that holds the spool
 * ```ts
 * import assert from "node:assert/strict";
 * import { VectorVueSpoolLockedError } from "@spectrastrike/vectorvue-client";
 *
 * const error = new VectorVueSpoolLockedError("/var/spool/vectorvue", 4242);
 * assert.equal(error.pid, 4242);
 * assert.match(error.message, /process 4242/);
 * ```
 */
export class VectorVueSpoolLockedError extends VectorVueSpoolError {
  /** The id of the process holding the lock. */
  readonly pid: number;

  /**
   * Creates the error for `dir`, held by process `pid` (on `host`, when the holder is in another
   * PID namespace or on another host sharing the volume: its pid is then its own namespace's).
   */
  constructor(
    dir: string,
    pid: number,
    options: { readonly sameProcess?: boolean; readonly host?: string } = {},
  ) {
    super(
      "locked",
      options.sameProcess
        ? `the spool directory ${dir} is already used by another batcher of this process (${pid})`
        : `the spool directory ${dir} is locked by process ${pid}${
          options.host ? ` of ${options.host} (another host or PID namespace)` : ""
        }; one process per spool directory`,
      { path: dir },
    );
    this.pid = pid;
  }
}

const REASONS: Readonly<Record<string, SpoolFailure>> = {
  ENOSPC: "no_space",
  EDQUOT: "no_space",
  EACCES: "permission_denied",
  EPERM: "permission_denied",
  EROFS: "read_only",
};

/** The OS error code of a runtime error (`Deno.errors.*` and Node errors both carry one). */
export function osCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Wraps a file-system failure as a typed spool error naming what was being done where. */
export function spoolErrorFrom(error: unknown, doing: string, path: string): VectorVueSpoolError {
  if (error instanceof VectorVueSpoolError) return error;
  const code = osCode(error);
  const reason = (code === undefined ? undefined : REASONS[code]) ?? "io";
  const detail = error instanceof Error ? error.message : String(error);
  return new VectorVueSpoolError(reason, `cannot ${doing} ${path}: ${detail}`, {
    code,
    path,
    cause: error,
  });
}
