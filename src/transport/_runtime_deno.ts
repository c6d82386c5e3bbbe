// Deno side of the runtime seam. The npm build swaps every `*_deno.ts` import for its
// `*_node.ts` twin, so both files must export the same names and types. Bun running the source
// is handed to `_runtime_bun.ts`.
import { PoolGrowthLimit } from "./_pool_growth_limit.ts";
import * as bun from "./_runtime_bun.ts";
import type {
  EnvironmentRead,
  RuntimeAbilities,
  Transport,
  TransportSettings,
} from "./_runtime_common.ts";
import { sendAttempt } from "./attempt.ts";
import { PROXY_VARIABLES } from "./proxy.ts";

export type { EnvironmentRead, RuntimeAbilities, Transport, TransportSettings };

/**
 * What this runtime can do. Deno cannot switch certificate verification off for one client (only
 * for the whole process, with `--unsafely-ignore-certificate-errors`).
 */
export const runtime: RuntimeAbilities = bun.isBun
  ? bun.abilities
  : { name: "deno", canDisableTlsVerification: false, canUseHttp2: true };

/** The runtime and its version, for the `User-Agent`: `deno 2.9.6`. */
export function runtimeLabel(): string {
  return bun.isBun ? bun.runtimeLabel() : `deno ${Deno.version.deno}`;
}

/**
 * Whether env access is granted, for one variable or for all, asked without prompting: a
 * library must not stop a program to ask its user (`Deno.env.get` would, in a terminal).
 */
function envGranted(variable?: string): boolean {
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
 * Runs `create` with the proxy variables out of the environment. `Deno.createHttpClient` reads
 * them itself when it is called, with its own `NO_PROXY` rules; the client has already decided
 * (`src/transport/proxy.ts`), so they must not count twice. Synchronous, so no other code of this
 * thread sees the gap. Without env permission the client could not read them either, and Deno's
 * own reading stands.
 */
function withoutProxyVariables<T>(create: () => T): T {
  const saved: [string, string][] = [];
  try {
    for (const name of PROXY_VARIABLES) {
      if (!envGranted(name)) continue;
      const value = Deno.env.get(name);
      if (value === undefined) continue;
      Deno.env.delete(name);
      saved.push([name, value]);
    }
  } catch {
    // No env permission: leave the variables to Deno.
  }
  try {
    return create();
  } finally {
    for (const [name, value] of saved) Deno.env.set(name, value);
  }
}

/**
 * A `fetch` bound to one `Deno.HttpClient` (TLS material parsed once, its own pool, HTTP/1.1
 * unless HTTP/2 is asked for: Deno's global fetch would offer HTTP/2 by ALPN), with at most
 * `maxConnections` requests in flight, since Deno's pool has no bound of its own.
 */
export async function createHttpTransport(settings: TransportSettings): Promise<Transport> {
  if (bun.isBun) return await bun.createHttpTransport(settings);
  const { proxy } = settings;
  const client = withoutProxyVariables(() =>
    Deno.createHttpClient({
      caCerts: settings.caCerts ? [...settings.caCerts] : undefined,
      ...(settings.cert && settings.key ? { cert: settings.cert, key: settings.key } : {}),
      ...(settings.http2 === true ? { http1: false, http2: true } : { http2: false }),
      poolMaxIdlePerHost: settings.maxConnections,
      ...(proxy
        ? {
          proxy: {
            url: proxy.url,
            ...(proxy.username !== undefined
              ? { basicAuth: { username: proxy.username, password: proxy.password ?? "" } }
              : {}),
          },
        }
        : {}),
    })
  );
  const boundFetch: typeof fetch = (input, init) => fetch(input, { ...init, client });
  // Deno's pool (hyper) takes a connection back a moment after its answer was read, and a request
  // that finds none idle opens another: the bound is kept by freeing slots only once the
  // connection is back (decision 28).
  const limit = new PoolGrowthLimit(settings.maxConnections);
  return {
    send: (request, limits) =>
      limit.run(() => sendAttempt(boundFetch, request, limits), limits.signal),
    close: () => {
      client.close();
      return Promise.resolve();
    },
  };
}

/** Reads a UTF-8 text file synchronously (used for PEM paths from the environment). */
export function readTextFile(path: string): string {
  return bun.isBun ? bun.readTextFile(path) : Deno.readTextFileSync(path);
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
