/**
 * What a {@linkcode Follower} hands out and takes: lines, events, options and lag figures.
 * `cli/follow.ts` re-exports all of them.
 *
 * @module
 */

/** One line of a followed file. */
export interface FollowedLine {
  /**
   * The file's identity (`dev:ino:length:hash`, see `cli/file_identity.ts`): stable across
   * renames and restarts, so the spool records positions by it.
   */
  readonly source: string;
  /** The name it was read under. */
  readonly path: string;
  /** The line, without "\n" (and without a trailing "\r"); invalid UTF-8 is U+FFFD. */
  readonly text: string;
  /** Byte offset of the line's start. */
  readonly offset: number;
  /** Byte offset just past its newline: the position to record. */
  readonly end: number;
}

/**
 * What changed. `found`: a new file is followed (its source is settled); `resumed`: a known
 * source is read on at a recovered position (after a restart, or from a copy of a truncated
 * file); `copy`: a file with the head of a followed one is taken for its copy and not read on its
 * own; `rotated`: the file's name now holds another file, or it was renamed (`newPath`);
 * `gone`: nothing is at its name any more (it is still read to its end); `closed`: we let go of
 * a file that lost its name; `truncated`: the file shrank below our position or its head changed
 * (read from 0 as a new source); `unreadable`: a matched path cannot be opened or is not a
 * regular file (reported once while it lasts), or a followed file failed to read (it is let go
 * and resumed at its position when a look finds it again); `line-too-long`: a line over `maxLineBytes` was skipped; `invalid-utf8`: a line
 * was not UTF-8 (shipped with U+FFFD); `deferred`: a file waits for an open-file slot.
 */
export type FollowEventKind =
  | "found"
  | "resumed"
  | "copy"
  | "rotated"
  | "gone"
  | "closed"
  | "truncated"
  | "unreadable"
  | "line-too-long"
  | "invalid-utf8"
  | "deferred";

/** One structured event per state change (the `ship` command logs them). */
export interface FollowEvent {
  readonly kind: FollowEventKind;
  /** The file's name when it happened. */
  readonly path: string;
  /** The file's source, "" when it has none yet (an empty file, one never opened). */
  readonly source: string;
  /** `rotated`: the file's new name when it was renamed within the patterns. */
  readonly newPath?: string;
  /** A byte position: where reading starts or stopped, where a skipped line starts. */
  readonly position?: number;
  /**
   * A byte count: `truncated`, bytes seen but not read before the truncation (lost unless a
   * copy is found); `line-too-long`, the skipped line's length with its newline (absent when the line was
   * still unterminated when skipped: one event per line either way); `closed`, an unterminated last
   * line left unread.
   */
  readonly bytes?: number;
  /** For people: why, what follows. */
  readonly reason?: string;
}

/** How to follow. */
export interface FollowOptions {
  /**
   * Paths or globs (`*`, `?`, `[...]`, `[!...]` in any segment, see `cli/follow_glob.ts`);
   * relative ones from the working directory. A literal path is watched even while absent.
   */
  readonly patterns: readonly string[];
  /** Where to start in files found by the first look and unknown to `positions`. */
  readonly fromStart: boolean;
  /** Where to resume, by source (recovered from the spool). */
  readonly positions: ReadonlyMap<string, number>;
  /** How often files are looked at for growth, rotation and truncation. @default {250} */
  readonly pollMs?: number;
  /** How often globs are expanded again (also at once when a followed file loses its name). @default {1000} */
  readonly rescanMs?: number;
  /** Longer lines are skipped and reported, never blocking the file. @default {1048576} */
  readonly maxLineBytes?: number;
  /** How long a file that lost its name is still read after its last growth. @default {5000} */
  readonly lingerMs?: number;
  /** At most this many files are open at once (see the follower's documentation). @default {256} */
  readonly maxOpenFiles?: number;
  /**
   * With `fromStart: false`, where the start of every new file is kept before its first line is
   * handed out (see `cli/follow_starts.ts`), e.g. in the state directory. Without it, a file seen
   * for the first time whose lines did not reach the spool before a stop starts at its end again.
   */
  readonly startsFile?: string;
  readonly onEvent?: (event: FollowEvent) => void;
  readonly signal?: AbortSignal;
  /** The clock, in ms (tests give their own). @default {Date.now} */
  readonly now?: () => number;
}

/** How far behind one followed file is (for `/metrics`). */
export interface FileLag {
  readonly path: string;
  readonly source: string;
  /** Its size at the last look. */
  readonly size: number;
  /** The end of what was handed out (or skipped). */
  readonly position: number;
  readonly lagBytes: number;
  /** Age of the oldest byte not handed out yet, as first seen by a look. */
  readonly lagSeconds: number;
}
