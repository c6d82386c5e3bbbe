// Deno side of the runtime seam. The npm build swaps every `*_deno.ts` import
// for its `*_node.ts` twin, so both files must export the same names and types.
import type { EnvironmentRead, HttpClientHandle, TlsSettings } from "./_runtime_common.ts";

export type { EnvironmentRead, HttpClientHandle, TlsSettings };

/** Which runtime this build targets. */
export const runtimeName = "deno" as const;

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

/** Builds a `fetch` bound to a Deno HTTP client carrying the TLS settings. */
export function createTlsFetch(tls: TlsSettings): Promise<HttpClientHandle> {
  const client = Deno.createHttpClient({
    caCerts: tls.caCerts ? [...tls.caCerts] : undefined,
    ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
    ...(tls.http2 === false ? { http2: false } : {}),
    ...(tls.http2 === true ? { http1: false, http2: true } : {}),
  });
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
