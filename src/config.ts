/**
 * Client options: the public {@linkcode VectorVueConfig}, its defaults, and
 * the one normalisation step that checks everything and reports every problem
 * together.
 *
 * @module
 */

import { canDisableTlsVerification, globalFetchIsHttp1Only } from "./_runtime_deno.ts";
import { VectorVueConfigError } from "./errors.ts";
import { inspectToken } from "./jwt.ts";
import { type Logger, REDACTED, silentLogger } from "./logger.ts";

/**
 * Options of {@linkcode VectorVueClient}. Give either `token`, or `username`,
 * `password` and `tenantId` (both is fine: the token is used until it
 * expires, then the client logs in). Durations are milliseconds.
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
  /** Tenant to log in to; checked against the token's `tenant_id` claim. */
  tenantId?: string;
  /** A pre-provisioned bearer JWT. Never logged. */
  token?: string;
  /**
   * Time limit of one attempt, response headers and body included.
   * @default {10000}
   */
  timeoutMs?: number;
  /**
   * Verify the server certificate. `false` works on Node only; in Deno trust
   * a private CA with `caCerts` instead.
   * @default {true}
   */
  verifyTls?: boolean;
  /** Extra trusted CA certificates (PEM), the "controlled local cert mode". */
  caCerts?: readonly string[];
  /** Client certificate and key (PEM) for mutual TLS. */
  tls?: { readonly cert: string; readonly key: string };
  /**
   * HTTP version: `false` HTTP/1.1 only; `true` HTTP/2 (only, in Deno; on
   * Node offered by ALPN, since undici cannot force it). HTTP/1.1 is the
   * default: Deno's fetch stalls about 40 ms on HTTP/2 request bodies of a
   * kilobyte or more (see the README's Performance section), and VectorVue's
   * server speaks HTTP/1.1. In Deno this gives every client its own
   * connection pool: `close()` it when done.
   * @default {false}
   */
  http2?: boolean;
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
  /** Where log records go. Silent when unset. */
  logger?: Logger;
  /** A `fetch` to use instead of the global one (tests, proxies, emulators). */
  fetch?: typeof fetch;
}

/**
 * The option values used when an option is not given.
 *
 * @example
 * ```ts
 * import type { VectorVueDefaults } from "@spectrastrike/vectorvue-client";
 *
 * const worstCaseMs = (d: VectorVueDefaults) => d.timeoutMs * (d.maxRetries + 1);
 * ```
 */
export interface VectorVueDefaults {
  /** Default of `baseUrl`. */
  readonly baseUrl: string;
  /** Default of `timeoutMs`. */
  readonly timeoutMs: number;
  /** Default of `verifyTls`. */
  readonly verifyTls: boolean;
  /** Default of `maxRetries`. */
  readonly maxRetries: number;
  /** Default of `backoffMs`. */
  readonly backoffMs: number;
  /** Default of `maxBackoffMs`. */
  readonly maxBackoffMs: number;
  /** Default of `maxBatchSize`. */
  readonly maxBatchSize: number;
  /** Default of `requireHttps`. */
  readonly requireHttps: boolean;
  /** Default of `maxResponseBytes`. */
  readonly maxResponseBytes: number;
  /** Default of `http2`. */
  readonly http2: boolean;
}

/**
 * The defaults of every option that has one.
 *
 * @example Double the default timeout
 * ```ts
 * import { DEFAULTS, VectorVueClient } from "@spectrastrike/vectorvue-client";
 *
 * const client = new VectorVueClient({
 *   token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln",
 *   timeoutMs: DEFAULTS.timeoutMs * 2,
 * });
 * ```
 */
export const DEFAULTS: VectorVueDefaults = Object.freeze({
  baseUrl: "https://127.0.0.1",
  timeoutMs: 10_000,
  verifyTls: true,
  maxRetries: 3,
  backoffMs: 500,
  maxBackoffMs: 30_000,
  maxBatchSize: 100,
  requireHttps: true,
  maxResponseBytes: 10 * 1024 * 1024,
  http2: false,
});

/** Options after normalisation: defaults applied, everything checked. */
export interface ResolvedConfig {
  readonly baseUrl: string;
  readonly origin: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tenantId: string | undefined;
  readonly token: string | undefined;
  readonly timeoutMs: number;
  readonly verifyTls: boolean;
  readonly caCerts: readonly string[] | undefined;
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  readonly http2: boolean;
  readonly maxRetries: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxBatchSize: number;
  readonly signatureSecret: string | undefined;
  readonly responseSigningKey: string | undefined;
  readonly requireHttps: boolean;
  readonly maxResponseBytes: number;
  readonly logger: Logger;
  readonly fetch: typeof fetch | undefined;
  /** Whether the client needs its own HTTP client for TLS or protocol options. */
  readonly needsOwnHttpClient: boolean;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  "baseUrl",
  "username",
  "password",
  "tenantId",
  "token",
  "timeoutMs",
  "verifyTls",
  "caCerts",
  "tls",
  "http2",
  "maxRetries",
  "backoffMs",
  "maxBackoffMs",
  "maxBatchSize",
  "signatureSecret",
  "responseSigningKey",
  "requireHttps",
  "maxResponseBytes",
  "logger",
  "fetch",
]);

/** Option names whose values are secrets. */
export const SECRET_OPTIONS: readonly string[] = [
  "password",
  "token",
  "signatureSecret",
  "responseSigningKey",
];

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  return typeof value;
}

/**
 * Checks every option, applies the defaults, and returns the resolved
 * configuration, or throws one {@linkcode VectorVueConfigError} listing every
 * problem.
 */
export function resolveConfig(config: VectorVueConfig): ResolvedConfig {
  const problems: string[] = [];
  if (config === null || typeof config !== "object") {
    throw new VectorVueConfigError(["options must be an object"]);
  }
  for (const key of Object.keys(config)) {
    if (!KNOWN_OPTIONS.has(key)) problems.push(`unknown option "${key}"`);
  }

  const optionalString = (name: keyof VectorVueConfig, secret = false): string | undefined => {
    const value = config[name];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "") {
      problems.push(
        `${name} must be a non-empty string${secret ? "" : `, got ${show(value)}`}`,
      );
      return undefined;
    }
    return value;
  };
  const number = (
    name: keyof VectorVueConfig,
    fallback: number,
    rule: "positive" | "non-negative" | "positive-integer" | "non-negative-integer",
  ): number => {
    const value = config[name] ?? fallback;
    const ok = typeof value === "number" && Number.isFinite(value) &&
      (rule.startsWith("positive") ? value > 0 : value >= 0) &&
      (!rule.endsWith("integer") || Number.isInteger(value));
    if (!ok) {
      const words = {
        "positive": "positive number",
        "non-negative": "non-negative number",
        "positive-integer": "positive integer",
        "non-negative-integer": "non-negative integer",
      }[rule];
      problems.push(`${name} must be a ${words}, got ${show(value)}`);
      return fallback;
    }
    return value as number;
  };
  const boolean = (name: keyof VectorVueConfig, fallback: boolean): boolean => {
    const value = config[name] ?? fallback;
    if (typeof value !== "boolean") {
      problems.push(`${name} must be true or false, got ${show(value)}`);
      return fallback;
    }
    return value;
  };

  const username = optionalString("username");
  const password = optionalString("password", true);
  const tenantId = optionalString("tenantId");
  const token = optionalString("token", true);
  const signatureSecret = optionalString("signatureSecret", true);
  const responseSigningKey = optionalString("responseSigningKey", true);
  const timeoutMs = number("timeoutMs", DEFAULTS.timeoutMs, "positive");
  const maxRetries = number("maxRetries", DEFAULTS.maxRetries, "non-negative-integer");
  const backoffMs = number("backoffMs", DEFAULTS.backoffMs, "non-negative");
  const maxBackoffMs = number("maxBackoffMs", DEFAULTS.maxBackoffMs, "non-negative");
  const maxBatchSize = number("maxBatchSize", DEFAULTS.maxBatchSize, "positive-integer");
  const maxResponseBytes = number(
    "maxResponseBytes",
    DEFAULTS.maxResponseBytes,
    "positive-integer",
  );
  const verifyTls = boolean("verifyTls", DEFAULTS.verifyTls);
  const requireHttps = boolean("requireHttps", DEFAULTS.requireHttps);
  const http2 = config.http2;
  if (http2 !== undefined && typeof http2 !== "boolean") {
    problems.push(`http2 must be true, false or unset, got ${show(http2)}`);
  }
  if (maxBatchSize > 1000) {
    problems.push(
      `maxBatchSize must be at most 1000 (the server's hard limit), got ${maxBatchSize}`,
    );
  }

  // Credentials: a token, or the full set for login.
  const credentials = [username, password, tenantId].filter((v) => v !== undefined).length;
  if (token === undefined && credentials < 3) {
    problems.push("give either token, or all of username, password and tenantId");
  } else if (credentials > 0 && credentials < 3) {
    problems.push("username, password and tenantId go together: give all three or none");
  }
  if (token !== undefined) {
    const info = inspectToken(token, tenantId);
    if (typeof info === "string") problems.push(`token: ${info}`);
  }

  // Base URL.
  let baseUrl: string = DEFAULTS.baseUrl;
  let origin = new URL(DEFAULTS.baseUrl).origin;
  const rawBaseUrl = config.baseUrl ?? DEFAULTS.baseUrl;
  let url: URL | undefined;
  if (typeof rawBaseUrl !== "string" || !URL.canParse(rawBaseUrl)) {
    // An unparseable URL may still hold user:password@: never echo that part.
    const shown = typeof rawBaseUrl === "string"
      ? rawBaseUrl.replace(/\/\/[^@/]*@/, "//[REDACTED]@")
      : rawBaseUrl;
    problems.push(`baseUrl must be an absolute URL, got ${show(shown)}`);
  } else {
    url = new URL(rawBaseUrl);
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      problems.push(`baseUrl must be http(s), got ${show(url.protocol)}`);
    } else if (requireHttps && url.protocol !== "https:") {
      problems.push(
        `baseUrl must use https (got ${url.origin}); set requireHttps: false only for a trusted local test server`,
      );
    }
    if (url.username || url.password) {
      problems.push("baseUrl must not carry credentials; use username/password or token");
    }
    if (url.search || url.hash) problems.push("baseUrl must not have a query or fragment");
    baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
    origin = url.origin;
  }

  // TLS.
  let caCerts: readonly string[] | undefined;
  if (config.caCerts !== undefined) {
    if (
      !Array.isArray(config.caCerts) ||
      !config.caCerts.every((pem) => typeof pem === "string" && pem.includes("-----BEGIN"))
    ) {
      problems.push("caCerts must be an array of PEM strings (-----BEGIN CERTIFICATE-----)");
    } else {
      caCerts = Object.freeze([...config.caCerts]);
    }
  }
  let tls: ResolvedConfig["tls"];
  if (config.tls !== undefined) {
    const { cert, key } = config.tls ?? {};
    if (
      typeof cert !== "string" || !cert.includes("-----BEGIN") || typeof key !== "string" ||
      !key.includes("-----BEGIN")
    ) {
      problems.push("tls must be { cert, key } with both PEM strings");
    } else {
      tls = Object.freeze({ cert, key });
    }
  }
  if (!verifyTls && !canDisableTlsVerification) {
    problems.push(
      "verifyTls: false is not available in Deno, which cannot switch certificate checks off for one client; " +
        "trust your server's CA with caCerts: [pem] instead, or run Deno with --unsafely-ignore-certificate-errors=<host>",
    );
  }
  // HTTP/1.1 is the default (see the README's Performance section); where the runtime's own
  // fetch would negotiate HTTP/2, keeping to it takes the client's own pool.
  const protocol = http2 ?? DEFAULTS.http2;
  const needsOwnHttpClient = caCerts !== undefined || tls !== undefined || !verifyTls ||
    protocol === true || !globalFetchIsHttp1Only;
  const injectedFetch = config.fetch;
  if (injectedFetch !== undefined && typeof injectedFetch !== "function") {
    problems.push(`fetch must be a function, got ${show(injectedFetch)}`);
  } else if (
    injectedFetch !== undefined &&
    (caCerts !== undefined || tls !== undefined || !verifyTls || http2 !== undefined)
  ) {
    problems.push(
      "caCerts, tls, verifyTls and http2 cannot apply to an injected fetch; configure them on that fetch instead",
    );
  }
  const logger = config.logger ?? silentLogger;
  if (
    logger === null || typeof logger !== "object" ||
    !(["debug", "info", "warn", "error"] as const).every((level) =>
      typeof (logger as unknown as Record<string, unknown>)[level] === "function"
    )
  ) {
    problems.push("logger must have debug, info, warn and error methods");
  }

  if (problems.length > 0) throw new VectorVueConfigError(problems);
  return Object.freeze({
    baseUrl,
    origin,
    username,
    password,
    tenantId,
    token,
    timeoutMs,
    verifyTls,
    caCerts,
    tls,
    http2: protocol as boolean,
    maxRetries,
    backoffMs,
    maxBackoffMs,
    maxBatchSize,
    signatureSecret,
    responseSigningKey,
    requireHttps,
    maxResponseBytes,
    logger,
    fetch: injectedFetch,
    needsOwnHttpClient: needsOwnHttpClient && injectedFetch === undefined,
  });
}

/**
 * A view of options safe to print: secrets replaced, certificates and
 * functions summarised.
 */
export function redactedView(config: VectorVueConfig | ResolvedConfig): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || key === "needsOwnHttpClient") continue;
    if (SECRET_OPTIONS.includes(key)) view[key] = REDACTED;
    else if (key === "caCerts") view[key] = `[${(value as unknown[]).length} PEM certificate(s)]`;
    else if (key === "tls") view[key] = "[client certificate]";
    else if (key === "logger" || key === "fetch") view[key] = `[${key}]`;
    else view[key] = value;
  }
  return view;
}

const INSPECT_NODE = Symbol.for("nodejs.util.inspect.custom");
const INSPECT_DENO = Symbol.for("Deno.customInspect");

/**
 * Makes an options object safe to print: `JSON.stringify`, `util.inspect`
 * and `Deno.inspect` show secrets as `[REDACTED]`. The properties themselves
 * stay readable and enumerable.
 */
export function withRedactedPrinting<T extends object>(config: T, label = "VectorVueConfig"): T {
  const view = () => redactedView(config as VectorVueConfig);
  const text = () => `${label} ${JSON.stringify(view())}`;
  Object.defineProperty(config, INSPECT_NODE, { value: text, enumerable: false });
  Object.defineProperty(config, INSPECT_DENO, { value: text, enumerable: false });
  Object.defineProperty(config, "toJSON", { value: view, enumerable: false });
  return config;
}
