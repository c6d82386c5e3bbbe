// The network capability as the rest of the code imports it. Nothing outside `src/platform/`
// imports a runtime's file: this one takes `network_deno.ts` (the npm build swaps in
// `network_node.ts`) and checks it against the one interface, so neither twin can drift from it.
import type {
  NetworkPlatform,
  RuntimeAbilities,
  Transport,
  TransportSettings,
} from "./network_common.ts";
import * as current from "./network_deno.ts";

export type { NetworkPlatform, RuntimeAbilities, Transport, TransportSettings };

const platform: NetworkPlatform = current;

/** What this runtime can do, for the configuration checks. */
export const runtime: RuntimeAbilities = platform.runtime;

/** A client's own transport: its TLS settings made once, its own bounded pool, its proxy. */
export const createHttpTransport: NetworkPlatform["createHttpTransport"] =
  platform.createHttpTransport;
