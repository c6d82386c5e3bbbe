// Node side of the serving seam. The npm build swaps every `*_deno.ts` import for its
// `*_node.ts` twin, so both files export the same names and types.
import type { ConnectionHandler, ServedHttps, ServeHttpsOptions } from "./_serve_common.ts";
import { serveWithNodeApi } from "./_serve_node_api.ts";

export type { ConnectionHandler, ServedHttps, ServeHttpsOptions };

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
