/**
 * The one table of client options: name, rule, default, whether it is a
 * secret, its environment variable and that variable's unit. The option
 * checks, {@linkcode DEFAULTS}, `SECRET_OPTIONS`, `ENV_VARIABLES`,
 * `configFromEnv()` and the README's configuration table are all derived from
 * it (a test compares the README with it).
 *
 * @module
 */

import type { VectorVueConfig } from "./vectorvue_config.ts";
import type { RateLimit } from "./delivery/pacer.ts";

/**
 * How an option's value is checked.
 *
 * - `text`: a non-empty string; `uuid`: a UUID (`8-4-4-4-12` hex digits);
 *   `url`: an absolute `http(s)` URL (checked with the base URL's own rules)
 * - `positive`, `non-negative`, `positive-integer`, `non-negative-integer`: numbers
 * - `boolean`: `true` or `false`
 * - `pem-list`, `tls-pair`, `logger`, `function`: checked with the transport
 *   and logger rules
 * - `proxy`: an `http(s)://` proxy URL or `false`; `product-token`: an HTTP
 *   product token (`name/version`); `hooks`: `{ beforeRequest, afterResponse,
 *   beforeRetry }`, arrays of functions
 * - `rate-limit`: `{ requests, windowMs }` or `false`; its variable reads
 *   `<requests>/<window seconds>` or `off`
 *
 * @example
 * ```ts
 * import type { OptionRule } from "./options.ts";
 *
 * const numeric = (rule: OptionRule) => rule.includes("positive") || rule.includes("negative");
 * ```
 */
export type OptionRule =
  | "text"
  | "uuid"
  | "url"
  | "positive"
  | "non-negative"
  | "positive-integer"
  | "non-negative-integer"
  | "boolean"
  | "pem-list"
  | "tls-pair"
  | "logger"
  | "function"
  | "proxy"
  | "product-token"
  | "rate-limit"
  | "hooks";

/**
 * One row of {@linkcode VECTORVUE_OPTIONS}.
 *
 * @example Print every environment variable and its option
 * ```ts
 * import { VECTORVUE_OPTIONS } from "./options.ts";
 *
 * for (const option of VECTORVUE_OPTIONS) {
 *   if (option.env) console.log(`${option.env} sets ${option.name}`);
 * }
 * ```
 */
export interface OptionSpec {
  /** The option's name in {@linkcode VectorVueConfig}. */
  readonly name: keyof VectorVueConfig;
  /** How its value is checked. */
  readonly rule: OptionRule;
  /** The value used when it is not given; absent when there is none. */
  readonly default?: string | number | boolean | RateLimit;
  /** Largest value allowed, for numbers. */
  readonly max?: number;
  /** A secret: never printed, logged or put in an error message. */
  readonly secret?: boolean;
  /** The `VECTORVUE_*` variable `configFromEnv()` reads it from. */
  readonly env?: string;
  /**
   * The variable's unit for a duration: `seconds` (multiplied by 1000 into
   * the option's milliseconds) or `ms`. For `pem-list` the variable is a file path.
   */
  readonly envUnit?: "seconds" | "ms";
  /** What it does, as the README says. */
  readonly meaning: string;
  /** The README's default column where it is not the value itself. */
  readonly defaultText?: string;
}

const TABLE = [
  {
    name: "baseUrl",
    rule: "url",
    default: "https://127.0.0.1",
    env: "VECTORVUE_BASE_URL",
    meaning: "absolute URL; a path prefix is kept; no credentials, query or fragment",
  },
  {
    name: "username",
    rule: "text",
    env: "VECTORVUE_USERNAME",
    meaning: "login user name; `username`, `password` and `tenantId` go together",
  },
  {
    name: "password",
    rule: "text",
    secret: true,
    env: "VECTORVUE_PASSWORD",
    meaning: "login password",
  },
  {
    name: "tenantId",
    rule: "uuid",
    env: "VECTORVUE_TENANT_ID",
    meaning: "tenant to log in to, a UUID; with `token`, it must match the token's `tenant_id`",
  },
  {
    name: "token",
    rule: "text",
    secret: true,
    env: "VECTORVUE_TOKEN",
    meaning: "a pre-provisioned JWT carrying `tenant_id`; used until it expires",
  },
  {
    name: "timeoutMs",
    rule: "positive",
    default: 10_000,
    env: "VECTORVUE_TIMEOUT_SECONDS",
    envUnit: "seconds",
    meaning: "per attempt, response headers **and** body",
  },
  {
    name: "verifyTls",
    rule: "boolean",
    default: true,
    env: "VECTORVUE_VERIFY_TLS",
    meaning:
      "`false` works on Node and Bun; Deno: use `caCerts` (a `VectorVueConfigError` says so)",
  },
  {
    name: "caCerts",
    rule: "pem-list",
    env: "VECTORVUE_CA_CERT",
    meaning:
      "extra trusted CA certificates, PEM text or bytes, added to the bundled roots; the variable is a path to a PEM file",
  },
  {
    name: "tls",
    rule: "tls-pair",
    meaning: "`{ cert, key }` PEM text or bytes, for mutual TLS",
  },
  {
    name: "http2",
    rule: "boolean",
    default: false,
    env: "VECTORVUE_HTTP2",
    meaning:
      "`false` HTTP/1.1, the real server's protocol ([HTTP/1.1 or HTTP/2](../bench/README.md#http11-or-http2)); `true` HTTP/2 (not on Bun)",
  },
  {
    name: "maxConnections",
    rule: "positive-integer",
    default: 10,
    env: "VECTORVUE_MAX_CONNECTIONS",
    meaning:
      "connections (requests in flight) at most; further calls wait in order, and their `timeoutMs` starts once they have one",
  },
  {
    name: "maxRetries",
    rule: "non-negative-integer",
    default: 3,
    env: "VECTORVUE_MAX_RETRIES",
    meaning: "retries after the first attempt",
  },
  {
    name: "backoffMs",
    rule: "non-negative",
    default: 500,
    env: "VECTORVUE_BACKOFF_SECONDS",
    envUnit: "seconds",
    meaning: "base of exponential back-off with full jitter",
  },
  {
    name: "maxBackoffMs",
    rule: "non-negative",
    default: 30_000,
    env: "VECTORVUE_MAX_BACKOFF_SECONDS",
    envUnit: "seconds",
    meaning: "cap of one wait, `Retry-After` included",
  },
  {
    name: "maxBatchSize",
    rule: "positive-integer",
    default: 100,
    max: 1000,
    env: "VECTORVUE_MAX_BATCH_SIZE",
    meaning: "items per batch request (server maximum is 250 by default, 1000 at most)",
  },
  {
    name: "rateLimit",
    rule: "rate-limit",
    default: Object.freeze({ requests: 240, windowMs: 60_000 }),
    defaultText: "240 per 60 s",
    env: "VECTORVUE_RATE_LIMIT",
    meaning:
      "the pacer's starting allowance, `{ requests, windowMs }` (variable: `240/60`); `false`/`off`: no pacing ([Rate limits](rate-limits.md))",
  },
  {
    name: "rateLimitWaitMs",
    rule: "non-negative",
    default: 120_000,
    env: "VECTORVUE_RATE_LIMIT_WAIT_SECONDS",
    envUnit: "seconds",
    meaning: "how long one call may wait for the rate limit; 429s do not spend `maxRetries`",
  },
  {
    name: "signatureSecret",
    rule: "text",
    secret: true,
    env: "VECTORVUE_SIGNATURE_SECRET",
    meaning: "HMAC request signing (`X-Timestamp`, `X-Signature`)",
  },
  {
    name: "responseSigningKey",
    rule: "text",
    secret: true,
    env: "VECTORVUE_RESPONSE_SIGNING_KEY",
    meaning: "verify the server's response signatures",
  },
  {
    name: "requireHttps",
    rule: "boolean",
    default: true,
    env: "VECTORVUE_REQUIRE_HTTPS",
    meaning: "refuse a non-`https:` `baseUrl`",
  },
  {
    name: "maxResponseBytes",
    rule: "positive-integer",
    default: 10 * 1024 * 1024,
    env: "VECTORVUE_MAX_RESPONSE_BYTES",
    meaning: "larger answers are refused, not buffered",
  },
  {
    name: "validatePayloads",
    rule: "boolean",
    default: false,
    env: "VECTORVUE_VALIDATE_PAYLOADS",
    meaning:
      "check events and findings against the server's rules before sending (a 422 is explained either way)",
  },
  {
    name: "logger",
    rule: "logger",
    defaultText: "silent",
    meaning: "anything with `debug/info/warn/error(message, fields)`: `console`, pino, LogTape",
  },
  {
    name: "fetch",
    rule: "function",
    defaultText: "global `fetch`",
    meaning: "injected `fetch` (tests, proxies, the emulator); TLS options cannot apply to it",
  },
  {
    name: "proxy",
    rule: "proxy",
    defaultText: "`HTTPS_PROXY`…",
    meaning:
      "HTTPS proxy URL, credentials allowed (never printed); `false` ignores `HTTPS_PROXY`/`NO_PROXY` ([Proxies](proxies-and-hooks.md#proxies))",
  },
  {
    name: "hooks",
    rule: "hooks",
    meaning:
      "`{ beforeRequest, afterResponse, beforeRetry }`: functions called for every attempt ([Hooks](proxies-and-hooks.md#hooks))",
  },
  {
    name: "appName",
    rule: "product-token",
    env: "VECTORVUE_APP_NAME",
    meaning: "your product token, appended to the `User-Agent` (`spectrastrike-sensor/4.2.0`)",
  },
] as const satisfies readonly OptionSpec[];

/**
 * Every option of {@linkcode VectorVueClient}, in the README's order.
 *
 * @example Find an option's default and variable
 * ```ts
 * import { VECTORVUE_OPTIONS } from "./options.ts";
 * import assert from "node:assert/strict";
 *
 * const timeout = VECTORVUE_OPTIONS.find((option) => option.name === "timeoutMs");
 * assert.equal(timeout?.default, 10_000);
 * assert.equal(timeout?.env, "VECTORVUE_TIMEOUT_SECONDS");
 * ```
 */
export const VECTORVUE_OPTIONS: readonly OptionSpec[] = Object.freeze(TABLE);

type Row = (typeof TABLE)[number];

/**
 * The options that have a default, with the type of their value. Written out (not derived) so
 * the table's vocabulary stays internal; the compiler checks it against the table, both ways.
 *
 * @example
 * ```ts
 * import type { VectorVueDefaults } from "@spectrastrike/vectorvue-client";
 *
 * const worstCaseMs = (d: VectorVueDefaults) => d.timeoutMs * (d.maxRetries + 1);
 * ```
 */
export type VectorVueDefaults = {
  /** Default of {@linkcode VectorVueConfig.baseUrl}. */
  readonly baseUrl: string;
  /** Default of {@linkcode VectorVueConfig.timeoutMs}. */
  readonly timeoutMs: number;
  /** Default of {@linkcode VectorVueConfig.verifyTls}. */
  readonly verifyTls: boolean;
  /** Default of {@linkcode VectorVueConfig.http2}. */
  readonly http2: boolean;
  /** Default of {@linkcode VectorVueConfig.maxConnections}. */
  readonly maxConnections: number;
  /** Default of {@linkcode VectorVueConfig.maxRetries}. */
  readonly maxRetries: number;
  /** Default of {@linkcode VectorVueConfig.backoffMs}. */
  readonly backoffMs: number;
  /** Default of {@linkcode VectorVueConfig.maxBackoffMs}. */
  readonly maxBackoffMs: number;
  /** Default of {@linkcode VectorVueConfig.maxBatchSize}. */
  readonly maxBatchSize: number;
  /** Default of {@linkcode VectorVueConfig.rateLimit}. */
  readonly rateLimit: RateLimit | false;
  /** Default of {@linkcode VectorVueConfig.rateLimitWaitMs}. */
  readonly rateLimitWaitMs: number;
  /** Default of {@linkcode VectorVueConfig.requireHttps}. */
  readonly requireHttps: boolean;
  /** Default of {@linkcode VectorVueConfig.maxResponseBytes}. */
  readonly maxResponseBytes: number;
  /** Default of {@linkcode VectorVueConfig.validatePayloads}. */
  readonly validatePayloads: boolean;
};

type TableDefaulted = Extract<Row, { readonly default: unknown }>["name"];
type DefaultedOption = keyof VectorVueDefaults;
const defaultsAgree:
  [Exclude<TableDefaulted, DefaultedOption>, Exclude<DefaultedOption, TableDefaulted>] extends
    [never, never] ? true : never = true;
void defaultsAgree;
// Each default's type is its option's (without `undefined`), both ways.
type OptionTypes = { readonly [K in DefaultedOption]-?: NonNullable<VectorVueConfig[K]> };
const typesAgree: [OptionTypes, VectorVueDefaults] extends [VectorVueDefaults, OptionTypes] ? true
  : never = true;
void typesAgree;

// Every option of VectorVueConfig has a row (a missing one fails type checking here).
const everyOptionHasARow: Exclude<keyof VectorVueConfig, Row["name"]> extends never ? true
  : never = true;
void everyOptionHasARow;

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
export const DEFAULTS: VectorVueDefaults = Object.freeze(
  Object.fromEntries(
    VECTORVUE_OPTIONS.flatMap((row) => row.default === undefined ? [] : [[row.name, row.default]]),
  ),
) as VectorVueDefaults;

/** Option names whose values are secrets. */
export const SECRET_OPTIONS: readonly string[] = Object.freeze(
  VECTORVUE_OPTIONS.filter((row) => row.secret === true).map((row) => row.name),
);

/**
 * The variables `configFromEnv()` reads, and the option each sets.
 *
 * @example List the variables a deployment may set
 * ```ts
 * import { ENV_VARIABLES } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * assert.equal(ENV_VARIABLES.VECTORVUE_TIMEOUT_SECONDS, "timeoutMs");
 * ```
 */
export const ENV_VARIABLES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    VECTORVUE_OPTIONS.flatMap((row) => row.env === undefined ? [] : [[row.env, row.name]]),
  ),
);
