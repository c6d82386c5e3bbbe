// Leak scan: a tour of every kind of outcome (login, signed calls, re-login, 4xx, 503 retries,
// dropped connections, timeouts, TLS failure, redirects, signature mismatches, token and config
// errors) with a capturing logger, over real HTTPS. Afterwards nothing the client logged, threw
// or prints may contain a password, a token, a signing secret, a response signing key, or any
// X-Signature value that was sent (read back from what the emulator received).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import {
  configFromEnv,
  PATHS,
  VectorVueAuthError,
  VectorVueClient,
  type VectorVueConfig,
  VectorVueConfigError,
  VectorVueConflictError,
  VectorVueError,
  VectorVueResponseError,
  VectorVueSignatureError,
  VectorVueTokenError,
  VectorVueTransportError,
  VectorVueValidationError,
} from "../../mod.ts";
import {
  createVectorVueEmulator,
  type RecordedRequest,
  type VectorVueEmulator,
} from "../../src/testing/mod.ts";
import { capturingLogger, makeJwt } from "../_fake.ts";
import {
  CA,
  sampleEvent,
  sampleFinding,
  TENANT,
  UNTRUSTED_CERT,
  UNTRUSTED_KEY,
  withServer,
} from "./_helpers.ts";

const USERNAME = "leak-operator";
const PASSWORD = "pw-LEAK-Correct-Horse-9f3a";
const WRONG_PASSWORD = "pw-LEAK-wrong-Battery-77c2";
const SIGNATURE_SECRET = "sig-LEAK-secret-7c1e-ffee";
const WRONG_SIGNATURE_SECRET = "sig-LEAK-not-the-secret-1d0a";
const RESPONSE_KEY = "resp-LEAK-key-42aa-0b1c";
const WRONG_RESPONSE_KEY = "resp-LEAK-wrong-key-93e1";
const CONFIGURED_SECRETS = [
  PASSWORD,
  WRONG_PASSWORD,
  SIGNATURE_SECRET,
  WRONG_SIGNATURE_SECRET,
  RESPONSE_KEY,
  WRONG_RESPONSE_KEY,
];

const denoInspect = (globalThis as {
  Deno?: { inspect(value: unknown, options?: Record<string, unknown>): string };
}).Deno?.inspect;

/** Everything a scenario tour produced, and the secrets that must not appear in it. */
interface Tour {
  /** What each scenario ended with, by name: an envelope, a token, or an error. */
  readonly outcomes: ReadonlyMap<string, unknown>;
  readonly records: readonly { level: string; message: string; fields: unknown }[];
  readonly clients: readonly VectorVueClient[];
  readonly configs: readonly VectorVueConfig[];
  /** Every request the emulators received. */
  readonly requests: readonly RecordedRequest[];
  readonly issuedTokens: readonly string[];
}

async function settle(promise: Promise<unknown>): Promise<unknown> {
  try {
    return await promise;
  } catch (error) {
    return error;
  }
}

async function runTour(): Promise<Tour> {
  const { logger, records } = capturingLogger();
  const outcomes = new Map<string, unknown>();
  const clients: VectorVueClient[] = [];
  const configs: VectorVueConfig[] = [];
  const issuedTokens: string[] = [];
  const emulators: VectorVueEmulator[] = [];
  const emulator = createVectorVueEmulator({
    users: [{ username: USERNAME, password: PASSWORD, tenantId: TENANT, role: "operator" }],
    jwtSecret: "jwt-LEAK-server-secret-5b5b",
    signatureSecret: SIGNATURE_SECRET,
    complianceSigningKey: RESPONSE_KEY,
  });
  const elsewhere = createVectorVueEmulator();
  const untrusted = createVectorVueEmulator();
  emulators.push(emulator, elsewhere, untrusted);

  await withServer(elsewhere, async (other) => {
    await withServer(emulator, async (server) => {
      const open = (extra: VectorVueConfig = {}) => {
        const client = new VectorVueClient({
          baseUrl: server.url,
          username: USERNAME,
          password: PASSWORD,
          tenantId: TENANT,
          signatureSecret: SIGNATURE_SECRET,
          responseSigningKey: RESPONSE_KEY,
          caCerts: [CA],
          backoffMs: 1,
          maxBackoffMs: 5,
          logger,
          ...extra,
        });
        clients.push(client);
        return client;
      };
      const run = async (name: string, promise: Promise<unknown>) => {
        outcomes.set(name, await settle(promise));
      };

      const main = open();
      await run("login", main.login());
      const event = await settle(main.sendEvent(sampleEvent()));
      outcomes.set("signed event", event);
      const batch = await settle(
        main.sendEventsBatch([sampleEvent(), { event_type: "x" } as never]),
      );
      outcomes.set("batch", batch);
      await run("finding", main.sendFinding(sampleFinding()));
      await run("status", main.getIngestStatus((batch as { requestId: string }).requestId));

      emulator.inject({
        path: PATHS.events,
        status: 401,
        body: '{"detail":"Token expired"}',
        contentType: "application/json",
      });
      await run("401 then re-login", main.sendEvent(sampleEvent({ message: "after 401" })));
      await run("422", main.sendEvent({ event_type: "incomplete" } as never));
      await run("idempotent first", main.sendEvent(sampleEvent(), { idempotencyKey: "leak-k" }));
      await run(
        "409 conflict",
        main.sendEvent(sampleEvent({ message: "changed" }), { idempotencyKey: "leak-k" }),
      );
      emulator.inject({ path: PATHS.events, status: 503, count: 2, body: "<h1>busy</h1>" });
      await run("503 then success", main.sendEvent(sampleEvent({ message: "after 503" })));
      emulator.inject({ path: PATHS.findings, status: 503, count: 4, retryAfter: "0" });
      await run("503 retries exhausted", main.sendFinding(sampleFinding()));
      emulator.inject({ path: PATHS.events, drop: "before-response", count: 4 });
      await run("connection dropped", main.sendEvent(sampleEvent({ message: "dropped" })));
      emulator.inject({ path: PATHS.events, drop: "mid-body" });
      await run("dropped mid-body then replayed", main.sendEvent(sampleEvent({ message: "mid" })));
      emulator.inject({
        path: PATHS.events,
        redirect: { status: 307, location: `${other.url}${PATHS.events}` },
      });
      await run("redirect", main.sendEvent(sampleEvent({ message: "redirected" })));

      emulator.inject({ path: PATHS.events, trickleMs: 200 });
      await run(
        "timeout",
        open({ timeoutMs: 1_000, maxRetries: 0 }).sendEvent(sampleEvent({ message: "slow" })),
      );
      await run("wrong password", open({ password: WRONG_PASSWORD }).login());
      // FastAPI echoes the request in a 422 `input`: the password comes back in the body.
      emulator.inject({
        path: PATHS.login,
        status: 422,
        contentType: "application/json",
        body: JSON.stringify({
          detail: [{
            type: "missing",
            loc: ["body", "tenant_id"],
            msg: "Field required",
            input: { username: USERNAME, password: PASSWORD, note: `echo ${PASSWORD}` },
          }],
        }),
      });
      await run("login 422 echoing the password", open().login());
      await run(
        "wrong signing secret",
        open({ signatureSecret: WRONG_SIGNATURE_SECRET }).sendEvent(sampleEvent()),
      );
      await run(
        "wrong response key",
        open({ responseSigningKey: WRONG_RESPONSE_KEY }).sendEvent(sampleEvent()),
      );

      const token = await emulator.issueToken();
      issuedTokens.push(token);
      const withToken = open({
        username: undefined,
        password: undefined,
        tenantId: undefined,
        token,
      });
      await run("pre-provisioned token", withToken.sendFindingsBatch([sampleFinding()]));

      const expired = await emulator.issueToken({ iat: 1_000, exp: 2_000 });
      issuedTokens.push(expired);
      await run(
        "expired token",
        open({ username: undefined, password: undefined, tenantId: undefined, token: expired })
          .sendEvent(sampleEvent()),
      );
    });
  });

  await withServer(untrusted, async (server) => {
    const token = await untrusted.issueToken();
    issuedTokens.push(token);
    const client = new VectorVueClient({
      baseUrl: server.url,
      username: USERNAME,
      password: PASSWORD,
      tenantId: TENANT,
      signatureSecret: SIGNATURE_SECRET,
      caCerts: [CA],
      logger,
    });
    clients.push(client);
    outcomes.set("TLS failure", await settle(client.login()));
  }, { cert: UNTRUSTED_CERT, key: UNTRUSTED_KEY });

  const closedPort = await (async () => {
    const served = await untrusted.serve({ cert: UNTRUSTED_CERT, key: UNTRUSTED_KEY });
    await served.close();
    return served.url;
  })();
  const refused = new VectorVueClient({
    baseUrl: closedPort,
    username: USERNAME,
    password: PASSWORD,
    tenantId: TENANT,
    caCerts: [CA],
    maxRetries: 1,
    backoffMs: 1,
    logger,
  });
  clients.push(refused);
  outcomes.set("connection refused", await settle(refused.login()));

  const env = {
    VECTORVUE_BASE_URL: "https://vectorvue.internal",
    VECTORVUE_USERNAME: USERNAME,
    VECTORVUE_PASSWORD: PASSWORD,
    VECTORVUE_TENANT_ID: TENANT,
    VECTORVUE_TOKEN: issuedTokens[0],
    VECTORVUE_SIGNATURE_SECRET: SIGNATURE_SECRET,
    VECTORVUE_RESPONSE_SIGNING_KEY: RESPONSE_KEY,
  };
  const fromEnv = configFromEnv(env);
  configs.push(fromEnv);
  const envClient = new VectorVueClient(fromEnv);
  clients.push(envClient);
  outcomes.set(
    "bad environment",
    await settle(
      Promise.resolve().then(() => configFromEnv({ ...env, VECTORVUE_MAX_RETRIES: "x" })),
    ),
  );
  outcomes.set(
    "bad options beside secrets",
    await settle(
      Promise.resolve().then(() =>
        new VectorVueClient({ ...fromEnv, timeoutMs: -1, baseUrl: "http://plain.example" })
      ),
    ),
  );
  outcomes.set(
    "token for another tenant",
    await settle(
      Promise.resolve().then(() =>
        new VectorVueClient({
          token: makeJwt({ tenant_id: "20000000-0000-0000-0000-000000000002" }),
          tenantId: TENANT,
          password: PASSWORD,
        })
      ),
    ),
  );

  for (const client of clients) await client.close();
  const requests = emulators.flatMap((e) => [...e.requests]);
  return { outcomes, records, clients, configs, requests, issuedTokens };
}

let tour: Promise<Tour> | undefined;
/** The tour runs once; every test below reads its results. */
const theTour = () => (tour ??= runTour());

/** The secrets to look for: configured ones, every token seen or issued, every X-Signature sent. */
function secretsOf(result: Tour): { secrets: string[]; tokens: string[]; xSignatures: string[] } {
  const tokens = new Set(result.issuedTokens);
  const xSignatures = new Set<string>();
  for (const request of result.requests) {
    const bearer = /^Bearer (.+)$/.exec(request.headers["authorization"] ?? "")?.[1];
    if (bearer) tokens.add(bearer);
    if (request.headers["x-signature"]) xSignatures.add(request.headers["x-signature"]);
    if (request.path === PATHS.login) {
      const password = (JSON.parse(request.body || "{}") as { password?: string }).password;
      if (password) assert.ok(CONFIGURED_SECRETS.includes(password), "a password was sent");
    }
  }
  // A JWT's signature part alone is as good as the token to a forger of claims.
  const tokenParts = [...tokens].map((token) => token.split(".")[2]);
  return {
    secrets: [...CONFIGURED_SECRETS, ...tokens, ...tokenParts, ...xSignatures],
    tokens: [...tokens],
    xSignatures: [...xSignatures],
  };
}

/** Every printable form of an error: message, stack, each cause, inspect output, JSON. */
function errorTexts(error: unknown): string[] {
  const texts: string[] = [
    inspect(error, { depth: 10 }),
    inspect(error, { depth: 10, showHidden: true }),
  ];
  if (denoInspect) texts.push(denoInspect(error, { depth: 10, showHidden: true }));
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== undefined && current !== null; depth++) {
    texts.push(String(current));
    if (current instanceof Error) {
      texts.push(current.message, current.stack ?? "");
      try {
        texts.push(JSON.stringify(current));
      } catch { /* not every cause is JSON */ }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return texts;
}

/** `[secret, where]` for every secret found in any of `texts`. */
function findLeaks(texts: readonly string[], secrets: readonly string[], where: string) {
  const leaks: [string, string][] = [];
  for (const text of texts) {
    for (const secret of secrets) if (text.includes(secret)) leaks.push([secret, where]);
  }
  return leaks;
}

describe("leak scan over every scenario", () => {
  test("every scenario ran and ended the way it should", async () => {
    const { outcomes } = await theTour();
    const expected: Record<string, unknown> = {
      "422": VectorVueValidationError,
      "409 conflict": VectorVueConflictError,
      "503 retries exhausted": VectorVueError,
      "connection dropped": VectorVueTransportError,
      "redirect": VectorVueResponseError,
      "timeout": VectorVueTransportError,
      "wrong password": VectorVueAuthError,
      "login 422 echoing the password": VectorVueValidationError,
      "wrong signing secret": VectorVueAuthError,
      "wrong response key": VectorVueSignatureError,
      "expired token": VectorVueTokenError,
      "TLS failure": VectorVueTransportError,
      "connection refused": VectorVueTransportError,
      "bad environment": VectorVueConfigError,
      "bad options beside secrets": VectorVueConfigError,
      "token for another tenant": VectorVueConfigError,
    };
    for (const [name, outcome] of outcomes) {
      const type = expected[name] as (new (...args: never[]) => unknown) | undefined;
      if (type) assert.ok(outcome instanceof type, `${name}: ${String(outcome)}`);
      else assert.ok(!(outcome instanceof Error), `${name}: ${String(outcome)}`);
    }
    assert.equal(typeof outcomes.get("login"), "string");
    assert.equal(
      (outcomes.get("signed event") as { signatureState: string }).signatureState,
      "verified",
    );
    assert.equal((outcomes.get("401 then re-login") as { status: string }).status, "accepted");
    assert.equal((outcomes.get("503 then success") as { retryCount: number }).retryCount, 2);
    assert.equal((outcomes.get("TLS failure") as VectorVueTransportError).kind, "tls");
    assert.equal(
      (outcomes.get("connection dropped") as VectorVueTransportError).kind,
      "connection",
    );
    assert.equal((outcomes.get("timeout") as VectorVueTransportError).kind, "timeout");
  });

  test("pinned: the scan looks for the real password, tokens, secrets and X-Signature values", async () => {
    const result = await theTour();
    const { secrets, tokens, xSignatures } = secretsOf(result);
    for (
      const literal of [
        "pw-LEAK-Correct-Horse-9f3a",
        "sig-LEAK-secret-7c1e-ffee",
        "resp-LEAK-key-42aa-0b1c",
      ]
    ) {
      assert.ok(secrets.includes(literal), literal);
    }
    // Logins within one second mint the same token, so only three are sure to differ.
    assert.ok(tokens.length >= 3, `${tokens.length} tokens`);
    for (const token of tokens) assert.match(token, /^eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}$/);
    assert.ok(xSignatures.length >= 10, `${xSignatures.length} X-Signature values`);
    for (const signature of xSignatures) assert.match(signature, /^[0-9a-f]{64}$/);
    // The scanner does see a planted secret, and the material it scans is the real thing.
    assert.deepEqual(findLeaks([`x${xSignatures[0]}y`], secrets, "planted"), [
      [xSignatures[0], "planted"],
    ]);
    const logged = JSON.stringify(result.records);
    assert.ok(logged.includes(USERNAME), "the log records name the user");
    assert.ok(logged.includes("vectorvue clock correction") || logged.includes("vectorvue login"));
  });

  test("no log record contains a secret", async () => {
    const result = await theTour();
    const { secrets } = secretsOf(result);
    assert.ok(result.records.length > 20, `${result.records.length} records`);
    const texts = result.records.map((record) => JSON.stringify(record));
    texts.push(inspect(result.records, { depth: 10 }));
    assert.deepEqual(findLeaks(texts, secrets, "log"), []);
  });

  test("no error message, stack, cause chain, body or inspect output contains a secret", async () => {
    const result = await theTour();
    const { secrets } = secretsOf(result);
    const leaks: [string, string][] = [];
    let errors = 0;
    for (const [name, outcome] of result.outcomes) {
      if (outcome instanceof Error) {
        errors++;
        leaks.push(...findLeaks(errorTexts(outcome), secrets, name));
      } else if (typeof outcome === "object") {
        leaks.push(...findLeaks([JSON.stringify(outcome), inspect(outcome)], secrets, name));
      }
    }
    assert.ok(errors >= 15, `${errors} errors scanned`);
    assert.deepEqual(leaks, []);
  });

  test("clients and configFromEnv() results print without secrets", async () => {
    const result = await theTour();
    const { secrets } = secretsOf(result);
    const texts: string[] = [];
    for (const value of [...result.clients, ...result.configs]) {
      texts.push(JSON.stringify(value), inspect(value, { depth: 10 }), String(value));
      if (denoInspect) texts.push(denoInspect(value, { depth: 10 }));
    }
    assert.deepEqual(findLeaks(texts, secrets, "printing"), []);
    const config = JSON.stringify(result.configs[0]);
    assert.match(config, /"password":"\[REDACTED\]"/);
    assert.match(config, /"token":"\[REDACTED\]"/);
    // What was redacted is still there for the client to use.
    assert.equal(result.configs[0].password, PASSWORD);
  });
});
