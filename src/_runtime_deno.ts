// Deno side of the runtime seam. The npm build swaps every `*_deno.ts` import
// for its `*_node.ts` twin, so both files must export the same names and types.
import type { EnvironmentRead, HttpClientHandle, TlsSettings } from "./_runtime_common.ts";
import { PROXY_VARIABLES } from "./transport/proxy.ts";

export type { EnvironmentRead, HttpClientHandle, TlsSettings };

/** Which runtime this build targets. */
export const runtimeName = "deno" as const;

/** The runtime and its version, for the `User-Agent`: `deno 2.9.6`. */
export function runtimeLabel(): string {
  return `deno ${Deno.version.deno}`;
}

/**
 * Deno cannot switch certificate verification off for one client (only for the
 * whole process, with `--unsafely-ignore-certificate-errors`).
 */
export const canDisableTlsVerification = false;

/**
 * Deno's global `fetch` offers HTTP/2 by ALPN, so keeping a client on HTTP/1.1 takes its own
 * HTTP client.
 */
export const globalFetchIsHttp1Only = false;

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

/** Builds a `fetch` bound to a Deno HTTP client carrying the TLS and proxy settings. */
export function createTlsFetch(tls: TlsSettings): Promise<HttpClientHandle> {
  const { proxy } = tls;
  const client = withoutProxyVariables(() =>
    Deno.createHttpClient({
      caCerts: tls.caCerts ? [...tls.caCerts] : undefined,
      ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
      ...(tls.http2 === false ? { http2: false } : {}),
      ...(tls.http2 === true ? { http1: false, http2: true } : {}),
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
  return Promise.resolve({ fetch: boundFetch, close: () => client.close() });
}

/** Reads a UTF-8 text file synchronously (used for PEM paths from the environment). */
export function readTextFile(path: string): string {
  return Deno.readTextFileSync(path);
}

/**
 * Reads the named variables one by one, so that with `--allow-env=A,B` the
 * allowed ones are read and the others are reported as unreadable. `all` is
 * every variable when the whole environment may be listed, else `undefined`.
 */
export function readEnvironment(names: readonly string[]): EnvironmentRead {
  const values: Record<string, string | undefined> = {};
  const unreadable: string[] = [];
  for (const name of names) {
    try {
      values[name] = Deno.env.get(name);
    } catch {
      unreadable.push(name);
    }
  }
  let all: Record<string, string> | undefined;
  try {
    all = Deno.env.toObject();
  } catch {
    all = undefined;
  }
  return { values, unreadable, all };
}

/** Lets the process exit even while this timer is pending. */
export function unrefTimer(id: ReturnType<typeof setTimeout>): void {
  Deno.unrefTimer(id as unknown as number);
}
