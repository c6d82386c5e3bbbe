// Node side of the process capability: `scripts/build_npm.ts` swaps every `*_deno.ts` import for
// this file; `process.ts` checks that both implement `ProcessPlatform`. Bun running the npm build
// is handed to `process_bun.ts`.
import process from "node:process";
import * as bun from "./process_bun.ts";
import type { EnvironmentRead } from "./process_common.ts";

/** The runtime and its version, for the `User-Agent`: `node 20.20.2`, or `bun 1.4.4` under Bun. */
export function runtimeLabel(): string {
  return bun.isBun ? bun.runtimeLabel() : `node ${process.versions.node}`;
}

/** Reads the named variables; Node can always read and list the whole environment. */
export function readEnvironment(names: readonly string[]): EnvironmentRead {
  const values: Record<string, string | undefined> = {};
  for (const name of names) values[name] = process.env[name];
  return { values, unreadable: [], all: { ...process.env } as Record<string, string> };
}

/** Lets the process exit even while this timer is pending. */
export function unrefTimer(id: ReturnType<typeof setTimeout>): void {
  // Typed as `number` under Deno's types but a `Timeout` object at run time in Node and Bun.
  (id as unknown as { unref?: () => void }).unref?.();
}

/**
 * Calls `listener` once when the process exits (`exit`: the event loop ran dry, or
 * `process.exit()`); returns the function that removes it. Never keeps the process alive.
 */
export function onProcessExit(listener: () => void): () => void {
  process.on("exit", listener);
  return () => void process.off("exit", listener);
}
