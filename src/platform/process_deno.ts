// Deno side of the process capability. The npm build swaps every `*_deno.ts` import for its
// `*_node.ts` twin; `process.ts` checks that both implement `ProcessPlatform`. Bun running the
// source is handed to `process_bun.ts`.
import * as bun from "./process_bun.ts";
import type { EnvironmentRead } from "./process_common.ts";

/** The runtime and its version, for the `User-Agent`: `deno 2.9.6`. */
export function runtimeLabel(): string {
  return bun.isBun ? bun.runtimeLabel() : `deno ${Deno.version.deno}`;
}

/**
 * Whether env access is granted, for one variable or for all, asked without prompting: a
 * library must not stop a program to ask its user (`Deno.env.get` would, in a terminal).
 */
export function envGranted(variable?: string): boolean {
  try {
    const descriptor: Deno.EnvPermissionDescriptor = variable === undefined
      ? { name: "env" }
      : { name: "env", variable };
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/**
 * Reads the named variables one by one, so that with `--allow-env=A,B` the
 * allowed ones are read and the others are reported as unreadable. `all` is
 * every variable when the whole environment may be listed, else `undefined`.
 * Permission is only queried, never prompted for.
 */
export function readEnvironment(names: readonly string[]): EnvironmentRead {
  if (bun.isBun) return bun.readEnvironment(names);
  const values: Record<string, string | undefined> = {};
  const unreadable: string[] = [];
  for (const name of names) {
    try {
      if (!envGranted(name)) throw new Deno.errors.NotCapable(name);
      values[name] = Deno.env.get(name);
    } catch {
      unreadable.push(name);
    }
  }
  let all: Record<string, string> | undefined;
  try {
    all = envGranted() ? Deno.env.toObject() : undefined;
  } catch {
    all = undefined;
  }
  return { values, unreadable, all };
}

/** Lets the process exit even while this timer is pending. */
export function unrefTimer(id: ReturnType<typeof setTimeout>): void {
  // A number in Deno; an object with `unref()` where Bun runs this file.
  if (typeof id === "number") Deno.unrefTimer(id);
  else (id as { unref?: () => void }).unref?.();
}

/**
 * Calls `listener` once when the process exits (Deno's `unload` event: the event loop ran dry,
 * or `Deno.exit()`); returns the function that removes it. Never keeps the process alive.
 */
export function onProcessExit(listener: () => void): () => void {
  if (bun.isBun) return bun.onProcessExit(listener);
  globalThis.addEventListener("unload", listener);
  return () => globalThis.removeEventListener("unload", listener);
}
