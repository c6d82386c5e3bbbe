// The network capability: the client's own HTTP stack. `network_deno.ts` (Deno, and Bun running
// the source), `network_node.ts` (the npm build: Node, and Bun running it) and `network_bun.ts`
// implement `NetworkPlatform`; `network.ts` checks the one the build picked.
import type { AttemptAnswer, AttemptLimits, AttemptRequest } from "../transport/attempt.ts";
import type { ProxySettings } from "../transport/proxy.ts";

/** What a client's own HTTP transport is made of, read once per client. */
export interface TransportSettings {
  /** Extra trusted CA certificates, PEM, added to the runtime's bundled roots. */
  readonly caCerts?: readonly string[];
  /** `false` switches certificate verification off (Node and Bun only). */
  readonly verifyTls: boolean;
  /** Client certificate chain for mutual TLS, PEM. */
  readonly cert?: string;
  /** Client private key for mutual TLS, PEM. */
  readonly key?: string;
  /** `true`: HTTP/2 (offered by ALPN on Node); `false` or `undefined`: HTTP/1.1 only. */
  readonly http2?: boolean;
  /** Most requests in flight, hence connections, to the origin at once. */
  readonly maxConnections: number;
  /** The proxy to tunnel through; `null` or absent: connect directly, whatever the environment says. */
  readonly proxy?: ProxySettings | null;
}

/** One client's HTTP stack: a bounded connection pool and the one attempt over it. */
export interface Transport {
  /** One attempt, after waiting in order for a free slot (see `transport/_in_flight_limit.ts`). */
  send(request: AttemptRequest, limits: AttemptLimits): Promise<AttemptAnswer>;
  /** Closes the pool; later sends are refused as connection failures. */
  close(): Promise<void>;
}

/** What the runtime can do, for the configuration checks. */
export interface RuntimeAbilities {
  /** Which runtime runs. */
  readonly name: "deno" | "node" | "bun";
  /** Whether `verifyTls: false` can apply to one client. */
  readonly canDisableTlsVerification: boolean;
  /** Whether `http2: true` can be honoured. */
  readonly canUseHttp2: boolean;
}

/** The network capability, one implementation per runtime. */
export interface NetworkPlatform {
  /** What this runtime can do, for the configuration checks. */
  readonly runtime: RuntimeAbilities;
  /** A client's own transport: its TLS settings made once, its own bounded pool, its proxy. */
  createHttpTransport(settings: TransportSettings): Promise<Transport>;
}
