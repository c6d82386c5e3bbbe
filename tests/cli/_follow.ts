// Driving a Follower on real files in a temporary directory: no sleeping to synchronise; a pull
// waits for the lines the test expects, bounded in time so a missing line fails instead of
// hanging, and a marker line written last proves that nothing else (no repeat) came before it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { currentSystem } from "../../src/platform/command_line.ts";
import type { CliSystem } from "../../src/platform/command_line.ts";
import {
  type FollowedLine,
  Follower,
  type FollowEvent,
  type FollowOptions,
} from "../../cli/follow.ts";

/** A follower, its iterator and the events it emitted. */
export interface Followed {
  readonly follower: Follower;
  readonly events: FollowEvent[];
  /** Pulls until `count` lines came (fails after `ms`). */
  take(count: number, ms?: number): Promise<FollowedLine[]>;
  /** Pulls until a line with text `marker` came; returns the lines before it. */
  until(marker: string, ms?: number): Promise<FollowedLine[]>;
  /** Events of `kind`. */
  of(kind: FollowEvent["kind"]): FollowEvent[];
  close(): Promise<void>;
}

/** Starts following with small intervals (tests do not wait for the defaults). */
export function follow(
  options: Partial<FollowOptions> & Pick<FollowOptions, "patterns">,
  system: CliSystem = currentSystem(),
): Followed {
  const events: FollowEvent[] = [];
  const follower = new Follower(system, {
    fromStart: true,
    positions: new Map(),
    pollMs: 5,
    rescanMs: 5,
    lingerMs: 60_000,
    ...options,
    onEvent: (event) => events.push(event),
  });
  const iterator = follower.lines();
  let pending: Promise<IteratorResult<readonly FollowedLine[]>> | undefined;
  const buffered: FollowedLine[] = [];
  const pullOnce = async (deadline: number): Promise<boolean> => {
    pending ??= iterator.next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, deadline - Date.now()));
    });
    const result = await Promise.race([pending, timeout]);
    clearTimeout(timer);
    if (result === "timeout") return false;
    pending = undefined;
    if (result.done) return false;
    buffered.push(...result.value);
    return true;
  };
  const take = async (count: number, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (buffered.length < count) {
      if (!(await pullOnce(deadline))) {
        throw new Error(
          `expected ${count} lines, got ${buffered.length}: ${
            JSON.stringify(buffered.map((line) => line.text))
          }; events ${JSON.stringify(events)}`,
        );
      }
    }
    return buffered.splice(0, count);
  };
  const until = async (marker: string, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const at = buffered.findIndex((line) => line.text === marker);
      if (at >= 0) return buffered.splice(0, at + 1).slice(0, at);
      if (!(await pullOnce(deadline))) {
        throw new Error(
          `no ${marker} after ${JSON.stringify(buffered.map((line) => line.text))}; ` +
            `events ${JSON.stringify(events)}`,
        );
      }
    }
  };
  return {
    follower,
    events,
    take,
    until,
    of: (kind) => events.filter((event) => event.kind === kind),
    close: () => follower.close(),
  };
}

/** A temporary directory, removed by `remove`. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(`${tmpdir()}/vectorvue-follow-`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Texts of lines. */
export const texts = (lines: readonly FollowedLine[]): string[] => lines.map((line) => line.text);
