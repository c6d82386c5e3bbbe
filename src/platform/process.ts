// The process capability as the rest of the code imports it. Nothing outside `src/platform/`
// imports a runtime's file: this one takes `process_deno.ts` (the npm build swaps in
// `process_node.ts`) and checks it against the one interface, so neither twin can drift from it.
import {
  type EnvironmentRead,
  type HostIdentity,
  processExists,
  type ProcessPlatform,
} from "./process_common.ts";
import * as current from "./process_deno.ts";

export type { EnvironmentRead, HostIdentity, ProcessPlatform };
export { processExists };

const platform: ProcessPlatform = current;

/** The runtime and its version, for the `User-Agent`: `deno 2.9.6`, `node 20.20.2`, `bun 1.4.4`. */
export const runtimeLabel: ProcessPlatform["runtimeLabel"] = platform.runtimeLabel;

/** The named variables, read without prompting; see {@linkcode EnvironmentRead}. */
export const readEnvironment: ProcessPlatform["readEnvironment"] = platform.readEnvironment;

/** Lets the process exit even while this timer is pending. */
export const unrefTimer: ProcessPlatform["unrefTimer"] = platform.unrefTimer;

/** Calls `listener` once when the process exits; returns the function that removes it. */
export const onProcessExit: ProcessPlatform["onProcessExit"] = platform.onProcessExit;
