// Node side of the network capability: `scripts/build_npm.ts` swaps every `*_deno.ts` import for
// this file; `network.ts` checks that both implement `NetworkPlatform`. Bun running the npm build
// is handed to `network_bun.ts`.
import { Buffer } from "node:buffer";
import * as nodeTls from "node:tls";
import type { Dispatcher } from "undici";
import { InFlightLimit } from "../transport/_in_flight_limit.ts";
import * as bun from "./network_bun.ts";
import { isBun } from "./process_bun.ts";
import type { RuntimeAbilities, Transport, TransportSettings } from "./network_common.ts";
import {
  type AttemptAnswer,
  type AttemptRequest,
  readCapped,
  responseTooLarge,
  runAttempt,
} from "../transport/attempt.ts";

/** What this runtime can do: an undici `Agent` skips verification for its own connections only. */
export const runtime: RuntimeAbilities = isBun
  ? bun.abilities
  : { name: "node", canDisableTlsVerification: true, canUseHttp2: true };

/** The roots a private CA is added to: Node's bundled ones, plus `NODE_EXTRA_CA_CERTS` where known. */
function defaultRoots(): readonly string[] {
  // `getCACertificates` is Node >= 22.15; on Node 20 the bundled roots are what there is.
  const tls = nodeTls as typeof nodeTls & { getCACertificates?(kind: "default"): string[] };
  return tls.getCACertificates?.("default") ?? nodeTls.rootCertificates;
}

/**
 * undici's dispatcher API (`Agent.request`), which costs far less per request than any `fetch`,
 * on one secure context made once per client: given TLS options instead, Node parses them, and
 * every bundled root certificate with a private CA, again for each new connection. The agent's
 * pool holds at most `maxConnections` connections per origin; requests beyond them wait in
 * order in this client's queue, so that the attempt deadline starts when a request has a slot.
 *
 * undici is imported here, not at the top, so that Bun never reaches it.
 */
export async function createHttpTransport(settings: TransportSettings): Promise<Transport> {
  if (isBun) return bun.createHttpTransport(settings);
  const undici = await import("undici");
  const secureContext = nodeTls.createSecureContext({
    // Node's `ca` replaces the default roots while Deno's `caCerts` adds to them: keep the
    // default ones so that every runtime trusts the same set.
    ...(settings.caCerts ? { ca: [...defaultRoots(), ...settings.caCerts] } : {}),
    ...(settings.cert && settings.key ? { cert: settings.cert, key: settings.key } : {}),
  });
  const connect = { secureContext, rejectUnauthorized: settings.verifyTls };
  const pool = {
    connections: settings.maxConnections,
    // undici cannot refuse HTTP/1.1 once HTTP/2 is allowed, so `true` offers both by ALPN.
    allowH2: settings.http2 === true,
    // The attempt's own deadline covers headers and body; undici's must not cut it shorter.
    headersTimeout: 0,
    bodyTimeout: 0,
  };
  const { proxy } = settings;
  // Through a proxy the TLS settings apply to the tunnelled connection to VectorVue
  // (`requestTls`); the proxy itself is trusted as the system trusts it.
  const agent: Dispatcher = proxy
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
      ...pool,
    })
    : new undici.Agent({ connect, ...pool });
  const limit = new InFlightLimit(settings.maxConnections);
  return {
    send: (request, limits) =>
      limit.run(
        () =>
          runAttempt(
            (signal) => requestOnce(agent, request, limits.maxResponseBytes, signal),
            request.url,
            limits,
          ),
        limits.signal,
      ),
    // Closing waits for requests in flight; a failure there leaves nothing to clean up.
    close: () => agent.close().catch(() => {}),
  };
}

async function requestOnce(
  agent: Dispatcher,
  request: AttemptRequest,
  maxBytes: number,
  signal: AbortSignal,
): Promise<AttemptAnswer> {
  const url = new URL(request.url);
  // undici follows no redirect unless told to, so a 3xx comes back as it is.
  const response = await agent.request({
    origin: url.origin,
    path: url.pathname + url.search,
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal,
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value != null) headers[name] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  const { body } = response;
  // Destroying the body (over the size cap) or aborting the request (deadline, caller) makes it
  // emit `error`; the reads below see the failure, and no listener would make it uncaught.
  body.on("error", () => {});
  const declared = Number(headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    body.destroy();
    throw responseTooLarge(maxBytes, declared);
  }
  // The request API does not decompress, and the client asks for no encoding: Content-Length
  // counts the bytes read, so a declared length is read in one call.
  if ("content-length" in headers && Number.isFinite(declared)) {
    return { status: response.statusCode, headers, text: await body.text() };
  }
  const chunks = body[Symbol.asyncIterator]();
  const text = await readCapped(
    async () => {
      const { value, done } = await chunks.next();
      return done ? undefined : value as Uint8Array;
    },
    maxBytes,
    () => void body.destroy(),
  );
  return { status: response.statusCode, headers, text };
}
