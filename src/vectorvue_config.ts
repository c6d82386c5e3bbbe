/**
 * The public {@linkcode VectorVueConfig}: what users type their options
 * against. Its rows (rule, default, variable) are in `options.ts`; a test
 * compares each `@default` tag here with that table.
 *
 * @module
 */

import type { RateLimit } from "./delivery/pacer.ts";
import type { Logger } from "./logger.ts";
import type { VectorVueHooks } from "./hooks.ts";

/**
 * Options of {@linkcode VectorVueClient}. Give either `token`, or `username`,
 * `password` and `tenantId` (both is fine: the token is used until it
 * expires, then the client logs in; `token` with `tenantId` alone is fine
 * too when they match). Durations are milliseconds. Every option is listed,
 * with its rule, default and environment variable, in `VECTORVUE_OPTIONS`.
 *
 * @example Credentials, a private CA and signing
 * ```ts
 * import type { VectorVueConfig } from "@spectrastrike/vectorvue-client";
 *
 * const config: VectorVueConfig = {
 *   baseUrl: "https://vectorvue.internal",
 *   username: "spectrastrike",
 *   password: "from-your-secret-store",
 *   tenantId: "10000000-0000-0000-0000-000000000001",
 *   signatureSecret: "shared-signing-secret",
 *   timeoutMs: 5_000,
 * };
 * ```
 */
export interface VectorVueConfig {
  /**
   * Base URL of VectorVue, absolute; a path prefix is kept (for a proxy).
   * @default {"https://127.0.0.1"}
   */
  baseUrl?: string;
  /** Login user name. */
  username?: string;
  /** Login password. Never logged. */
  password?: string;
  /** Tenant to log in to, a UUID; checked against the token's `tenant_id` claim. */
  tenantId?: string;
  /** A pre-provisioned bearer JWT. Never logged. */
  token?: string;
  /**
   * Time limit of one attempt, response headers and body included.
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * Verify the server certificate. `false` works on Node and Bun; in Deno
   * trust a private CA with `caCerts` instead.
   * @default {true}
   */
  verifyTls?: boolean;
  /**
   * Extra trusted CA certificates, PEM text or its bytes (`readFileSync(path)`),
   * added to the runtime's bundled roots: the "controlled local cert mode".
   * Parsed once per client.
   */
  caCerts?: readonly (string | Uint8Array)[];
  /** Client certificate and key for mutual TLS, PEM text or its bytes. */
  tls?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array };
  /**
   * HTTP version: `false` HTTP/1.1 only; `true` HTTP/2 (only, in Deno; on
   * Node offered by ALPN, since undici cannot force it; not available in
   * Bun, whose fetch speaks HTTP/1.1 only). HTTP/1.1 is the default: Deno's
   * fetch stalls about 40 ms on HTTP/2 request bodies of a kilobyte or more
   * (see the README's Performance section), and VectorVue's server speaks
   * HTTP/1.1.
   * @default {false}
   */
  http2?: boolean;
  /**
   * Most connections the client opens to the server (requests in flight at
   * once). Calls beyond it wait, in the order they came, for a free
   * connection; their `timeoutMs` starts once they have one. Every client
   * has its own connection pool: `close()` it when done.
   * @default {10}
   */
  maxConnections?: number;
  /**
   * Retries after the first attempt, for connection errors, timeouts and
   * 429/502/503/504.
   * @default {3}
   */
  maxRetries?: number;
  /**
   * Base of the exponential back-off (full jitter).
   * @default {500}
   */
  backoffMs?: number;
  /**
   * Cap of one back-off wait, `Retry-After` included.
   * @default {30000}
   */
  maxBackoffMs?: number;
  /**
   * Largest batch the client sends in one request.
   * @default {100}
   */
  maxBatchSize?: number;
  /**
   * The server's request limit on the integration routes, which the client's
   * pacer keeps to (a burst up to `requests` goes at once), sharing it with
   * others on the address and learning a shorter window; `false` turns pacing
   * off. See `docs/rate-limits.md`.
   * @default {{ requests: 240, windowMs: 60000 }}
   */
  rateLimit?: RateLimit | false;
  /**
   * How long one call may wait for the rate limit (429s and the pacer) before
   * it fails with `VectorVueRateLimitError`; its `signal` can end it sooner.
   * 429s do not spend `maxRetries`.
   * @default {120000}
   */
  rateLimitWaitMs?: number;
  /** Shared secret for request signing (`X-Timestamp`, `X-Signature`). Never logged. */
  signatureSecret?: string;
  /** Key to verify the server's response signatures with. Never logged. */
  responseSigningKey?: string;
  /**
   * Refuse a `baseUrl` that is not `https:`.
   * @default {true}
   */
  requireHttps?: boolean;
  /**
   * Largest response body read; a larger one is refused, not buffered.
   * @default {10485760}
   */
  maxResponseBytes?: number;
  /**
   * Check events and findings against the server's rules before sending
   * them, and refuse a payload the server would refuse with a
   * `VectorVueSerializationError` whose `problems` list what is wrong,
   * without sending anything. Off by default: the server stays the source of
   * truth, and a 422 is explained with the same rules either way.
   * @default {false}
   */
  validatePayloads?: boolean;
  /** Where log records go. Silent when unset. */
  logger?: Logger;
  /** A `fetch` to use instead of the global one (tests, proxies, emulators). */
  fetch?: typeof fetch;
  /**
   * The HTTPS proxy to tunnel through (`http://user:password@proxy:3128`;
   * credentials are never printed or logged). It overrides `HTTPS_PROXY`,
   * `ALL_PROXY` and `NO_PROXY`; `false` ignores them and connects directly.
   * Unset: the environment decides, as for curl. See the README's Proxies section.
   */
  proxy?: string | false;
  /**
   * Functions called for every attempt, for tracing and metrics
   * (`beforeRequest`, `afterResponse`, `beforeRetry`). See the README's Hooks section.
   */
  hooks?: VectorVueHooks;
  /**
   * Your application's product token, appended to the `User-Agent`
   * (`vectorvue-client/0.1.0 (deno 2.9.6) spectrastrike-sensor/4.2.0`).
   */
  appName?: string;
}
