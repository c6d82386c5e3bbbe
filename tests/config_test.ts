import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import {
  DEFAULTS,
  redactedView,
  resolveConfig,
  SECRET_OPTIONS,
  type VectorVueConfig,
  withRedactedPrinting,
} from "../src/config.ts";
import { VectorVueConfigError, VectorVueError } from "../src/errors.ts";
import { VECTORVUE_OPTIONS } from "../src/options.ts";
import { silentLogger } from "../src/logger.ts";
import { OTHER_TENANT, TENANT } from "./_fixtures.ts";

const ON_DENO = typeof Deno !== "undefined";
const ON_BUN = "Bun" in globalThis;
const CA_PEM = readFileSync(new URL("./fixtures/ca.pem", import.meta.url), "utf8");
const FAKE_PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

// Distinctive secrets: none of them may ever appear in a message or a printout.
const PASSWORD = "Pa55-zebra-quartz-8812";
const SIGNATURE_SECRET = "sig-secret-mango-4471";
const RESPONSE_KEY = "resp-key-walnut-9034";
const TOKEN_SIGNATURE = "tokSig-heron-7720-abcdefghijklmnop";

function base64Url(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function jwt(claims: Record<string, unknown>): string {
  return `${base64Url('{"alg":"HS256","typ":"JWT"}')}.${
    base64Url(JSON.stringify(claims))
  }.${TOKEN_SIGNATURE}`;
}

const TOKEN = jwt({ sub: "operator", tenant_id: TENANT, exp: 1_900_000_000 });
const SECRETS = [PASSWORD, SIGNATURE_SECRET, RESPONSE_KEY, TOKEN, TOKEN_SIGNATURE];

function assertNoSecrets(text: string): void {
  for (const secret of SECRETS) {
    assert.ok(!text.includes(secret), `"${secret}" leaked into: ${text}`);
  }
}

/** Resolves `config`, expecting one VectorVueConfigError; returns its problems. */
function problemsOf(config: VectorVueConfig): readonly string[] {
  let caught: unknown;
  try {
    resolveConfig(config);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof VectorVueConfigError, `expected VectorVueConfigError, got ${caught}`);
  assert.ok(caught instanceof VectorVueError);
  assert.equal(caught.name, "VectorVueConfigError");
  assert.equal(caught.message, `Invalid VectorVue configuration: ${caught.problems.join("; ")}`);
  assertNoSecrets(caught.message);
  return caught.problems;
}

/** Expects exactly one problem, matching `pattern`. */
function assertOneProblem(config: VectorVueConfig, pattern: RegExp): void {
  const problems = problemsOf(config);
  assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems)}`);
  assert.match(problems[0], pattern);
}

const withToken = (extra: VectorVueConfig = {}): VectorVueConfig => ({ token: TOKEN, ...extra });

describe("resolveConfig(): defaults and normalisation", () => {
  test("resolveConfig() applies every default to a token-only config", () => {
    const resolved = resolveConfig({ token: TOKEN });
    assert.equal(resolved.baseUrl, "https://127.0.0.1");
    assert.equal(resolved.origin, "https://127.0.0.1");
    assert.equal(resolved.timeoutMs, 10_000);
    assert.equal(resolved.verifyTls, true);
    assert.equal(resolved.maxRetries, 3);
    assert.equal(resolved.backoffMs, 500);
    assert.equal(resolved.maxBackoffMs, 30_000);
    assert.equal(resolved.maxBatchSize, 100);
    assert.equal(resolved.requireHttps, true);
    assert.equal(resolved.maxResponseBytes, 10 * 1024 * 1024);
    assert.equal(resolved.logger, silentLogger);
    assert.equal(resolved.fetch, undefined);
    assert.equal(resolved.caCerts, undefined);
    assert.equal(resolved.http2, false);
    assert.equal(resolved.maxConnections, 10);
    assert.equal(resolved.token, TOKEN);
    assert.equal(resolved.username, undefined);
  });

  test("resolveConfig() takes rateLimit false or { requests, windowMs } and refuses anything else", () => {
    assert.equal(resolveConfig(withToken({ rateLimit: false })).rateLimit, false);
    assert.deepEqual(
      resolveConfig(withToken({ rateLimit: { requests: 20, windowMs: 5_000 } })).rateLimit,
      { requests: 20, windowMs: 5_000 },
    );
    assertOneProblem(
      withToken({ rateLimit: { requests: 0, windowMs: 5_000 } }),
      /^rateLimit must be false or \{ requests: a positive integer, windowMs: a positive number \}, got \{"requests":0,"windowMs":5000\}$/,
    );
    assertOneProblem(withToken({ rateLimitWaitMs: -1 }), /^rateLimitWaitMs must be a non-negative/);
  });

  test("DEFAULTS holds the option table's defaults, the design note's among them, and is frozen", () => {
    const table = Object.fromEntries(
      VECTORVUE_OPTIONS.filter((row) => row.default !== undefined).map((row) => [
        row.name,
        row.default,
      ]),
    );
    assert.deepEqual({ ...DEFAULTS }, table);
    // The design note's values (a spec, not a copy of the table).
    assert.equal(DEFAULTS.baseUrl, "https://127.0.0.1");
    assert.equal(DEFAULTS.timeoutMs, 10_000);
    assert.equal(DEFAULTS.verifyTls, true);
    assert.equal(DEFAULTS.maxRetries, 3);
    assert.equal(DEFAULTS.maxBatchSize, 100);
    assert.equal(DEFAULTS.validatePayloads, false, "the server stays the source of truth");
    assert.ok(Object.isFrozen(DEFAULTS));
  });

  test("resolveConfig() keeps given values and returns a frozen result", () => {
    const logger = { ...silentLogger };
    const resolved = resolveConfig({
      baseUrl: "https://vectorvue.internal",
      username: "operator",
      password: PASSWORD,
      tenantId: TENANT,
      timeoutMs: 2_500,
      maxRetries: 0,
      backoffMs: 0,
      maxBackoffMs: 1_000,
      maxBatchSize: 1_000,
      signatureSecret: SIGNATURE_SECRET,
      responseSigningKey: RESPONSE_KEY,
      maxResponseBytes: 1_024,
      logger,
    });
    assert.equal(resolved.username, "operator");
    assert.equal(resolved.password, PASSWORD);
    assert.equal(resolved.tenantId, TENANT);
    assert.equal(resolved.timeoutMs, 2_500);
    assert.equal(resolved.maxRetries, 0);
    assert.equal(resolved.backoffMs, 0);
    assert.equal(resolved.maxBackoffMs, 1_000);
    assert.equal(resolved.maxBatchSize, 1_000);
    assert.equal(resolved.signatureSecret, SIGNATURE_SECRET);
    assert.equal(resolved.responseSigningKey, RESPONSE_KEY);
    assert.equal(resolved.maxResponseBytes, 1_024);
    assert.equal(resolved.logger, logger);
    assert.ok(Object.isFrozen(resolved));
  });

  test("resolveConfig() removes the baseUrl's trailing slash and keeps its path prefix", () => {
    const cases: [string, string, string][] = [
      ["https://vv.example/", "https://vv.example", "https://vv.example"],
      [
        "https://vv.example:8443/proxy/vectorvue/",
        "https://vv.example:8443/proxy/vectorvue",
        "https://vv.example:8443",
      ],
      ["https://vv.example/proxy//", "https://vv.example/proxy", "https://vv.example"],
      ["https://VV.Example", "https://vv.example", "https://vv.example"],
    ];
    for (const [given, baseUrl, origin] of cases) {
      const resolved = resolveConfig(withToken({ baseUrl: given }));
      assert.equal(resolved.baseUrl, baseUrl, given);
      assert.equal(resolved.origin, origin, given);
    }
  });

  test("resolveConfig() accepts username, password and tenantId without a token", () => {
    const resolved = resolveConfig({ username: "operator", password: PASSWORD, tenantId: TENANT });
    assert.equal(resolved.token, undefined);
  });

  test("resolveConfig() accepts a token whose tenant matches tenantId in another letter case", () => {
    const token = jwt({ tenant_id: TENANT.toUpperCase() });
    const resolved = resolveConfig({
      token,
      username: "operator",
      password: PASSWORD,
      tenantId: TENANT,
    });
    assert.equal(resolved.token, token);
  });

  test("resolveConfig() copies and freezes caCerts", () => {
    const caCerts = [CA_PEM];
    const resolved = resolveConfig(withToken({ caCerts }));
    assert.deepEqual(resolved.caCerts, [CA_PEM]);
    assert.notEqual(resolved.caCerts, caCerts);
    assert.ok(Object.isFrozen(resolved.caCerts));
  });

  test("resolveConfig() takes caCerts, tls.cert and tls.key as bytes, as readFileSync gives them", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const resolved = resolveConfig(withToken({
      caCerts: [readFileSync(new URL("./fixtures/ca.pem", import.meta.url)), CA_PEM],
      tls: { cert: bytes(FAKE_PEM), key: FAKE_PEM },
    }));
    assert.deepEqual(resolved.caCerts, [CA_PEM, CA_PEM]);
    assert.deepEqual(resolved.tls, { cert: FAKE_PEM, key: FAKE_PEM });
  });

  test("resolveConfig() accepts a client certificate and http2", () => {
    const resolved = resolveConfig(
      withToken({ tls: { cert: FAKE_PEM, key: FAKE_PEM }, http2: false }),
    );
    assert.deepEqual(resolved.tls, { cert: FAKE_PEM, key: FAKE_PEM });
    assert.equal(resolved.http2, false);
  });

  test("resolveConfig() keeps maxConnections and refuses one that is not a positive integer", () => {
    assert.equal(resolveConfig(withToken({ maxConnections: 3 })).maxConnections, 3);
    for (const value of [0, 1.5, -2, "4"]) {
      assertOneProblem(
        withToken({ maxConnections: value as number }),
        /^maxConnections must be a positive integer, got /,
      );
    }
  });

  test("resolveConfig() keeps an injected fetch", () => {
    const fetchImpl = (() => Promise.reject(new Error("unused"))) as typeof fetch;
    const resolved = resolveConfig(withToken({ fetch: fetchImpl }));
    assert.equal(resolved.fetch, fetchImpl);
  });

  test("resolveConfig() accepts console as a logger", () => {
    assert.equal(resolveConfig(withToken({ logger: console })).logger, console);
  });

  test("resolveConfig() allows http:// when requireHttps is false", () => {
    const resolved = resolveConfig(
      withToken({ baseUrl: "http://127.0.0.1:8080/", requireHttps: false }),
    );
    assert.equal(resolved.baseUrl, "http://127.0.0.1:8080");
    assert.equal(resolved.requireHttps, false);
  });
});

describe("resolveConfig(): every rule", () => {
  test("resolveConfig() refuses options that are not an object", () => {
    for (const options of [null, undefined, "https://vv.example", 42]) {
      assert.deepEqual(problemsOf(options as unknown as VectorVueConfig), [
        "options must be an object",
      ]);
    }
  });

  test("resolveConfig() refuses an unknown option, naming it, with a did-you-mean when close", () => {
    assertOneProblem(
      withToken({ timeout: 5 } as VectorVueConfig),
      /^unknown option "timeout" \(did you mean "timeoutMs"\?\)$/,
    );
    assertOneProblem(
      withToken({ maxRetires: 5 } as VectorVueConfig),
      /^unknown option "maxRetires" \(did you mean "maxRetries"\?\)$/,
    );
    assertOneProblem(withToken({ colour: "red" } as VectorVueConfig), /^unknown option "colour"$/);
  });

  test("resolveConfig() refuses http:// while requireHttps is on (the default)", () => {
    assertOneProblem(
      withToken({ baseUrl: "http://vv.example/api" }),
      /^baseUrl must use https \(got http:\/\/vv\.example\); set requireHttps: false only for a trusted local test server$/,
    );
  });

  test("resolveConfig() refuses a baseUrl that is not an absolute URL", () => {
    assertOneProblem(
      withToken({ baseUrl: "vv.example" }),
      /^baseUrl must be an absolute URL, got "vv\.example"$/,
    );
    assertOneProblem(
      withToken({ baseUrl: 42 as unknown as string }),
      /^baseUrl must be an absolute URL, got 42$/,
    );
  });

  test("resolveConfig() refuses a baseUrl that is not http(s)", () => {
    assertOneProblem(
      withToken({ baseUrl: "ftp://vv.example" }),
      /^baseUrl must be http\(s\), got "ftp:"$/,
    );
    // Its origin is "null": the proxy decision must not try to parse it.
    assertOneProblem(withToken({ baseUrl: "A:" }), /^baseUrl must be http\(s\), got "a:"$/);
  });

  test("resolveConfig() refuses credentials in the baseUrl, without repeating them", () => {
    const problems = problemsOf(withToken({ baseUrl: "https://admin:url-pass-0042@vv.example" }));
    assert.equal(problems.length, 1);
    assert.match(
      problems[0],
      /^baseUrl must not carry credentials; use username\/password or token$/,
    );
    assert.ok(!problems[0].includes("url-pass-0042"));
  });

  test("resolveConfig() never echoes credentials of a baseUrl that does not parse", () => {
    const problems = problemsOf(
      withToken({ baseUrl: "https://admin:url-pass-0043@vectorvue internal" }),
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^baseUrl must be an absolute URL/);
    assert.ok(!problems[0].includes("url-pass-0043"), problems[0]);
  });

  test("resolveConfig() refuses a baseUrl with a query or a fragment", () => {
    assertOneProblem(
      withToken({ baseUrl: "https://vv.example/?x=1" }),
      /^baseUrl must not have a query or fragment$/,
    );
    assertOneProblem(
      withToken({ baseUrl: "https://vv.example/#top" }),
      /^baseUrl must not have a query or fragment$/,
    );
  });

  test("resolveConfig() refuses a config with neither a token nor login credentials", () => {
    assertOneProblem({}, /^give either token, or all of username, password and tenantId$/);
    assertOneProblem(
      { username: "operator", password: PASSWORD },
      /^give either token, or all of username, password and tenantId$/,
    );
  });

  test("resolveConfig() refuses part of the login credentials next to a token", () => {
    assertOneProblem(
      withToken({ username: "operator" }),
      /^username, password and tenantId go together: give all three or none$/,
    );
    assertOneProblem(
      withToken({ password: PASSWORD, tenantId: TENANT }),
      /^username, password and tenantId go together: give all three or none$/,
    );
  });

  test("resolveConfig() accepts token with a matching tenantId alone, as the README says", () => {
    const resolved = resolveConfig(withToken({ tenantId: TENANT }));
    assert.equal(resolved.tenantId, TENANT);
    assert.equal(resolved.username, undefined);
  });

  test("resolveConfig() refuses token with a tenantId it does not match", () => {
    assertOneProblem(
      withToken({ tenantId: OTHER_TENANT }),
      new RegExp(
        `^token: the token is for tenant ${TENANT}, not the configured tenantId ${OTHER_TENANT}$`,
      ),
    );
  });

  test("resolveConfig() refuses a tenantId that is not a UUID, as the server's are", () => {
    for (const tenantId of ["t", "tenant-b", `${TENANT}x`, TENANT.replaceAll("-", "")]) {
      assertOneProblem(
        { username: "operator", password: PASSWORD, tenantId },
        new RegExp(
          `^tenantId must be a UUID \\(VectorVue's tenant ids are UUIDs\\), got "${tenantId}"$`,
        ),
      );
    }
    assert.equal(
      resolveConfig({ username: "operator", password: PASSWORD, tenantId: TENANT.toUpperCase() })
        .tenantId,
      TENANT.toUpperCase(),
    );
  });

  test("resolveConfig() refuses a token without tenant_id", () => {
    assertOneProblem(
      { token: jwt({ sub: "operator", exp: 1_900_000_000 }) },
      /^token: the token has no tenant_id claim, which VectorVue requires$/,
    );
  });

  test("resolveConfig() refuses a token that is not a JWT", () => {
    assertOneProblem(
      { token: `opaque-${TOKEN_SIGNATURE}` },
      /^token: the token is not a JWT with a JSON payload$/,
    );
  });

  test("resolveConfig() refuses a token for another tenant than tenantId", () => {
    assertOneProblem(
      {
        token: jwt({ tenant_id: OTHER_TENANT }),
        username: "operator",
        password: PASSWORD,
        tenantId: TENANT,
      },
      new RegExp(
        `^token: the token is for tenant ${OTHER_TENANT}, not the configured tenantId ${TENANT}$`,
      ),
    );
  });

  test("resolveConfig() refuses empty or non-string text options, showing only non-secret values", () => {
    assertOneProblem(withToken({ username: "" }), /^username must be a non-empty string, got ""$/);
    assertOneProblem(
      withToken({ tenantId: 7 as unknown as string }),
      /^tenantId must be a UUID \(VectorVue's tenant ids are UUIDs\), got 7$/,
    );
    assertOneProblem(
      withToken({ signatureSecret: "" }),
      /^signatureSecret must be a non-empty string$/,
    );
    assertOneProblem(
      withToken({ responseSigningKey: 12345678 as unknown as string }),
      /^responseSigningKey must be a non-empty string$/,
    );
  });

  test("resolveConfig() refuses a timeoutMs that is not a positive finite number", () => {
    for (
      const [value, shown] of [[0, "0"], [-1, "-1"], [NaN, "NaN"], [Infinity, "Infinity"], [
        "1000",
        '"1000"',
      ]]
    ) {
      assertOneProblem(
        withToken({ timeoutMs: value as number }),
        new RegExp(`^timeoutMs must be a positive number, got ${shown}$`),
      );
    }
    assert.equal(resolveConfig(withToken({ timeoutMs: 0.5 })).timeoutMs, 0.5);
  });

  test("resolveConfig() refuses a negative or fractional maxRetries", () => {
    for (const value of [-1, 1.5]) {
      assertOneProblem(
        withToken({ maxRetries: value }),
        new RegExp(`^maxRetries must be .*got ${value}$`),
      );
    }
  });

  test("resolveConfig() refuses a negative backoffMs or maxBackoffMs", () => {
    assertOneProblem(withToken({ backoffMs: -1 }), /^backoffMs must be .*got -1$/);
    assertOneProblem(withToken({ maxBackoffMs: -5 }), /^maxBackoffMs must be .*got -5$/);
  });

  test("resolveConfig() refuses a maxBatchSize that is not a positive integer", () => {
    assertOneProblem(
      withToken({ maxBatchSize: 0 }),
      /^maxBatchSize must be a positive integer(?: number)?, got 0$/,
    );
    assertOneProblem(
      withToken({ maxBatchSize: 2.5 }),
      /^maxBatchSize must be a positive integer(?: number)?, got 2\.5$/,
    );
  });

  test("resolveConfig() refuses a maxBatchSize above the server's limit of 1000", () => {
    assertOneProblem(
      withToken({ maxBatchSize: 1_001 }),
      /^maxBatchSize must be at most 1000 \(the server's hard limit\), got 1001$/,
    );
  });

  test("resolveConfig() refuses a maxResponseBytes that is not a positive integer", () => {
    assertOneProblem(
      withToken({ maxResponseBytes: 0 }),
      /^maxResponseBytes must be a positive integer(?: number)?, got 0$/,
    );
  });

  test("resolveConfig() words the non-negative rules readably", () => {
    assertOneProblem(
      withToken({ maxRetries: -1 }),
      /^maxRetries must be a non-negative integer, got -1$/,
    );
    assertOneProblem(
      withToken({ backoffMs: -1 }),
      /^backoffMs must be a non-negative number, got -1$/,
    );
  });

  test("resolveConfig() refuses verifyTls and requireHttps that are not booleans", () => {
    assertOneProblem(
      withToken({ verifyTls: "false" as unknown as boolean }),
      /^verifyTls must be true or false, got "false"$/,
    );
    assertOneProblem(
      withToken({ requireHttps: 0 as unknown as boolean }),
      /^requireHttps must be true or false, got 0$/,
    );
  });

  test("resolveConfig() refuses an http2 that is not a boolean", () => {
    assertOneProblem(
      withToken({ http2: "yes" as unknown as boolean }),
      /^http2 must be true or false, got "yes"$/,
    );
  });

  test("resolveConfig() refuses caCerts that are not an array of PEM texts or bytes", () => {
    const pattern =
      /^caCerts must be an array of PEM certificates, as text or bytes \(-----BEGIN CERTIFICATE-----\)$/;
    assertOneProblem(withToken({ caCerts: CA_PEM as unknown as string[] }), pattern);
    assertOneProblem(withToken({ caCerts: ["not a certificate"] }), pattern);
    assertOneProblem(withToken({ caCerts: [CA_PEM, 7 as unknown as string] }), pattern);
    assertOneProblem(
      withToken({ caCerts: [new TextEncoder().encode("not a certificate")] }),
      pattern,
    );
  });

  test("resolveConfig() refuses tls without both PEM texts or bytes", () => {
    const pattern = /^tls must be \{ cert, key \}, both PEM as text or bytes$/;
    assertOneProblem(
      withToken({ tls: { cert: FAKE_PEM } as { cert: string; key: string } }),
      pattern,
    );
    assertOneProblem(withToken({ tls: { cert: FAKE_PEM, key: "raw key" } }), pattern);
  });

  test(
    "resolveConfig() refuses verifyTls: false on Deno, naming caCerts and --unsafely-ignore-certificate-errors",
    { skip: !ON_DENO && "Deno only: Node can switch verification off per client" },
    () => {
      const problems = problemsOf(withToken({ verifyTls: false }));
      assert.equal(problems.length, 1);
      assert.match(problems[0], /^verifyTls: false is not available in Deno/);
      assert.match(problems[0], /caCerts: \[pem\]/);
      assert.match(problems[0], /--unsafely-ignore-certificate-errors/);
    },
  );

  test(
    "resolveConfig() allows verifyTls: false on Node and Bun",
    { skip: ON_DENO && "Node and Bun only: Deno refuses verifyTls: false" },
    () => {
      const resolved = resolveConfig(withToken({ verifyTls: false }));
      assert.equal(resolved.verifyTls, false);
    },
  );

  test(
    "resolveConfig() refuses http2: true on Bun, whose fetch speaks HTTP/1.1 only",
    { skip: !ON_BUN && "Bun only: Deno and Node speak HTTP/2" },
    () => {
      assertOneProblem(
        withToken({ http2: true }),
        /^http2: true is not available in bun, whose fetch speaks HTTP\/1\.1 only; leave http2 unset$/,
      );
    },
  );

  test("resolveConfig() refuses a fetch that is not a function", () => {
    assertOneProblem(
      withToken({ fetch: "fetch" as unknown as typeof fetch }),
      /^fetch must be a function, got "fetch"$/,
    );
  });

  test("resolveConfig() refuses caCerts, tls or http2 next to an injected fetch", () => {
    const fetchImpl = (() => Promise.reject(new Error("unused"))) as typeof fetch;
    const pattern =
      /^caCerts, tls, verifyTls, http2 and maxConnections cannot apply to an injected fetch; configure them on that fetch instead$/;
    assertOneProblem(withToken({ fetch: fetchImpl, caCerts: [CA_PEM] }), pattern);
    assertOneProblem(
      withToken({ fetch: fetchImpl, tls: { cert: FAKE_PEM, key: FAKE_PEM } }),
      pattern,
    );
    assertOneProblem(withToken({ fetch: fetchImpl, http2: false }), pattern);
    assertOneProblem(withToken({ fetch: fetchImpl, maxConnections: 4 }), pattern);
  });

  test("resolveConfig() refuses a logger without debug, info, warn and error", () => {
    const pattern = /^logger must have debug, info, warn and error methods$/;
    assertOneProblem(withToken({ logger: {} as typeof silentLogger }), pattern);
    assertOneProblem(
      withToken({ logger: { debug() {}, info() {}, warn() {} } as unknown as typeof silentLogger }),
      pattern,
    );
    assertOneProblem(withToken({ logger: "console" as unknown as typeof silentLogger }), pattern);
  });

  test("resolveConfig() reports several problems together in one VectorVueConfigError", () => {
    const problems = problemsOf({
      baseUrl: "http://vv.example",
      timeoutMs: 0,
      maxRetries: -1,
      maxBatchSize: 0,
      backoffMs: -5,
      colour: "blue",
    } as VectorVueConfig);
    assert.equal(problems.length, 7, JSON.stringify(problems));
    for (
      const pattern of [
        /^unknown option "colour"$/,
        /^timeoutMs must be/,
        /^maxRetries must be/,
        /^backoffMs must be/,
        /^maxBatchSize must be/,
        /^give either token/,
        /^baseUrl must use https/,
      ]
    ) {
      assert.ok(problems.some((problem) => pattern.test(problem)), `missing ${pattern}`);
    }
  });

  test("resolveConfig() never puts the password, token or secrets in its error", () => {
    const configs: VectorVueConfig[] = [
      // A real token, but for the wrong tenant, and a bad timeout next to every secret.
      {
        token: jwt({ tenant_id: OTHER_TENANT }),
        username: "operator",
        password: PASSWORD,
        tenantId: TENANT,
        signatureSecret: SIGNATURE_SECRET,
        responseSigningKey: RESPONSE_KEY,
        timeoutMs: -1,
      },
      // Secrets given where they do not belong or with the wrong type.
      {
        token: `not-a-jwt-${TOKEN_SIGNATURE}`,
        password: PASSWORD,
        baseUrl: "http://vv.example",
        unknown: SIGNATURE_SECRET,
      } as VectorVueConfig,
      { token: jwt({ sub: PASSWORD }), signatureSecret: "" },
      { token: TOKEN, username: "operator", password: PASSWORD },
    ];
    for (const config of configs) {
      let caught: unknown;
      try {
        resolveConfig(config);
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof VectorVueConfigError);
      assertNoSecrets(caught.message);
      assertNoSecrets(JSON.stringify(caught.problems));
      assertNoSecrets(inspect(caught));
    }
  });
});

describe("redactedView() and withRedactedPrinting()", () => {
  const full = (): VectorVueConfig => ({
    baseUrl: "https://vv.example",
    username: "operator",
    password: PASSWORD,
    tenantId: TENANT,
    token: TOKEN,
    signatureSecret: SIGNATURE_SECRET,
    responseSigningKey: RESPONSE_KEY,
    caCerts: [CA_PEM],
    tls: { cert: FAKE_PEM, key: FAKE_PEM },
    logger: silentLogger,
    fetch: (() => Promise.reject(new Error("unused"))) as typeof fetch,
    timeoutMs: 5_000,
  });

  test("SECRET_OPTIONS names password, token, signatureSecret and responseSigningKey", () => {
    assert.deepEqual([...SECRET_OPTIONS].sort(), [
      "password",
      "responseSigningKey",
      "signatureSecret",
      "token",
    ]);
  });

  test("redactedView() replaces secrets and summarises certificates and functions", () => {
    assert.deepEqual(redactedView(full()), {
      baseUrl: "https://vv.example",
      username: "operator",
      password: "[REDACTED]",
      tenantId: TENANT,
      token: "[REDACTED]",
      signatureSecret: "[REDACTED]",
      responseSigningKey: "[REDACTED]",
      caCerts: "[1 PEM certificate(s)]",
      tls: "[client certificate]",
      logger: "[logger]",
      fetch: "[fetch]",
      timeoutMs: 5_000,
    });
  });

  test("redactedView() of a resolved config leaves out unset options", () => {
    const view = redactedView(resolveConfig({ token: TOKEN }));
    assert.equal(view.token, "[REDACTED]");
    assert.ok(!("username" in view));
    assert.equal(view.baseUrl, "https://127.0.0.1");
  });

  test("withRedactedPrinting() keeps the object and its properties readable and enumerable as before", () => {
    const config = full();
    const keys = Object.keys(config);
    const printable = withRedactedPrinting(config);
    assert.equal(printable, config);
    assert.equal(printable.password, PASSWORD);
    assert.equal(printable.token, TOKEN);
    assert.deepEqual(Object.keys(printable), keys);
  });

  test("withRedactedPrinting() makes JSON.stringify show [REDACTED], never the secrets", () => {
    const text = JSON.stringify(withRedactedPrinting(full()));
    assert.match(text, /"password":"\[REDACTED\]"/);
    assert.match(text, /"token":"\[REDACTED\]"/);
    assert.match(text, /"signatureSecret":"\[REDACTED\]"/);
    assertNoSecrets(text);
    assertNoSecrets(JSON.stringify({ nested: { config: withRedactedPrinting(full()) } }));
  });

  test("withRedactedPrinting() hides credentials written into baseUrl (as configFromEnv() may read them)", () => {
    const config = withRedactedPrinting({ baseUrl: `https://operator:${PASSWORD}@vv.example/` });
    for (const text of [JSON.stringify(config), inspect(config)]) {
      assert.match(text, /https:\/\/\[REDACTED\]@vv\.example\//);
      assertNoSecrets(text);
    }
  });

  test("withRedactedPrinting() makes util.inspect show [REDACTED], never the secrets", () => {
    const config = withRedactedPrinting(full());
    const text = inspect(config);
    assert.match(text, /^VectorVueConfig /);
    assert.match(text, /\[REDACTED\]/);
    assertNoSecrets(text);
    assertNoSecrets(inspect({ nested: { config } }, { depth: 10 }));
    assert.match(inspect(withRedactedPrinting(full(), "MyLabel")), /^MyLabel /);
  });

  test(
    "withRedactedPrinting() makes Deno.inspect show [REDACTED], never the secrets",
    { skip: !ON_DENO && "Deno only" },
    () => {
      const config = withRedactedPrinting(full());
      const text = Deno.inspect(config);
      assert.match(text, /\[REDACTED\]/);
      assertNoSecrets(text);
      assertNoSecrets(Deno.inspect({ nested: { config } }, { depth: 10 }));
    },
  );

  test("a config printed without withRedactedPrinting() does show its secrets (the check can fail)", () => {
    assert.ok(inspect(full()).includes(PASSWORD));
    assert.ok(JSON.stringify(full()).includes(SIGNATURE_SECRET));
  });
});
