/**
 * Client options: the public {@linkcode VectorVueConfig}, its defaults, and
 * the one normalisation step that checks everything and reports every problem
 * together.
 *
 * @module
 */

import { readEnvironment, runtime } from "./transport/_runtime_deno.ts";
import { VectorVueConfigError } from "./errors.ts";
import type { RateLimit } from "./delivery/pacer.ts";
import { inspectToken } from "./jwt.ts";
import { type Logger, REDACTED, silentLogger } from "./logger.ts";
import { unknownOptionProblems } from "./option_names.ts";
import {
  DEFAULTS,
  KNOWN_OPTIONS,
  type OptionRule,
  type OptionSpec,
  SECRET_OPTIONS,
  VECTORVUE_OPTIONS,
} from "./options.ts";
import {
  PROXY_VARIABLES,
  type ProxySettings,
  redactUserinfo,
  resolveProxy,
} from "./transport/proxy.ts";
import { appNameProblem, userAgent } from "./user_agent.ts";
import { hooksProblems, type VectorVueHooks } from "./hooks.ts";

export { DEFAULTS, SECRET_OPTIONS };
export type { VectorVueDefaults } from "./options.ts";

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
  readonly maxConnections: number;
  readonly maxRetries: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxBatchSize: number;
  readonly rateLimit: RateLimit | false;
  readonly rateLimitWaitMs: number;
  readonly signatureSecret: string | undefined;
  readonly responseSigningKey: string | undefined;
  readonly requireHttps: boolean;
  readonly maxResponseBytes: number;
  readonly validatePayloads: boolean;
  readonly logger: Logger;
  readonly fetch: typeof fetch | undefined;
  /** The proxy decided from the option and the environment; `null`: connect directly. */
  readonly proxy: ProxySettings | null;
  /** The `User-Agent` header sent. */
  readonly userAgent: string;
  readonly hooks: VectorVueHooks;
}

/**
 * Set by `configFromEnv()` on its result: the variables it could not read
 * (Deno without `--allow-env` for them), so that a configuration lacking what
 * they would have given says which flag to add.
 */
export const UNREADABLE_VARIABLES: unique symbol = Symbol("vectorvue.unreadableVariables");

/** A config that may carry {@linkcode UNREADABLE_VARIABLES}. */
export type ConfigInput = VectorVueConfig & { readonly [UNREADABLE_VARIABLES]?: readonly string[] };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const RULE_WORDS: Partial<Record<OptionRule, string>> = {
  "text": "a non-empty string",
  "uuid": "a UUID (VectorVue's tenant ids are UUIDs)",
  "positive": "a positive number",
  "non-negative": "a non-negative number",
  "positive-integer": "a positive integer",
  "non-negative-integer": "a non-negative integer",
  "boolean": "true or false",
};

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value == null) {
    return String(value);
  }
  return typeof value;
}

/** Whether `value` meets a scalar rule; the structured rules are checked by their parts. */
function meetsRule(rule: OptionRule, value: unknown): boolean {
  switch (rule) {
    case "text":
      return typeof value === "string" && value !== "";
    case "uuid":
      return typeof value === "string" && UUID.test(value);
    case "boolean":
      return typeof value === "boolean";
    case "positive":
    case "non-negative":
    case "positive-integer":
    case "non-negative-integer":
      return typeof value === "number" && Number.isFinite(value) &&
        (rule.startsWith("positive") ? value > 0 : value >= 0) &&
        (!rule.endsWith("integer") || Number.isInteger(value));
    default:
      return true;
  }
}

/**
 * What is wrong with `value` by a scalar option's rule and bound (`must be a UUID …`), or
 * `undefined`; also for `configFromEnv()`, so that a variable is judged in the same round as
 * its format and named itself.
 */
export function scalarProblem(row: OptionSpec, value: unknown): string | undefined {
  const words = RULE_WORDS[row.rule];
  if (value === undefined || words === undefined) return undefined;
  if (!meetsRule(row.rule, value)) return `must be ${words}`;
  if (row.max !== undefined && (value as number) > row.max) {
    return `must be at most ${row.max} (the server's hard limit)`;
  }
  return undefined;
}

/**
 * Every scalar option checked against its row: its value, or its default,
 * or `undefined`. A secret's value is never shown.
 */
function scalarOptions(config: VectorVueConfig, problems: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const row of VECTORVUE_OPTIONS as readonly OptionSpec[]) {
    const given = config[row.name];
    const problem = scalarProblem(row, given);
    if (problem === undefined) {
      values[row.name] = given ?? row.default;
      continue;
    }
    problems.push(`${row.name} ${problem}${row.secret ? "" : `, got ${show(given)}`}`);
    values[row.name] = row.default;
  }
  return values;
}

/** The variables among `names` that `configFromEnv()` could not read, as a sentence end. */
function unreadableNote(config: ConfigInput, names: readonly string[]): string {
  const unreadable = (config[UNREADABLE_VARIABLES] ?? []).filter((name) => names.includes(name));
  if (unreadable.length === 0) return "";
  return `; ${unreadable.join(", ")} could not be read: run Deno with --allow-env=${
    unreadable.join(",")
  } (or --allow-env)`;
}

const envOf = (...options: (keyof VectorVueConfig)[]): string[] =>
  VECTORVUE_OPTIONS.filter((row) => options.includes(row.name))
    .flatMap((row) => row.env === undefined ? [] : [row.env]);

/** Credentials: a token, or username, password and tenantId for login (or both). */
function checkCredentials(
  config: ConfigInput,
  values: Record<string, unknown>,
  problems: string[],
): void {
  // Presence counts, valid or not: a malformed value has its own problem already.
  const { username, password, tenantId } = config;
  const token = values.token as string | undefined;
  const login = [username, password, tenantId].filter((v) => v !== undefined).length;
  if (config.token === undefined && login < 3) {
    problems.push(
      "give either token, or all of username, password and tenantId" +
        unreadableNote(config, envOf("token", "username", "password", "tenantId")),
    );
  } else if ((values.username !== undefined || values.password !== undefined) && login < 3) {
    problems.push("username, password and tenantId go together: give all three or none");
  }
  if (token !== undefined) {
    const info = inspectToken(token, values.tenantId as string | undefined);
    if (typeof info === "string") problems.push(`token: ${info}`);
  }
}

/** The base URL, normalised (no trailing slash), and its origin. */
function resolveBaseUrl(
  config: ConfigInput,
  requireHttps: boolean,
  problems: string[],
): { baseUrl: string; origin: string } {
  const fallback = { baseUrl: DEFAULTS.baseUrl, origin: new URL(DEFAULTS.baseUrl).origin };
  const raw = config.baseUrl ?? DEFAULTS.baseUrl;
  if (config.baseUrl === undefined) {
    const note = unreadableNote(config, envOf("baseUrl"));
    // Falling back to the default silently would send the client to the wrong server.
    if (note !== "") problems.push(`baseUrl is not set${note}`);
  }
  if (typeof raw !== "string" || !URL.canParse(raw)) {
    // An unparseable URL may still hold user:password@: never echo that part.
    const shown = typeof raw === "string" ? raw.replace(/\/\/[^@/]*@/, "//[REDACTED]@") : raw;
    problems.push(`baseUrl must be an absolute URL, got ${show(shown)}`);
    return fallback;
  }
  const url = new URL(raw);
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
  return { baseUrl: `${url.origin}${url.pathname.replace(/\/+$/, "")}`, origin: url.origin };
}

/** The proxy, from the option, else the environment (curl's variables); `null`: none. */
function resolveProxyOption(
  config: ConfigInput,
  baseUrl: string,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): ProxySettings | null {
  const option = config.proxy;
  if (option !== undefined && option !== false && typeof option !== "string") {
    problems.push(`proxy must be a proxy URL or false, got ${show(option)}`);
    return null;
  }
  if (config.fetch !== undefined) {
    if (typeof option === "string") {
      problems.push("proxy cannot apply to an injected fetch; configure it on that fetch instead");
    }
    return null;
  }
  // A base URL that is no http(s) URL ("A:" has the origin "null") is a problem reported already.
  if (!URL.canParse(baseUrl)) return null;
  const decision = resolveProxy(new URL(baseUrl), option, env);
  problems.push(...decision.problems);
  return decision.proxy;
}

/** TLS, protocol, proxy and `fetch`: what the connection pool is made of. */
function resolveTransport(
  config: ConfigInput,
  values: Record<string, unknown>,
  proxy: ProxySettings | null,
  problems: string[],
) {
  const verifyTls = values.verifyTls as boolean;
  // PEM text, or its bytes as read from a file.
  const pemText = (value: unknown): string | undefined => {
    const text = typeof value === "string"
      ? value
      : value instanceof Uint8Array
      ? new TextDecoder().decode(value)
      : undefined;
    return text?.includes("-----BEGIN") ? text : undefined;
  };
  let caCerts: readonly string[] | undefined;
  if (config.caCerts !== undefined) {
    const texts = Array.isArray(config.caCerts) ? config.caCerts.map(pemText) : [undefined];
    if (texts.some((text) => text === undefined)) {
      problems.push(
        "caCerts must be an array of PEM certificates, as text or bytes (-----BEGIN CERTIFICATE-----)",
      );
    } else {
      caCerts = Object.freeze(texts as string[]);
    }
  }
  let tls: ResolvedConfig["tls"];
  if (config.tls !== undefined) {
    const cert = pemText(config.tls?.cert);
    const key = pemText(config.tls?.key);
    if (cert === undefined || key === undefined) {
      problems.push("tls must be { cert, key }, both PEM as text or bytes");
    } else {
      tls = Object.freeze({ cert, key });
    }
  }
  if (!verifyTls && !runtime.canDisableTlsVerification) {
    problems.push(
      "verifyTls: false is not available in Deno, which cannot switch certificate checks off for one client; " +
        "trust your server's CA with caCerts: [pem] instead, or run Deno with --unsafely-ignore-certificate-errors=<host>",
    );
  }
  const http2 = values.http2 as boolean;
  if (http2 && !runtime.canUseHttp2) {
    problems.push(
      `http2: true is not available in ${runtime.name}, whose fetch speaks HTTP/1.1 only; leave http2 unset`,
    );
  }
  const injected = config.fetch;
  if (injected !== undefined && typeof injected !== "function") {
    problems.push(`fetch must be a function, got ${show(injected)}`);
  } else if (
    injected !== undefined &&
    (caCerts !== undefined || tls !== undefined || !verifyTls || config.http2 !== undefined ||
      config.maxConnections !== undefined)
  ) {
    problems.push(
      "caCerts, tls, verifyTls, http2 and maxConnections cannot apply to an injected fetch; configure them on that fetch instead",
    );
  }
  return { caCerts, tls, http2, proxy, fetch: injected };
}

function resolveLogger(config: ConfigInput, problems: string[]): Logger {
  const logger = config.logger ?? silentLogger;
  if (
    logger === null || typeof logger !== "object" ||
    !(["debug", "info", "warn", "error"] as const).every((level) =>
      typeof (logger as unknown as Record<string, unknown>)[level] === "function"
    )
  ) {
    problems.push("logger must have debug, info, warn and error methods");
  }
  return logger;
}

/** `rateLimit`: `false`, or a positive whole `requests` per a positive `windowMs`. */
function resolveRateLimit(value: unknown, problems: string[]): RateLimit | false {
  if (value === undefined) return DEFAULTS.rateLimit as RateLimit;
  if (value === false) return false;
  const { requests, windowMs } = (value ?? {}) as Partial<RateLimit>;
  if (
    typeof value !== "object" || !Number.isInteger(requests) || requests! < 1 ||
    typeof windowMs !== "number" || !Number.isFinite(windowMs) || windowMs <= 0
  ) {
    problems.push(
      `rateLimit must be false or { requests: a positive integer, windowMs: a positive number }, got ${
        typeof value === "object" && value !== null ? JSON.stringify(value) : show(value)
      }`,
    );
    return DEFAULTS.rateLimit as RateLimit;
  }
  return Object.freeze({ requests: requests!, windowMs });
}

/**
 * Checks every option, applies the defaults, and returns the resolved
 * configuration, or throws one {@linkcode VectorVueConfigError} listing every
 * problem.
 */
export function resolveConfig(
  config: ConfigInput,
  env: Readonly<Record<string, string | undefined>> = readEnvironment(PROXY_VARIABLES).values,
): ResolvedConfig {
  if (config === null || typeof config !== "object") {
    throw new VectorVueConfigError(["options must be an object"]);
  }
  const problems = unknownOptionProblems(config, KNOWN_OPTIONS);
  const values = scalarOptions(config, problems);
  checkCredentials(config, values, problems);
  const { baseUrl, origin } = resolveBaseUrl(config, values.requireHttps as boolean, problems);
  const proxy = resolveProxyOption(config, baseUrl, env, problems);
  const transport = resolveTransport(config, values, proxy, problems);
  const logger = resolveLogger(config, problems);
  const rateLimit = resolveRateLimit(config.rateLimit, problems);
  const appProblem = config.appName === undefined ? undefined : appNameProblem(config.appName);
  if (appProblem !== undefined) problems.push(appProblem);
  problems.push(...hooksProblems(config.hooks));
  if (problems.length > 0) throw new VectorVueConfigError(problems);
  const v = values as Record<string, never>;
  return Object.freeze({
    baseUrl,
    origin,
    username: v.username,
    password: v.password,
    tenantId: v.tenantId,
    token: v.token,
    timeoutMs: v.timeoutMs,
    verifyTls: v.verifyTls,
    maxRetries: v.maxRetries,
    backoffMs: v.backoffMs,
    maxBackoffMs: v.maxBackoffMs,
    maxBatchSize: v.maxBatchSize,
    maxConnections: v.maxConnections,
    rateLimit,
    rateLimitWaitMs: v.rateLimitWaitMs,
    signatureSecret: v.signatureSecret,
    responseSigningKey: v.responseSigningKey,
    requireHttps: v.requireHttps,
    maxResponseBytes: v.maxResponseBytes,
    validatePayloads: v.validatePayloads,
    logger,
    userAgent: userAgent(config.appName),
    // A copy: hooks added to the caller's arrays later do not change this client.
    hooks: Object.freeze(
      Object.fromEntries(
        Object.entries(config.hooks ?? {}).flatMap(([phase, list]) =>
          list === undefined ? [] : [[phase, Object.freeze([...list])]]
        ),
      ),
    ),
    ...transport,
  });
}

/**
 * A view of options safe to print: secrets replaced, certificates and
 * functions summarised.
 */
export function redactedView(config: VectorVueConfig | ResolvedConfig): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    if (SECRET_OPTIONS.includes(key)) view[key] = REDACTED;
    else if (key === "caCerts") view[key] = `[${(value as unknown[]).length} PEM certificate(s)]`;
    else if (key === "tls") view[key] = "[client certificate]";
    else if (key === "logger" || key === "fetch" || key === "hooks") view[key] = `[${key}]`;
    // The client refuses credentials in baseUrl, but configFromEnv() hands them over as read.
    else if (key === "baseUrl" && typeof value === "string") view[key] = redactUserinfo(value);
    else if (key === "proxy") {
      view[key] = typeof value === "string"
        ? redactUserinfo(value)
        : value === null || value === false
        ? value
        : (value as ProxySettings).display;
    } else view[key] = value;
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
