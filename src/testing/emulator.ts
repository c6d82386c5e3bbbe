// A VectorVue server emulator (in the spirit of stripe-mock): a web-standard `fetch` handler
// faithful to the server contract, servable over real HTTPS, with fault injection and
// inspection for tests.
import type { EmulatorContext, IncomingRequest } from "./_context.ts";
import { applyFault, type Fault, faultProblems, FaultQueue } from "./_faults.ts";
import { internalServerError } from "./_http.ts";
import { signJwt } from "./_jwt.ts";
import { type EmulatorOptions, normaliseOptions } from "./_options.ts";
import { SlidingWindowLimiter } from "./_rate_limit.ts";
import { dispatch } from "./_router.ts";
import { serveHttps } from "../platform/serving.ts";
import { serveSettings } from "./_serve_options.ts";
import {
  EmulatorStore,
  type StoredClientEvent,
  type StoredEvent,
  type StoredFinding,
} from "./_store.ts";
import { parsePostgresUuid } from "./_uuid.ts";

/**
 * A request as the emulator received it, for assertions on what a client sent.
 *
 * @example Checking that every request carried a bearer token
 * ```ts
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator();
 * const unauthenticated = emulator.requests.filter((r) => !r.headers.authorization);
 * ```
 */
export interface RecordedRequest {
  /** HTTP method, uppercase. */
  readonly method: string;
  /** The URL path as sent (not decoded), without the query. */
  readonly path: string;
  /** Header names in lowercase; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as UTF-8 text ("" when there is none). */
  readonly body: string;
  /** The `User-Agent` header received, `null` without one (as the server's access log shows it). */
  readonly userAgent: string | null;
  /** The emulator's clock when the request arrived (epoch ms). */
  readonly at: number;
}

/**
 * Claims for {@linkcode VectorVueEmulator.issueToken}. Each defaults to what a login of the
 * first user would put in the token; a key given as `undefined` leaves the claim out.
 *
 * @example A token without a tenant
 * ```ts
 * import { createVectorVueEmulator, type TokenClaims } from "@spectrastrike/vectorvue-client/testing";
 *
 * const claims: TokenClaims = { tenant_id: undefined };
 * const token = await createVectorVueEmulator().issueToken(claims);
 * ```
 */
export interface TokenClaims {
  /** Subject (username). */
  readonly sub?: string;
  /** Tenant UUID; `undefined` leaves the claim out. */
  readonly tenant_id?: string | undefined;
  /** Role. */
  readonly role?: string;
  /** Issued at, epoch seconds. */
  readonly iat?: number;
  /** Expiry, epoch seconds. */
  readonly exp?: number;
}

/**
 * Options of {@linkcode VectorVueEmulator.serve}.
 *
 * @example Serving with the test certificate on a random port
 * ```ts ignore
 * import { readFileSync } from "node:fs";
 * import { createVectorVueEmulator, type ServeOptions } from "@spectrastrike/vectorvue-client/testing";
 *
 * const options: ServeOptions = {
 *   cert: readFileSync("tests/fixtures/server.pem", "utf8"),
 *   key: readFileSync("tests/fixtures/server-key.pem", "utf8"),
 * };
 * const server = await createVectorVueEmulator().serve(options);
 * await server.close();
 * ```
 */
export interface ServeOptions {
  /**
   * Address to listen on.
   * @default {"127.0.0.1"}
   */
  readonly hostname?: string;
  /**
   * Port to listen on; 0 picks a free one.
   * @default {0}
   */
  readonly port?: number;
  /** Server certificate chain, PEM. */
  readonly cert: string;
  /** Server private key, PEM (PKCS#8, RSA or EC). */
  readonly key: string;
  /**
   * `false` offers HTTP/1.1 only. Otherwise Deno offers HTTP/2 and HTTP/1.1 by ALPN, and Node
   * does so only when `true` (HTTP/1.1 alone by default).
   */
  readonly http2?: boolean;
}

/**
 * A running HTTPS emulator.
 *
 * @example Closing what was started
 * ```ts ignore
 * import type { ServedEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * declare const server: ServedEmulator;
 * console.log(`listening on ${server.url}`);
 * await server.close();
 * ```
 */
export interface ServedEmulator {
  /** Base URL, like `https://127.0.0.1:43125`. */
  readonly url: string;
  /** Stops the server, ends pending delays and trickles, and closes every connection. */
  close(): Promise<void>;
}

/**
 * An emulated VectorVue server. Create one with {@linkcode createVectorVueEmulator}.
 *
 * @example In-memory: the emulator as a client's `fetch`
 * ```ts
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator();
 * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
 * const response = await fetchImpl("https://127.0.0.1/api/v1/client/auth/login", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ username: "operator", password: "operator-password" }),
 * });
 * const { access_token } = await response.json();
 * ```
 */
export interface VectorVueEmulator {
  /**
   * Answers one request the way the server would. `info.remoteAddr` is the client IP the rate
   * limiter counts (default `"127.0.0.1"`). A `drop: "before-response"` fault rejects with a
   * `TypeError`, as `fetch` does on a network error.
   */
  fetch(request: Request, info?: { readonly remoteAddr?: string }): Promise<Response>;
  /** Listens over real HTTPS (Deno and Node) until `close()`. */
  serve(options: ServeOptions): Promise<ServedEmulator>;
  /** Queues a fault for the next `count` matching requests (see {@linkcode Fault}). */
  inject(fault: Fault): void;
  /** Drops every queued fault (an outage ends), leaving stored data and the log alone. */
  clearFaults(): void;
  /** Every request received, in order (cleared by `reset()`). */
  readonly requests: ReadonlyArray<RecordedRequest>;
  /** Stored events of a tenant (default: the first user's). */
  events(tenantId?: string): StoredEvent[];
  /** Stored findings of a tenant (default: the first user's). */
  findings(tenantId?: string): StoredFinding[];
  /** Stored client telemetry events of a tenant (default: the first user's). */
  clientEvents(tenantId?: string): StoredClientEvent[];
  /** Mints a JWT with the emulator's secret (for expired, foreign-tenant or claim-less tokens). */
  issueToken(claims?: TokenClaims): Promise<string>;
  /** Clears stored data, idempotency keys, status records, rate limits, faults and the log. */
  reset(): void;
  /** The first user's credentials and tenant. */
  readonly defaults: {
    readonly username: string;
    readonly password: string;
    readonly tenantId: string;
  };
}

const lenientUtf8 = new TextDecoder();

// Starlette matches routes on the percent-decoded path.
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function hostForUrl(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

/**
 * Creates a VectorVue server emulator: a web-standard handler faithful to the server contract
 * (login, bearer guard, optional request signing, envelopes, validation, deterministic ids,
 * idempotency, batches, status records, response signatures, rate limits, `X-Request-ID`), with
 * fault injection and inspection for tests.
 *
 * @param options Server settings; every one is optional.
 * @returns The emulator.
 * @throws {TypeError} When an option is invalid (all problems in one message).
 *
 * @example Sending an event through the emulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator();
 * const token = await emulator.issueToken();
 * const response = await emulator.fetch(
 *   new Request("https://127.0.0.1/api/v1/integrations/spectrastrike/events", {
 *     method: "POST",
 *     headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
 *     body: JSON.stringify({
 *       source_system: "spectrastrike-sensor",
 *       event_type: "PROCESS_ANOMALY",
 *       occurred_at: "2026-02-22T10:00:00Z",
 *       severity: "high",
 *       asset_ref: "host-nyc-01",
 *       message: "Unexpected parent-child process chain",
 *     }),
 *   }),
 * );
 * assert.equal(response.status, 202);
 * assert.equal(emulator.events().length, 1);
 * ```
 */
export function createVectorVueEmulator(options?: EmulatorOptions): VectorVueEmulator {
  const config = normaliseOptions(options);
  const ctx: EmulatorContext = {
    config,
    store: new EmulatorStore(),
    integrationLimiter: config.integrationLimit === undefined
      ? undefined
      : new SlidingWindowLimiter(
        config.integrationLimit.requests,
        config.integrationLimit.windowMs,
      ),
    clientEventLimiter: config.clientEventsPerMinute === undefined
      ? undefined
      : new SlidingWindowLimiter(config.clientEventsPerMinute),
  };
  const faults = new FaultQueue(config.now);
  const requests: RecordedRequest[] = [];
  const firstUser = config.users[0];

  // `signals` end pending delays and trickled bodies: the request's own, and the server's.
  async function handle(
    request: Request,
    remoteAddr: string,
    signals: readonly AbortSignal[],
  ): Promise<Response | null> {
    const url = new URL(request.url);
    const body = new Uint8Array(await request.arrayBuffer());
    requests.push({
      method: request.method,
      path: url.pathname,
      headers: Object.fromEntries(request.headers),
      body: lenientUtf8.decode(body),
      userAgent: request.headers.get("user-agent"),
      at: config.now(),
    });
    const run = async () => {
      const incoming: IncomingRequest = {
        request,
        body,
        path: decodePath(url.pathname),
        remoteAddr,
        nowMs: config.now(),
      };
      try {
        return await dispatch(ctx, incoming);
      } catch {
        // As Starlette's ServerErrorMiddleware answers any unhandled exception.
        return internalServerError(config.now());
      }
    };
    const fault = faults.take(url.pathname);
    return fault === undefined ? run() : applyFault(fault, config.now, signals, run);
  }

  const tenantOrDefault = (tenantId?: string) =>
    tenantId === undefined ? firstUser.tenantId : parsePostgresUuid(tenantId) ?? tenantId;

  return {
    async fetch(request, info) {
      if (request.signal.aborted) throw request.signal.reason;
      const response = await handle(request, info?.remoteAddr ?? "127.0.0.1", [request.signal]);
      if (response === null) {
        throw new TypeError(
          "error sending request: connection closed before message completed (emulated fault)",
        );
      }
      return response;
    },

    async serve(serveOptions) {
      const { hostname, port, cert, key, http2 } = serveSettings(serveOptions);
      const closing = new AbortController();
      const served = await serveHttps(
        (request, { remoteAddr, disconnected }) =>
          handle(
            request,
            remoteAddr,
            disconnected ? [disconnected, closing.signal] : [closing.signal],
          ),
        { hostname, port, cert, key, http2 },
      );
      return {
        url: `https://${hostForUrl(hostname)}:${served.port}`,
        async close() {
          closing.abort(new Error("emulator server closed"));
          await served.close();
        },
      };
    },

    inject(fault) {
      const problems = faultProblems(fault);
      if (problems.length > 0) {
        throw new TypeError(`Cannot inject the fault: ${problems.join("; ")}`);
      }
      faults.add(fault);
    },

    clearFaults() {
      faults.clear();
    },

    get requests() {
      return requests;
    },

    events: (tenantId) => ctx.store.events(tenantOrDefault(tenantId)),
    findings: (tenantId) => ctx.store.findings(tenantOrDefault(tenantId)),
    clientEvents: (tenantId) => ctx.store.clientEvents(tenantOrDefault(tenantId)),

    issueToken(claims = {}) {
      const iat = typeof claims.iat === "number" ? claims.iat : Math.floor(config.now() / 1000);
      const defaults: Record<string, unknown> = {
        sub: firstUser.username,
        tenant_id: firstUser.tenantId,
        role: firstUser.role,
        iat,
        exp: iat + config.tokenTtlSeconds,
      };
      const payload: Record<string, unknown> = {};
      for (const name of Object.keys(defaults)) {
        const given = Object.hasOwn(claims, name);
        const value = given ? (claims as Record<string, unknown>)[name] : defaults[name];
        if (value !== undefined) payload[name] = value;
      }
      payload.iss = "vectorvue-client-api";
      return signJwt(payload, config.jwtSecret);
    },

    reset() {
      ctx.store.clear();
      ctx.integrationLimiter?.clear();
      ctx.clientEventLimiter?.clear();
      faults.clear();
      requests.length = 0;
    },

    defaults: Object.freeze({
      username: firstUser.username,
      password: firstUser.password,
      tenantId: firstUser.tenantId,
    }),
  };
}
