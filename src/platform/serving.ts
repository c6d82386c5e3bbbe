// The serving capability as the rest of the code imports it. Nothing outside `src/platform/`
// imports a runtime's file: this one takes `serving_deno.ts` (the npm build swaps in
// `serving_node.ts`) and checks it against the one interface, so neither twin can drift from it.
import {
  type ConnectionHandler,
  type ConnectionInfo,
  markStreamed,
  type ServedHttps,
  type ServeHttpOptions,
  type ServeHttpsOptions,
  type ServingPlatform,
} from "./serving_common.ts";
import * as current from "./serving_deno.ts";

export type {
  ConnectionHandler,
  ConnectionInfo,
  ServedHttps,
  ServeHttpOptions,
  ServeHttpsOptions,
  ServingPlatform,
};
export { markStreamed };

const platform: ServingPlatform = current;

/** Serves `handler` over HTTPS until `close()`. */
export const serveHttps: ServingPlatform["serveHttps"] = platform.serveHttps;

/** Serves `handler` over plain HTTP until `close()` (a local endpoint: metrics, health). */
export const serveHttp: ServingPlatform["serveHttp"] = platform.serveHttp;
