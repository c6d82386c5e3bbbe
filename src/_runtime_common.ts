// Types shared by the `_runtime_deno.ts` / `_runtime_node.ts` pair.
import type { ProxySettings } from "./transport/proxy.ts";

/** TLS settings that the runtime turns into a dedicated HTTP client. */
export interface TlsSettings {
  /** Extra trusted CA certificates, PEM. */
  readonly caCerts?: readonly string[];
  /** `false` switches certificate verification off (Node only). */
  readonly verifyTls: boolean;
  /** Client certificate chain for mutual TLS, PEM. */
  readonly cert?: string;
  /** Client private key for mutual TLS, PEM. */
  readonly key?: string;
  /** `true`: HTTP/2 only; `false`: HTTP/1.1 only; `undefined`: negotiate by ALPN. */
  readonly http2?: boolean;
  /** The proxy to tunnel through; `null` or absent: connect directly, whatever the environment says. */
  readonly proxy?: ProxySettings | null;
}

/** A `fetch` with its own connection pool, and the means to close it. */
export interface HttpClientHandle {
  readonly fetch: typeof fetch;
  close(): void;
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
