/**
 * Client options: the public {@linkcode VectorVueConfig}, its defaults, and
 * the one normalisation step that checks everything and reports every problem
 * together.
 *
 * @module
 */

import { runtime } from "./platform/network.ts";
import { readEnvironment } from "./platform/process.ts";
import { VectorVueConfigError } from "./errors.ts";
import type { RateLimit } from "./delivery/pacer.ts";
import { inspectToken } from "./jwt.ts";
import { type Logger, REDACTED, silentLogger } from "./logger.ts";
import { DEFAULTS, SECRET_OPTIONS, VECTORVUE_OPTIONS } from "./options.ts";
import { readOptions, show } from "./option_rules.ts";
import type { VectorVueConfig } from "./vectorvue_config.ts";
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
export type { VectorVueConfig } from "./vectorvue_config.ts";

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
  // Its type is checked by its row.
  const injected = config.fetch;
  if (
    typeof injected === "function" &&
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
  // Every scalar option checked against its row: its value, or its default, or `undefined`.
  const { values, problems } = readOptions(config, VECTORVUE_OPTIONS);
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
