// Types shared by the `_runtime_deno.ts` / `_runtime_node.ts` pair.

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
}

/** A `fetch` with its own connection pool, and the means to close it. */
export interface HttpClientHandle {
  readonly fetch: typeof fetch;
  close(): void;
}
