// Node side of the runtime seam: `scripts/build_npm.ts` swaps every `*_deno.ts`
// import for this file, so it must export the same names and types.
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import process from "node:process";
import { rootCertificates } from "node:tls";
import type { EnvironmentRead, HttpClientHandle, TlsSettings } from "./_runtime_common.ts";

export type { EnvironmentRead, HttpClientHandle, TlsSettings };

/** Which runtime this build targets. */
export const runtimeName = "node" as const;

/** The runtime and its version, for the `User-Agent`: `node 20.20.2`, or `bun 1.2.0` under Bun. */
export function runtimeLabel(): string {
  const { bun } = process.versions as { bun?: string };
  return bun === undefined ? `node ${process.versions.node}` : `bun ${bun}`;
}

/** An undici `Agent` can skip certificate verification for its own connections only. */
export const canDisableTlsVerification = true;

/** Node's global `fetch` (undici) speaks HTTP/1.1 unless told otherwise. */
export const globalFetchIsHttp1Only = true;

/**
 * Builds a `fetch` bound to an undici `Agent` carrying the TLS settings.
 *
 * undici is imported lazily so that clients without TLS options never load it, and its
 * own `fetch` is used because the global one may come from a different undici version
 * that does not accept this `Agent` as `dispatcher`.
 */
export async function createTlsFetch(tls: TlsSettings): Promise<HttpClientHandle> {
  const undici = await import("undici");
  const connect = {
    // Node's `ca` replaces the bundled roots while Deno's `caCerts` adds to them:
    // keep the bundled ones so both runtimes trust the same set.
    ca: tls.caCerts ? [...rootCertificates, ...tls.caCerts] : undefined,
    rejectUnauthorized: tls.verifyTls,
    ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
  };
  // undici cannot refuse HTTP/1.1 once HTTP/2 is allowed, so `true` offers both by ALPN.
  const allowH2 = tls.http2 !== false;
  const { proxy } = tls;
  // Through a proxy the TLS settings apply to the tunnelled connection to VectorVue
  // (`requestTls`); the proxy itself is trusted as the system trusts it.
  const agent = proxy
    ? new undici.ProxyAgent({
      uri: proxy.url,
      ...(proxy.username !== undefined
        ? {
          token: `Basic ${
            Buffer.from(`${proxy.username}:${proxy.password ?? ""}`).toString("base64")
          }`,
        }
        : {}),
      requestTls: connect,
      allowH2,
    })
    : new undici.Agent({ connect, allowH2 });
  // Inputs are URLs: undici would not recognise a `Request` made by Node's built-in copy.
  type UndiciInit = Parameters<typeof undici.fetch>[1];
  const boundFetch =
    ((input: string | URL, init?: RequestInit) =>
      undici.fetch(input, { ...init, dispatcher: agent } as UndiciInit)) as typeof fetch;
  return {
    fetch: boundFetch,
    // Closing waits for in-flight requests; a failure there leaves nothing to clean up.
    close: () => void agent.close().catch(() => {}),
  };
}

/** Reads a UTF-8 text file synchronously (used for PEM paths from the environment). */
export function readTextFile(path: string): string {
  return readFileSync(path, "utf8");
}

/** Reads the named variables; Node can always read and list the whole environment. */
export function readEnvironment(names: readonly string[]): EnvironmentRead {
  const values: Record<string, string | undefined> = {};
  for (const name of names) values[name] = process.env[name];
  return { values, unreadable: [], all: { ...process.env } as Record<string, string> };
}

/** Lets the process exit even while this timer is pending. */
export function unrefTimer(id: ReturnType<typeof setTimeout>): void {
  // Typed as `number` under Deno's types but a `Timeout` object at run time in Node.
  (id as unknown as { unref?: () => void }).unref?.();
}
