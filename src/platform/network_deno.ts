// Deno side of the network capability. The npm build swaps every `*_deno.ts` import for its
// `*_node.ts` twin; `network.ts` checks that both implement `NetworkPlatform`. Bun running the
// source is handed to `network_bun.ts`.
import { PoolGrowthLimit } from "../transport/_pool_growth_limit.ts";
import * as bun from "./network_bun.ts";
import { isBun } from "./process_bun.ts";
import type { RuntimeAbilities, Transport, TransportSettings } from "./network_common.ts";
import { envGranted } from "./process_deno.ts";
import { sendAttempt } from "../transport/attempt.ts";
import { PROXY_VARIABLES } from "../transport/proxy.ts";

/**
 * What this runtime can do. Deno cannot switch certificate verification off for one client (only
 * for the whole process, with `--unsafely-ignore-certificate-errors`).
 */
export const runtime: RuntimeAbilities = isBun
  ? bun.abilities
  : { name: "deno", canDisableTlsVerification: false, canUseHttp2: true };

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
  if (isBun) return await bun.createHttpTransport(settings);
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
