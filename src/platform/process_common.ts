// The process capability: what the library asks of the running process (its environment, its
// runtime's name, its exit, its timers, other processes). `process_deno.ts` (Deno, and Bun
// running the source), `process_node.ts` (the npm build: Node, and Bun running it) and
// `process_bun.ts` implement `ProcessPlatform`; `process.ts` checks the one the build picked.
import process from "node:process";

/** What could be read of the process environment. */
export interface EnvironmentRead {
  /** The variables asked for that could be read (`undefined` when unset). */
  readonly values: Readonly<Record<string, string | undefined>>;
  /** The variables asked for that the runtime did not permit reading. */
  readonly unreadable: readonly string[];
  /** Every variable, when the runtime permits listing them; else `undefined`. */
  readonly all: Readonly<Record<string, string>> | undefined;
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

/** The process capability, one implementation per runtime. */
export interface ProcessPlatform {
  /** The runtime and its version, for the `User-Agent`: `deno 2.9.6`, `node 20.20.2`, `bun 1.4.4`. */
  runtimeLabel(): string;
  /**
   * Reads the named variables one by one: those the runtime's permissions hide are `unreadable`
   * (never prompted for); `all` is every variable when they may be listed.
   */
  readEnvironment(names: readonly string[]): EnvironmentRead;
  /** Lets the process exit even while this timer is pending. */
  unrefTimer(id: ReturnType<typeof setTimeout>): void;
  /**
   * Calls `listener` once when the process exits (the event loop ran dry, or an explicit exit);
   * returns the function that removes it. Never keeps the process alive.
   */
  onProcessExit(listener: () => void): () => void;
}

/**
 * Whether a process with this id exists (it may belong to another user). The same in every
 * runtime: Deno has no signal 0, but its `node:process` `kill(pid, 0)` only asks, as Node's and
 * Bun's do.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}
