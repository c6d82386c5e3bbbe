// Types shared by the runtime seam: `_runtime_deno.ts` (Deno, and Bun running the source),
// `_runtime_node.ts` (the npm build: Node, and Bun running it) and `_runtime_bun.ts`.
import type { AttemptAnswer, AttemptLimits, AttemptRequest } from "./attempt.ts";
import type { ProxySettings } from "./proxy.ts";

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
  /** One attempt, after waiting in order for a free slot (see `_in_flight_limit.ts`). */
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

/** What could be read of the process environment. */
export interface EnvironmentRead {
  /** The variables asked for that could be read (`undefined` when unset). */
  readonly values: Readonly<Record<string, string | undefined>>;
  /** The variables asked for that the runtime did not permit reading. */
  readonly unreadable: readonly string[];
  /** Every variable, when the runtime permits listing them; else `undefined`. */
  readonly all: Readonly<Record<string, string>> | undefined;
}
