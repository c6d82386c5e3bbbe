// Emulator options: the public types, the defaults, and their one-time normalisation into the
// configuration the routes read (the server's environment variables, in effect).
import { pythonStrip } from "../payloads/_python_text.ts";
import { parsePostgresUuid } from "./_uuid.ts";

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
  username: "operator",
  password: "operator-password",
  tenantId: "10000000-0000-0000-0000-000000000001",
  role: "operator",
  tokenTtlSeconds: 43_200,
  signatureMaxSkewSeconds: 300,
  maxBatchSize: 250,
  integrationRequests: 240,
  integrationWindowMs: 60_000,
  clientEventsPerMinute: 120,
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

/**
 * Validates and normalises options, reporting every problem at once in one `TypeError`.
 */
export function normaliseOptions(options: EmulatorOptions = {}): EmulatorConfig {
  const problems: string[] = [];
  const say = (name: string, rule: string, value: unknown) =>
    problems.push(`'${name}' must be ${rule}: current value is ${JSON.stringify(value) ?? value}`);
  const integer = (name: string, value: unknown, min: number) => {
    if (value !== undefined && !(Number.isInteger(value) && (value as number) >= min)) {
      say(name, `an integer >= ${min}`, value);
    }
  };

  const users: ConfiguredUser[] = [];
  const rawUsers = options.users ?? [{ ...EMULATOR_DEFAULTS }];
  if (!Array.isArray(rawUsers) || rawUsers.length === 0) {
    say("users", "a non-empty array", rawUsers);
  }
  for (const [index, user] of (Array.isArray(rawUsers) ? rawUsers : []).entries()) {
    const tenantId = parsePostgresUuid(String(user?.tenantId));
    if (typeof user?.username !== "string" || pythonStrip(user.username) === "") {
      say(`users[${index}].username`, "a non-empty string", user?.username);
    }
    if (typeof user?.password !== "string" || user.password === "") {
      say(`users[${index}].password`, "a non-empty string", user?.password);
    }
    if (tenantId === undefined) say(`users[${index}].tenantId`, "a UUID", user?.tenantId);
    if (users.some((other) => other.username === user?.username)) {
      say(`users[${index}].username`, "unique", user?.username);
    }
    users.push({
      username: user?.username,
      password: user?.password,
      tenantId: tenantId ?? "",
      role: user?.role ?? "viewer",
    });
  }

  const tenants = new Map<string, boolean>();
  if (options.tenants === undefined) {
    for (const user of users) tenants.set(user.tenantId, true);
  } else if (!Array.isArray(options.tenants)) {
    say("tenants", "an array", options.tenants);
  } else {
    for (const [index, tenant] of options.tenants.entries()) {
      const id = parsePostgresUuid(String(tenant?.id));
      if (id === undefined) say(`tenants[${index}].id`, "a UUID", tenant?.id);
      else tenants.set(id, tenant.active ?? true);
    }
  }

  integer("tokenTtlSeconds", options.tokenTtlSeconds, 1);
  integer("signatureMaxSkewSeconds", options.signatureMaxSkewSeconds, 0);
  // Any integer: the server clamps it to 1..1000 rather than refusing it.
  if (options.maxBatchSize !== undefined && !Number.isInteger(options.maxBatchSize)) {
    say("maxBatchSize", "an integer", options.maxBatchSize);
  }
  for (const name of ["jwtSecret", "signatureSecret", "complianceSigningKey"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "string") {
      say(name, "a string", options[name]);
    }
  }
  if (options.jwtSecret !== undefined && pythonStrip(String(options.jwtSecret)) === "") {
    say("jwtSecret", "a non-blank string", options.jwtSecret);
  }
  const rateLimit = options.rateLimit ?? {};
  if (rateLimit !== false) {
    if (typeof rateLimit !== "object" || rateLimit === null) {
      say("rateLimit", "false or an object", rateLimit);
    }
    integer("rateLimit.requests", rateLimit?.requests, 1);
    integer("rateLimit.windowMs", rateLimit?.windowMs, 1);
    integer("rateLimit.clientEventsPerMinute", rateLimit?.clientEventsPerMinute, 1);
  }
  if (options.now !== undefined && typeof options.now !== "function") {
    say("now", "a function", options.now);
  }
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
    tokenTtlSeconds: options.tokenTtlSeconds ?? EMULATOR_DEFAULTS.tokenTtlSeconds,
    signatureSecret: setting(options.signatureSecret),
    signatureMaxSkewSeconds: options.signatureMaxSkewSeconds ??
      EMULATOR_DEFAULTS.signatureMaxSkewSeconds,
    complianceSigningKey: setting(options.complianceSigningKey),
    maxBatchSize: Math.max(
      1,
      Math.min(options.maxBatchSize ?? EMULATOR_DEFAULTS.maxBatchSize, 1000),
    ),
    integrationLimit: rateLimit === false ? undefined : {
      requests: rateLimit.requests ?? EMULATOR_DEFAULTS.integrationRequests,
      windowMs: rateLimit.windowMs ?? EMULATOR_DEFAULTS.integrationWindowMs,
    },
    clientEventsPerMinute: rateLimit === false
      ? undefined
      : rateLimit.clientEventsPerMinute ?? EMULATOR_DEFAULTS.clientEventsPerMinute,
    now: options.now ?? Date.now,
  };
}
