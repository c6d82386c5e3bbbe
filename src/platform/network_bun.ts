// Bun side of the network capability. Both `network_deno.ts` (the source, run by Bun) and
// `network_node.ts` (the npm build, run by Bun) hand over to this file when `Bun` exists, so
// that neither `Deno.*` nor undici is reached there: Bun's `import("undici")` yields a stand-in
// whose `Agent` does nothing and whose `fetch` ignores `dispatcher`. Built-in modules come from
// `process.getBuiltinModule`, so that importing this file costs Deno and Node nothing.
import { InFlightLimit } from "../transport/_in_flight_limit.ts";
import type { RuntimeAbilities, Transport, TransportSettings } from "./network_common.ts";
import { sendAttempt, TransportFailure } from "../transport/attempt.ts";
import { PROXY_VARIABLES } from "../transport/proxy.ts";
import { bunProcess } from "./process_bun.ts";

/** Bun's fetch skips verification per request, and speaks HTTP/1.1 only. */
export const abilities: RuntimeAbilities = {
  name: "bun",
  canDisableTlsVerification: true,
  canUseHttp2: false,
};

interface FetchSession {
  readonly fetch: typeof fetch;
  close(): void;
}

type FetchSessionClass = new (init: {
  tls: Record<string, unknown>;
  proxy: { url: string; respectNoProxy: false } | false;
}) => FetchSession;

/**
 * Bun's `fetch` on a `Bun.FetchSession` (Bun ≥ 1.4.2): this client's own pool, its TLS settings
 * made once, its proxy decision (`proxy.ts`) carried out as it is (`false`: directly, whatever
 * HTTPS_PROXY says; an explicit proxy whatever NO_PROXY says). The session's pool has no bound of
 * its own, so the client's is on its requests in flight. Bun's `ca` replaces its bundled roots, so
 * the private CA goes in after the default ones. Older Bun gets the same settings on each request.
 */
export function createHttpTransport(settings: TransportSettings): Promise<Transport> {
  const tlsModule = bunProcess().getBuiltinModule("node:tls");
  const roots = tlsModule.getCACertificates?.("default") ?? tlsModule.rootCertificates;
  const tls = {
    rejectUnauthorized: settings.verifyTls,
    ...(settings.caCerts ? { ca: [...roots, ...settings.caCerts] } : {}),
    ...(settings.cert && settings.key ? { cert: settings.cert, key: settings.key } : {}),
  };
  // Bun's proxy URL carries the credentials.
  const { proxy } = settings;
  const proxyUrl = proxy && proxy.username !== undefined
    ? proxy.url.replace(
      "://",
      `://${encodeURIComponent(proxy.username)}:${encodeURIComponent(proxy.password ?? "")}@`,
    )
    : proxy?.url;
  const Session = (globalThis as unknown as { Bun: { FetchSession?: FetchSessionClass } }).Bun
    .FetchSession;
  const session = Session
    ? new Session({ tls, proxy: proxyUrl ? { url: proxyUrl, respectNoProxy: false } : false })
    : undefined;
  const boundFetch = session ? session.fetch : perRequestFetch(tls, proxyUrl);
  const limit = new InFlightLimit(settings.maxConnections);
  let closed = false;
  return Promise.resolve({
    send: (request, limits) =>
      limit.run(() => {
        if (closed) {
          return Promise.reject(
            new TransportFailure("connection", "the client's connection pool is closed"),
          );
        }
        return sendAttempt(boundFetch, request, limits);
      }, limits.signal),
    close: () => {
      closed = true;
      session?.close();
      return Promise.resolve();
    },
  });
}

/**
 * Bun before `FetchSession`: the settings on every request. Its process-wide pool does not tell a
 * tunnelled connection from a direct one, so a proxied request neither reuses nor leaves one;
 * and its `fetch` reads HTTPS_PROXY and NO_PROXY itself, so they are out of the environment while
 * `fetch` reads it (synchronously, in the call), as in the Deno seam.
 */
function perRequestFetch(tls: Record<string, unknown>, proxyUrl: string | undefined) {
  const extra = proxyUrl ? { tls, proxy: proxyUrl, keepalive: false } : { tls };
  return ((input: string, init: RequestInit) => {
    const env = bunProcess().env;
    const saved: [string, string][] = [];
    for (const name of PROXY_VARIABLES) {
      const value = env[name];
      if (value === undefined) continue;
      delete env[name];
      saved.push([name, value]);
    }
    try {
      return fetch(input, { ...init, ...extra } as RequestInit);
    } finally {
      for (const [name, value] of saved) env[name] = value;
    }
  }) as typeof fetch;
}
