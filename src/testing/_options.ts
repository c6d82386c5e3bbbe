// Emulator options: the public types, the defaults, and their one-time normalisation into the
// configuration the routes read (the server's environment variables, in effect).
import { pythonStrip } from "../payloads/_python_text.ts";
import { parsePostgresUuid } from "./_uuid.ts";
import {
  defaultsOf,
  type OptionRow,
  problemText,
  readOptions,
  type Voice,
} from "../option_rules.ts";

/**
 * A user the emulator accepts at `POST /api/v1/client/auth/login`.
 *
 * @example A second user in another tenant
 * ```ts
 * import {
 *   createVectorVueEmulator,
 *   EMULATOR_DEFAULTS,
 *   type EmulatorUser,
 * } from "@spectrastrike/vectorvue-client/testing";
 *
 * const other: EmulatorUser = {
 *   username: "other",
 *   password: "other-password",
 *   tenantId: "20000000-0000-0000-0000-000000000002",
 *   role: "viewer",
 * };
 * const emulator = createVectorVueEmulator({ users: [EMULATOR_DEFAULTS, other] });
 * ```
 */
export interface EmulatorUser {
  /** Login name (the JWT `sub`). */
  readonly username: string;
  /** Password, compared exactly. */
  readonly password: string;
  /** The one tenant this user may log in to (a UUID). */
  readonly tenantId: string;
  /**
   * The JWT `role` claim.
   * @default {"viewer"}
   */
  readonly role?: string;
}

/**
 * Options of {@linkcode createVectorVueEmulator}; each mirrors a server setting.
 *
 * @example Signing on, small batches, a fixed clock
 * ```ts
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * let now = Date.parse("2026-02-22T10:00:00Z");
 * const emulator = createVectorVueEmulator({
 *   signatureSecret: "shared-secret",
 *   complianceSigningKey: "compliance-key",
 *   maxBatchSize: 10,
 *   rateLimit: false,
 *   now: () => now,
 * });
 * now += 60_000;
 * ```
 */
export interface EmulatorOptions {
  /**
   * Users that can log in.
   * @default {[{ username: "operator", password: "operator-password", tenantId: "10000000-0000-0000-0000-000000000001", role: "operator" }]}
   */
  readonly users?: readonly EmulatorUser[];
  /**
   * Tenants the server knows (`active: false` makes login answer 403 "Tenant is inactive").
   * A token for a tenant not listed here passes the bearer guard (the server does not check)
   * but storing anything for it fails with a 500, as the database's foreign key does.
   * @default {every user's tenant, active}
   */
  readonly tenants?: readonly { readonly id: string; readonly active?: boolean }[];
  /**
   * HS256 secret for JWTs (`VV_CLIENT_JWT_SECRET`).
   * @default {a random secret per emulator}
   */
  readonly jwtSecret?: string;
  /**
   * Token lifetime and the login's `expires_in`.
   * @default {43200}
   */
  readonly tokenTtlSeconds?: number;
  /**
   * Turns on the request-signature check on the four POST integration routes
   * (`VV_SPECTRASTRIKE_SIGNATURE_SECRET`).
   */
  readonly signatureSecret?: string;
  /**
   * Allowed `X-Timestamp` skew (`VV_SPECTRASTRIKE_SIGNATURE_MAX_SKEW_SECONDS`).
   * @default {300}
   */
  readonly signatureMaxSkewSeconds?: number;
  /** Turns on response signatures (`VV_COMPLIANCE_SIGNING_KEY`). */
  readonly complianceSigningKey?: string;
  /**
   * Largest accepted batch (`VV_SPECTRASTRIKE_MAX_BATCH_SIZE`), clamped to 1..1000 as the server
   * does.
   * @default {250}
   */
  readonly maxBatchSize?: number;
  /**
   * The server's request limits, `false` for none. `requests` per `windowMs` (a sliding window:
   * a request counts for `windowMs` after it arrived; refused requests do not count) per client
   * IP over every `/api/v1/integrations/spectrastrike/*` route, status included, answered
   * `429 {"detail":"Rate limit exceeded"}` without `Retry-After`; `clientEventsPerMinute` per
   * tenant and user on `/api/v1/client/events`. Tests can keep the real average with a shorter
   * window: `{ requests: 20, windowMs: 5_000 }`.
   * @default {{ requests: 240, windowMs: 60000, clientEventsPerMinute: 120 }}
   */
  readonly rateLimit?:
    | false
    | {
      readonly requests?: number;
      readonly windowMs?: number;
      readonly clientEventsPerMinute?: number;
    };
  /**
   * The clock, in epoch milliseconds. It drives JWT `iat`/`exp`, the signature skew check, the
   * `Date` header, `signed_at`, status timestamps and the rate-limit windows.
   * @default {Date.now}
   */
  readonly now?: () => number;
}

/** The default user, the one the emulator accepts when `users` is not given. */
const DEFAULT_USER = Object.freeze({
  username: "operator",
  password: "operator-password",
  tenantId: "10000000-0000-0000-0000-000000000001",
  role: "operator",
});

/** The emulator's voice (Deno std's wording, which it has always had). */
export const EMULATOR_VOICE: Voice = {
  kind: "option",
  quote: "'",
  lead: ": current value is ",
  quoteSubject: true,
};

/** `EmulatorOptions`, row for row (a test compares the `@default` tags with it). */
export const EMULATOR_OPTIONS: readonly OptionRow[] = Object.freeze([
  // Checked entry by entry below (the server's own parsing), in the same voice.
  { name: "users", rule: "any", default: [DEFAULT_USER] },
  { name: "tenants", rule: "any" },
  { name: "jwtSecret", rule: "string" },
  { name: "tokenTtlSeconds", rule: "integer", min: 1, default: 43_200 },
  { name: "signatureSecret", rule: "string" },
  { name: "signatureMaxSkewSeconds", rule: "integer", min: 0, default: 300 },
  { name: "complianceSigningKey", rule: "string" },
  // Any integer: the server clamps it to 1..1000 rather than refusing it.
  { name: "maxBatchSize", rule: "integer", default: 250 },
  {
    name: "rateLimit",
    rule: "object",
    default: { requests: 240, windowMs: 60_000, clientEventsPerMinute: 120 },
  },
  { name: "now", rule: "function" },
]);

const TABLE_DEFAULTS = defaultsOf(EMULATOR_OPTIONS) as {
  tokenTtlSeconds: number;
  signatureMaxSkewSeconds: number;
  maxBatchSize: number;
  rateLimit: { requests: number; windowMs: number; clientEventsPerMinute: number };
};

/** `EmulatorOptions.rateLimit` when an object; its defaults are the `rateLimit` row's. */
const RATE_LIMIT_OPTIONS: readonly OptionRow[] = Object.freeze(
  (["requests", "windowMs", "clientEventsPerMinute"] as const).map((name) => ({
    name,
    rule: "integer" as const,
    min: 1,
    default: TABLE_DEFAULTS.rateLimit[name],
  })),
);

/** `EmulatorUser`, row for row. */
export const EMULATOR_USER_OPTIONS: readonly OptionRow[] = Object.freeze([
  { name: "username", rule: "text" },
  { name: "password", rule: "text" },
  { name: "tenantId", rule: "uuid" },
  { name: "role", rule: "any", default: "viewer" },
]);

/**
 * The emulator's defaults, including the one user it accepts when `users` is not given.
 *
 * @example Logging in with the default user
 * ```ts
 * import { EMULATOR_DEFAULTS } from "@spectrastrike/vectorvue-client/testing";
 *
 * const body = JSON.stringify({
 *   username: EMULATOR_DEFAULTS.username,
 *   password: EMULATOR_DEFAULTS.password,
 * });
 * ```
 */
export const EMULATOR_DEFAULTS: {
  readonly username: string;
  readonly password: string;
  readonly tenantId: string;
  readonly role: string;
  readonly tokenTtlSeconds: number;
  readonly signatureMaxSkewSeconds: number;
  readonly maxBatchSize: number;
  readonly integrationRequests: number;
  readonly integrationWindowMs: number;
  readonly clientEventsPerMinute: number;
} = Object.freeze({
  ...DEFAULT_USER,
  tokenTtlSeconds: TABLE_DEFAULTS.tokenTtlSeconds,
  signatureMaxSkewSeconds: TABLE_DEFAULTS.signatureMaxSkewSeconds,
  maxBatchSize: TABLE_DEFAULTS.maxBatchSize,
  integrationRequests: TABLE_DEFAULTS.rateLimit.requests,
  integrationWindowMs: TABLE_DEFAULTS.rateLimit.windowMs,
  clientEventsPerMinute: TABLE_DEFAULTS.rateLimit.clientEventsPerMinute,
});

/** A user after normalisation (canonical tenant id, role filled in). */
export interface ConfiguredUser {
  readonly username: string;
  readonly password: string;
  readonly tenantId: string;
  readonly role: string;
}

/** Normalised options: what the routes read. */
export interface EmulatorConfig {
  readonly users: readonly ConfiguredUser[];
  /** Canonical tenant id → active. */
  readonly tenants: ReadonlyMap<string, boolean>;
  readonly jwtSecret: string;
  readonly tokenTtlSeconds: number;
  readonly signatureSecret: string | undefined;
  readonly signatureMaxSkewSeconds: number;
  readonly complianceSigningKey: string | undefined;
  readonly maxBatchSize: number;
  /** `undefined` when rate limiting is off. */
  readonly integrationLimit: { readonly requests: number; readonly windowMs: number } | undefined;
  readonly clientEventsPerMinute: number | undefined;
  readonly now: () => number;
}

function randomSecret(): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** A problem in the emulator's voice: `'<subject>' must be <requirement>: current value is …`. */
function say(problems: string[], name: string, words: string, value: unknown): void {
  problems.push(problemText({ name, rule: "any" }, `must be ${words}`, value, EMULATOR_VOICE));
}

/** The users, each checked as the server reads it (its strip, PostgreSQL's UUID input). */
function readUsers(raw: unknown, problems: string[]): ConfiguredUser[] {
  if (!Array.isArray(raw) || raw.length === 0) say(problems, "users", "a non-empty array", raw);
  const users: ConfiguredUser[] = [];
  for (const [index, user] of (Array.isArray(raw) ? raw : []).entries()) {
    const at = `users[${index}].`;
    if (user === null || typeof user !== "object") {
      say(problems, `users[${index}]`, "an object", user);
      continue;
    }
    // Other names are let be: `EMULATOR_DEFAULTS` is a user too, with the emulator's defaults.
    const tenantId = parsePostgresUuid(String(user.tenantId));
    if (typeof user.username !== "string" || pythonStrip(user.username) === "") {
      say(problems, `${at}username`, "a non-empty string", user.username);
    }
    if (typeof user.password !== "string" || user.password === "") {
      say(problems, `${at}password`, "a non-empty string", user.password);
    }
    if (tenantId === undefined) say(problems, `${at}tenantId`, "a UUID", user.tenantId);
    if (users.some((other) => other.username === user.username)) {
      say(problems, `${at}username`, "unique", user.username);
    }
    const role = user.role ?? defaultsOf(EMULATOR_USER_OPTIONS).role;
    users.push({
      username: user.username,
      password: user.password,
      tenantId: tenantId ?? "",
      role,
    });
  }
  return users;
}

/** The tenants: canonical id → active; every user's tenant, active, when not given. */
function readTenants(
  raw: EmulatorOptions["tenants"],
  users: readonly ConfiguredUser[],
  problems: string[],
): Map<string, boolean> {
  const tenants = new Map<string, boolean>();
  if (raw === undefined) {
    for (const user of users) tenants.set(user.tenantId, true);
  } else if (!Array.isArray(raw)) {
    say(problems, "tenants", "an array", raw);
  } else {
    for (const [index, tenant] of raw.entries()) {
      const id = parsePostgresUuid(String(tenant?.id));
      if (id === undefined) say(problems, `tenants[${index}].id`, "a UUID", tenant?.id);
      else tenants.set(id, tenant.active ?? true);
    }
  }
  return tenants;
}

/** `rateLimit`: `false`, or its limits with the defaults filled in. */
function readRateLimit(raw: unknown, problems: string[]) {
  if (raw === false) return undefined;
  if (raw !== undefined && (typeof raw !== "object" || raw === null)) {
    say(problems, "rateLimit", "false or an object", raw);
  }
  const given = typeof raw === "object" && raw !== null ? raw : {};
  const read = readOptions(given, RATE_LIMIT_OPTIONS, { ...EMULATOR_VOICE, path: "rateLimit." });
  problems.push(...read.problems);
  return read.values as { requests: number; windowMs: number; clientEventsPerMinute: number };
}

/**
 * Validates and normalises options, reporting every problem at once in one `TypeError`.
 */
export function normaliseOptions(options: EmulatorOptions = {}): EmulatorConfig {
  const { values, problems } = readOptions(options, EMULATOR_OPTIONS, EMULATOR_VOICE);
  const users = readUsers(values.users, problems);
  const tenants = readTenants(options.tenants, users, problems);
  if (options.jwtSecret !== undefined && pythonStrip(String(options.jwtSecret)) === "") {
    say(problems, "jwtSecret", "a non-blank string", options.jwtSecret);
  }
  // null reads as unset, as it always has.
  const rateLimit = readRateLimit(options.rateLimit ?? undefined, problems);
  if (problems.length > 0) {
    throw new TypeError(`Cannot create the VectorVue emulator: ${problems.join("; ")}`);
  }
  // The server strips these settings and treats blank as unset.
  const setting = (value: string | undefined) => {
    const stripped = value === undefined ? "" : pythonStrip(value);
    return stripped === "" ? undefined : stripped;
  };
  return {
    users,
    tenants,
    jwtSecret: setting(options.jwtSecret) ?? randomSecret(),
    tokenTtlSeconds: values.tokenTtlSeconds as number,
    signatureSecret: setting(options.signatureSecret),
    signatureMaxSkewSeconds: values.signatureMaxSkewSeconds as number,
    complianceSigningKey: setting(options.complianceSigningKey),
    maxBatchSize: Math.max(1, Math.min(values.maxBatchSize as number, 1000)),
    integrationLimit: rateLimit && { requests: rateLimit.requests, windowMs: rateLimit.windowMs },
    clientEventsPerMinute: rateLimit?.clientEventsPerMinute,
    now: options.now ?? Date.now,
  };
}
