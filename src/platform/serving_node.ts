// Node side of the serving capability: `scripts/build_npm.ts` swaps every `*_deno.ts` import for
// this file; `serving.ts` checks that both implement `ServingPlatform`.
import type {
  ConnectionHandler,
  ServedHttps,
  ServeHttpOptions,
  ServeHttpsOptions,
} from "./serving_common.ts";
import { serveWithNodeApi } from "./serving_node_api.ts";

/**
 * Serves `handler` over HTTPS with `node:https` (HTTP/1.1), or `node:http2` with HTTP/1.1
 * fallback when `http2` is `true`. Drops destroy the socket (or reset the HTTP/2 stream).
 */
export function serveHttps(
  handler: ConnectionHandler,
  options: ServeHttpsOptions,
): Promise<ServedHttps> {
  return serveWithNodeApi(handler, options);
}

/** Serves `handler` over plain HTTP/1.1 with `node:http`. */
export function serveHttp(
  handler: ConnectionHandler,
  options: ServeHttpOptions,
): Promise<ServedHttps> {
  return serveWithNodeApi(handler, options);
}
