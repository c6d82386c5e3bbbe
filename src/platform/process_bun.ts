// Bun side of the process capability. `process_deno.ts` (the source, run by Bun) and
// `process_node.ts` (the npm build, run by Bun) hand over to this file when `Bun` exists, so
// that no `Deno.*` is reached there. Built-in modules come from `process.getBuiltinModule`, so
// that importing this file costs Deno and Node nothing.
import type { EnvironmentRead } from "./process_common.ts";

/** The part of Bun's `process` the Bun files use. */
export interface BunProcess {
  readonly env: Record<string, string | undefined>;
  readonly versions: { readonly bun: string };
  on(event: "exit", listener: () => void): unknown;
  off(event: "exit", listener: () => void): unknown;
  getBuiltinModule(name: "node:fs"): { readFileSync(path: string, encoding: "utf8"): string };
  getBuiltinModule(name: "node:tls"): {
    readonly rootCertificates: readonly string[];
    getCACertificates?(kind: "default"): string[];
  };
}

/** Whether Bun runs this code. */
export const isBun: boolean = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** Bun's `process`, read when called (the global exists only in Bun and Node). */
export const bunProcess = (): BunProcess =>
  (globalThis as unknown as { process: BunProcess }).process;

/** Reads the named variables; Bun can always read and list the whole environment. */
export function readEnvironment(names: readonly string[]): EnvironmentRead {
  const { env } = bunProcess();
  const values: Record<string, string | undefined> = {};
  for (const name of names) values[name] = env[name];
  return { values, unreadable: [], all: { ...env } as Record<string, string> };
}

/** The runtime and its version, for the `User-Agent`: `bun 1.4.4`. */
export function runtimeLabel(): string {
  return `bun ${bunProcess().versions.bun}`;
}

/** Calls `listener` once when the process exits (Bun's `exit` event); returns its remover. */
export function onProcessExit(listener: () => void): () => void {
  const process = bunProcess();
  process.on("exit", listener);
  return () => void process.off("exit", listener);
}
