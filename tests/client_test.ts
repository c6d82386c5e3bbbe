import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  VectorVueAPIError,
  VectorVueAuthError,
  VectorVueClient,
  VectorVueClientClosedError,
  type VectorVueConfig,
  VectorVueConfigError,
  VectorVueConflictError,
  VectorVueError,
  VectorVueNotFoundError,
  VectorVueRateLimitError,
  VectorVueResponseError,
  VectorVueSerializationError,
  VectorVueTokenError,
  VectorVueTransportError,
  VectorVueValidationError,
} from "../mod.ts";
import { importHmacKey, signRequest } from "../src/signing.ts";
import {
  accepted,
  capturingLogger,
  json,
  loginOk,
  makeJwt,
  OTHER_TENANT,
  sampleEvent,
  scriptedFetch,
  TENANT,
  validJwt,
  withTimerSpy,
} from "./_fake.ts";

const BASE = "https://vectorvue.test";

/** A batch answer accepting `count` items. */
function batchAccepted(count: number): Response {
  return json(202, {
    request_id: crypto.randomUUID(),
    status: "accepted",
    data: {
      summary: { total: count, accepted: count, failed: 0 },
      results: Array.from({ length: count }, (_, index) => ({
        index,
        item_id: `evt_${index}`,
        status: "accepted",
      })),
    },
    errors: [],
    signature: null,
  });
}
const PASSWORD = "pw-Correct-Horse-9f3a";
const SECRET = "sig-secret-7c1e-ffee";

function credentials(fetchImpl: typeof fetch, extra: VectorVueConfig = {}): VectorVueClient {
  return new VectorVueClient({
    baseUrl: BASE,
    username: "operator",
    password: PASSWORD,
    tenantId: TENANT,
    backoffMs: 1,
    maxBackoffMs: 5,
    fetch: fetchImpl,
    ...extra,
  });
}

function withToken(fetchImpl: typeof fetch, extra: VectorVueConfig = {}): VectorVueClient {
  return new VectorVueClient({
    baseUrl: BASE,
    token: validJwt(),
    backoffMs: 1,
    maxBackoffMs: 5,
    fetch: fetchImpl,
    ...extra,
  });
}

describe("login", () => {
  test("login() posts credentials and returns the access_token at top level", async () => {
    const token = validJwt();
    const fake = scriptedFetch(loginOk(token));
    const client = credentials(fake.fetch);
    assert.equal(await client.login(), token);
    assert.equal(fake.seen[0].url, `${BASE}/api/v1/client/auth/login`);
    assert.equal(fake.seen[0].method, "POST");
    assert.deepEqual(JSON.parse(fake.seen[0].body), {
      username: "operator",
      password: PASSWORD,
      tenant_id: TENANT,
    });
    assert.equal(fake.seen[0].headers["authorization"], undefined);
  });

  test("login() also reads access_token inside data", async () => {
    const token = validJwt();
    const fake = scriptedFetch(json(200, { data: { access_token: token } }));
    assert.equal(await credentials(fake.fetch).login(), token);
  });

  test("the token is cached across calls", async () => {
    const fake = scriptedFetch(loginOk(), accepted(), accepted());
    const client = credentials(fake.fetch);
    await client.sendEvent(sampleEvent());
    await client.sendEvent(sampleEvent());
    assert.equal(fake.seen.filter((s) => s.url.endsWith("/auth/login")).length, 1);
  });

  test("concurrent callers share one in-flight login", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const fake = scriptedFetch(
      async () => {
        await gate;
        return loginOk();
      },
      accepted(),
      accepted(),
      accepted(),
    );
    const client = credentials(fake.fetch);
    const calls = [
      client.sendEvent(sampleEvent()),
      client.sendEvent(sampleEvent()),
      client.sendFinding({ title: "x" } as never),
    ];
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    await Promise.all(calls);
    assert.equal(fake.seen.filter((s) => s.url.endsWith("/auth/login")).length, 1);
    assert.equal(fake.seen.length, 4);
  });

  test("a token for another tenant is a VectorVueTokenError that does not show the token", async () => {
    const token = validJwt({ tenant_id: OTHER_TENANT });
    const client = credentials(scriptedFetch(loginOk(token)).fetch);
    await assert.rejects(client.login(), (error: unknown) => {
      assert.ok(error instanceof VectorVueTokenError);
      assert.match(error.message, /tenant 20000000-.* not the configured tenantId/);
      assert.ok(!error.message.includes(token));
      return true;
    });
  });

  test("a token without tenant_id is a VectorVueTokenError", async () => {
    const token = makeJwt({ sub: "operator", exp: Math.floor(Date.now() / 1000) + 3600 });
    const client = credentials(scriptedFetch(loginOk(token)).fetch);
    await assert.rejects(client.login(), {
      name: "VectorVueTokenError",
      message: /no tenant_id claim/,
    });
  });

  test("a login answer without access_token is a VectorVueResponseError", async () => {
    const client = credentials(scriptedFetch(json(200, { token_type: "bearer" })).fetch);
    await assert.rejects(client.login(), (error: unknown) => {
      assert.ok(error instanceof VectorVueResponseError);
      assert.match(error.message, /without an access_token/);
      return true;
    });
  });

  test("invalid credentials are a VectorVueAuthError with the server's detail", async () => {
    const client = credentials(scriptedFetch(json(401, { detail: "Invalid credentials" })).fetch);
    await assert.rejects(client.login(), (error: unknown) => {
      assert.ok(error instanceof VectorVueAuthError);
      assert.equal(error.httpStatus, 401);
      assert.equal(error.errorCode, "unauthorized");
      assert.match(error.message, /401 unauthorized: Invalid credentials/);
      return true;
    });
  });

  test("a cached token within 60 s of exp is renewed before the call", async () => {
    const now = Math.floor(Date.now() / 1000);
    const expiring = makeJwt({ tenant_id: TENANT, iat: now - 3600, exp: now + 30 });
    const renewed = validJwt();
    const fake = scriptedFetch(loginOk(expiring), loginOk(renewed), accepted());
    const client = credentials(fake.fetch);
    await client.login();
    await client.sendEvent(sampleEvent());
    assert.equal(fake.seen[1].url, `${BASE}/api/v1/client/auth/login`);
    assert.equal(fake.seen[2].headers["authorization"], `Bearer ${renewed}`);
  });

  test("a short-lived token is used for half its life before it is renewed", async () => {
    const now = Math.floor(Date.now() / 1000);
    const short = makeJwt({ tenant_id: TENANT, iat: now, exp: now + 30 });
    const fake = scriptedFetch(loginOk(short), accepted(), accepted());
    const client = credentials(fake.fetch);
    await client.sendEvent(sampleEvent());
    await client.sendEvent(sampleEvent());
    assert.equal(fake.seen.filter((s) => s.url.endsWith("/auth/login")).length, 1);
  });

  test("an expired pre-provisioned token without credentials is a VectorVueTokenError before any request", async () => {
    const now = Math.floor(Date.now() / 1000);
    const fake = scriptedFetch();
    const client = new VectorVueClient({
      baseUrl: BASE,
      token: makeJwt({ tenant_id: TENANT, exp: now - 10 }),
      fetch: fake.fetch,
    });
    await assert.rejects(client.sendEvent(sampleEvent()), {
      name: "VectorVueTokenError",
      message: /expired .* configure username, password and tenantId/,
    });
    assert.equal(fake.seen.length, 0);
  });

  test("a 401 on an integration call logs in again once and repeats once", async () => {
    const first = validJwt({ jti: "first" });
    const second = validJwt({ jti: "second" });
    const fake = scriptedFetch(
      loginOk(first),
      json(401, { detail: "Token expired" }),
      loginOk(second),
      accepted(),
    );
    const client = credentials(fake.fetch);
    const result = await client.sendEvent(sampleEvent());
    assert.equal(result.status, "accepted");
    assert.equal(fake.seen[1].headers["authorization"], `Bearer ${first}`);
    assert.equal(fake.seen[3].headers["authorization"], `Bearer ${second}`);
    assert.equal(fake.seen[1].headers["idempotency-key"], fake.seen[3].headers["idempotency-key"]);
  });

  test("a second 401 after re-login is a VectorVueAuthError", async () => {
    const fake = scriptedFetch(
      loginOk(),
      json(401, { detail: "Invalid JWT" }),
      loginOk(),
      json(401, { detail: "Invalid JWT" }),
    );
    await assert.rejects(credentials(fake.fetch).sendEvent(sampleEvent()), {
      name: "VectorVueAuthError",
      message: /401 unauthorized: Invalid JWT/,
    });
    assert.equal(fake.remaining(), 0);
  });

  test("a 401 with only a token configured is final", async () => {
    const fake = scriptedFetch(json(401, { detail: "Invalid JWT" }));
    await assert.rejects(withToken(fake.fetch).sendEvent(sampleEvent()), VectorVueAuthError);
    assert.equal(fake.seen.length, 1);
  });
});

describe("requests", () => {
  test("every integration and status call carries the bearer token and never follows redirects", async () => {
    const token = validJwt();
    const fake = scriptedFetch(
      accepted(),
      accepted(),
      accepted(),
      accepted(),
      accepted(),
      json(202, { accepted: true }),
    );
    const client = new VectorVueClient({ baseUrl: BASE, token, fetch: fake.fetch });
    await client.sendEvent(sampleEvent());
    await client.sendEventsBatch([sampleEvent()]);
    await client.sendFinding({ title: "SMB signing disabled" } as never);
    await client.sendFindingsBatch([{ title: "SMB signing disabled" } as never]);
    await client.getIngestStatus("6f1c2a52-7d3e-4b8a-9f00-0d7e4c1b2a33");
    await client.sendClientEvent({ event_type: "FINDING_VIEWED", object_type: "finding" });
    assert.deepEqual(fake.seen.map((s) => `${s.method} ${new URL(s.url).pathname}`), [
      "POST /api/v1/integrations/spectrastrike/events",
      "POST /api/v1/integrations/spectrastrike/events/batch",
      "POST /api/v1/integrations/spectrastrike/findings",
      "POST /api/v1/integrations/spectrastrike/findings/batch",
      "GET /api/v1/integrations/spectrastrike/ingest/status/6f1c2a52-7d3e-4b8a-9f00-0d7e4c1b2a33",
      "POST /api/v1/client/events",
    ]);
    for (const seen of fake.seen) {
      assert.equal(seen.headers["authorization"], `Bearer ${token}`);
      assert.equal(seen.redirect, "manual");
      assert.match(seen.headers["x-request-id"], /^[0-9a-f-]{36}$/);
    }
  });

  test("a path prefix in baseUrl is kept", async () => {
    const fake = scriptedFetch(accepted());
    await withToken(fake.fetch, { baseUrl: "https://proxy.test/vectorvue/" }).sendFinding({
      title: "abc",
    } as never);
    assert.equal(
      fake.seen[0].url,
      "https://proxy.test/vectorvue/api/v1/integrations/spectrastrike/findings",
    );
  });

  test("a 3xx is a VectorVueResponseError and the redirect is not followed", async () => {
    const fake = scriptedFetch(
      new Response(null, { status: 307, headers: { location: "https://evil.test/steal" } }),
    );
    await assert.rejects(withToken(fake.fetch).sendEvent(sampleEvent()), (error: unknown) => {
      assert.ok(error instanceof VectorVueResponseError);
      assert.equal(error.httpStatus, 307);
      assert.equal(error.errorCode, "unexpected_redirect");
      assert.match(error.message, /redirect to https:\/\/evil\.test not followed/);
      return true;
    });
    assert.equal(fake.seen.length, 1);
  });

  test("sendClientEvent() returns the non-envelope body as data", async () => {
    const fake = scriptedFetch(json(202, { accepted: true }));
    const result = await withToken(fake.fetch).sendClientEvent({
      event_type: "DASHBOARD_VIEWED",
      object_type: "dashboard",
    });
    assert.deepEqual(result.data, { accepted: true });
    assert.equal(result.status, "accepted");
    assert.equal(result.ok, true);
    assert.equal(result.requestId, null);
  });

  test("a partial batch resolves with status partial and ok false", async () => {
    const data = {
      summary: { total: 2, accepted: 1, failed: 1 },
      results: [
        { index: 0, item_id: "evt_a", status: "accepted", error_code: null, error_message: null },
        {
          index: 1,
          item_id: null,
          status: "failed",
          error_code: "validation_failed",
          error_message: "bad",
        },
      ],
    };
    const fake = scriptedFetch(
      json(202, { request_id: "r-1", status: "partial", data, errors: [], signature: null }),
    );
    const result = await withToken(fake.fetch).sendEventsBatch([
      sampleEvent(),
      { bad: true } as never,
    ]);
    assert.equal(result.status, "partial");
    assert.equal(result.ok, false);
    assert.deepEqual(result.data, data);
    assert.equal(result.httpStatus, 202);
    assert.equal(result.requestId, "r-1");
  });

  test("getIngestStatus() 404 says it may belong to another tenant", async () => {
    const fake = scriptedFetch(json(404, { detail: "Request not found" }));
    await assert.rejects(
      withToken(fake.fetch).getIngestStatus("6f1c2a52-7d3e-4b8a-9f00-0d7e4c1b2a33"),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueNotFoundError);
        assert.equal(error.errorCode, "not_found");
        assert.match(
          error.message,
          /Request not found; VectorVue also answers 404 for a request that belongs to another tenant/,
        );
        return true;
      },
    );
  });

  test("getIngestStatus() refuses a malformed request id before any request", async () => {
    const fake = scriptedFetch();
    await assert.rejects(withToken(fake.fetch).getIngestStatus("../../admin"), {
      name: "VectorVueSerializationError",
      message: /requestId must be/,
    });
    assert.equal(fake.seen.length, 0);
  });
});

describe("serialisation", () => {
  test("unserialisable payloads are refused before any request", async () => {
    const fake = scriptedFetch();
    const client = withToken(fake.fetch);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cases: [Promise<unknown>, RegExp][] = [
      [
        client.sendEvent(sampleEvent({ metadata: { bytes: 10n } })),
        /event\.metadata\.bytes is a BigInt/,
      ],
      [client.sendEvent(cyclic as never), /event\.self refers back to itself/],
      [client.sendFinding({ title: "x", run: () => 1 } as never), /finding\.run is a function/],
      [
        client.sendEvent(sampleEvent({ score: Number.NaN })),
        /event\.score is the non-finite number NaN/,
      ],
      [
        client.sendEvent([] as never),
        /event must be an object, got an array/,
      ],
      [
        client.sendEventsBatch([sampleEvent(), "x" as never]),
        /events\[1\] must be an object/,
      ],
    ];
    for (const [promise, message] of cases) {
      await assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof VectorVueSerializationError);
        assert.match(error.message, message);
        return true;
      });
    }
    assert.equal(fake.seen.length, 0);
  });

  test("a batch longer than maxBatchSize is refused before any request", async () => {
    const fake = scriptedFetch();
    const client = withToken(fake.fetch, { maxBatchSize: 2 });
    await assert.rejects(client.sendEventsBatch([sampleEvent(), sampleEvent(), sampleEvent()]), {
      name: "VectorVueSerializationError",
      message: /3 items, more than maxBatchSize \(2\)/,
    });
    await assert.rejects(
      client.sendFindingsBatch([{}, {}, {}] as never),
      VectorVueSerializationError,
    );
    assert.equal(fake.seen.length, 0);
  });

  test("the body sent is the JSON of the payload, serialised once for every attempt", async () => {
    const fake = scriptedFetch(json(503, { detail: "busy" }), accepted());
    const event = sampleEvent({ message: "café ✓" });
    await withToken(fake.fetch).sendEvent(event);
    assert.equal(fake.seen[0].body, JSON.stringify(event));
    assert.equal(fake.seen[1].body, fake.seen[0].body);
  });
});

describe("signing", () => {
  test("signed requests carry X-Timestamp and an X-Signature over the exact body sent", async () => {
    const fake = scriptedFetch(accepted(), accepted());
    const client = withToken(fake.fetch, { signatureSecret: SECRET });
    await client.sendEvent(sampleEvent());
    await client.sendEventsBatch([sampleEvent()]);
    const key = await importHmacKey(SECRET);
    for (const seen of fake.seen) {
      const timestamp = Number(seen.headers["x-timestamp"]);
      assert.ok(Math.abs(timestamp - Date.now() / 1000) < 60);
      const expected = await signRequest(key, timestamp, new TextEncoder().encode(seen.body));
      assert.equal(seen.headers["x-signature"], expected["X-Signature"]);
      assert.match(seen.headers["x-signature"], /^[0-9a-f]{64}$/);
    }
  });

  test("no signature headers without signatureSecret, nor on status and login", async () => {
    const fake = scriptedFetch(loginOk(), accepted(), accepted());
    const client = credentials(fake.fetch, { signatureSecret: SECRET });
    await client.sendEvent(sampleEvent());
    await client.getIngestStatus("r-1");
    assert.equal(fake.seen[0].headers["x-signature"], undefined);
    assert.ok(fake.seen[1].headers["x-signature"]);
    assert.equal(fake.seen[2].headers["x-signature"], undefined);
    const unsigned = scriptedFetch(accepted());
    await withToken(unsigned.fetch).sendEvent(sampleEvent());
    assert.equal(unsigned.seen[0].headers["x-timestamp"], undefined);
  });

  test("each attempt is signed afresh, with the clock corrected from the server's Date", async () => {
    const serverTime = new Date(Date.now() + 3_600_000);
    const { logger, records } = capturingLogger();
    const fake = scriptedFetch(
      json(503, { detail: "busy" }, { date: serverTime.toUTCString() }),
      accepted(),
    );
    const client = withToken(fake.fetch, {
      signatureSecret: SECRET,
      logger,
      // The server's clock judges expiry too: the token must outlive the skew.
      token: validJwt({ exp: Math.floor(Date.now() / 1000) + 4 * 3600 }),
    });
    await client.sendEvent(sampleEvent());
    const [first, second] = fake.seen.map((s) => Number(s.headers["x-timestamp"]));
    assert.ok(
      second - first > 3500,
      `second attempt should use the server's clock: ${first} → ${second}`,
    );
    assert.notEqual(fake.seen[0].headers["x-signature"], fake.seen[1].headers["x-signature"]);
    assert.ok(
      records.some((r) =>
        r.message === "vectorvue clock correction" &&
        // Date has whole seconds, Date.now() milliseconds: 3599 or 3600.
        Math.abs(Number(r.fields.offsetSeconds) - 3600) <= 1
      ),
    );
  });

  test("'Signature timestamp out of range' with a skewed Date is re-signed once and succeeds", async () => {
    const serverTime = new Date(Date.now() - 7_200_000);
    const fake = scriptedFetch(
      json(401, { detail: "Signature timestamp out of range" }, { date: serverTime.toUTCString() }),
      accepted(),
    );
    const result = await withToken(fake.fetch, { signatureSecret: SECRET }).sendEvent(
      sampleEvent(),
    );
    assert.equal(result.status, "accepted");
    const [first, second] = fake.seen.map((s) => Number(s.headers["x-timestamp"]));
    assert.ok(first - second > 7100);
  });

  test("'Invalid request signature' is final and does not trigger a re-login", async () => {
    const fake = scriptedFetch(loginOk(), json(401, { detail: "Invalid request signature" }));
    await assert.rejects(
      credentials(fake.fetch, { signatureSecret: SECRET }).sendEvent(sampleEvent()),
      { name: "VectorVueAuthError", message: /Invalid request signature/ },
    );
    assert.equal(fake.seen.length, 2);
  });
});

describe("idempotency", () => {
  test("sendEvent() sends the caller's Idempotency-Key", async () => {
    const fake = scriptedFetch(accepted());
    await withToken(fake.fetch).sendEvent(sampleEvent(), { idempotencyKey: "run-17-step-3" });
    assert.equal(fake.seen[0].headers["idempotency-key"], "run-17-step-3");
  });

  test("sendEvent() without a key makes one UUID per call, reused by its retries", async () => {
    const fake = scriptedFetch(json(503, {}), json(502, {}), accepted(), accepted());
    const client = withToken(fake.fetch);
    await client.sendEvent(sampleEvent());
    await client.sendEvent(sampleEvent());
    const keys = fake.seen.map((s) => s.headers["idempotency-key"]);
    assert.match(keys[0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(keys[1], keys[0]);
    assert.equal(keys[2], keys[0]);
    assert.notEqual(keys[3], keys[0]);
  });

  test("only sendEvent() sends an Idempotency-Key", async () => {
    const fake = scriptedFetch(accepted(), accepted());
    const client = withToken(fake.fetch);
    await client.sendFinding({ title: "abc" } as never);
    await client.sendEventsBatch([sampleEvent()]);
    assert.ok(fake.seen.every((s) => s.headers["idempotency-key"] === undefined));
  });

  test("X-Idempotent-Replay: true gives replayed true and status replayed", async () => {
    const body = {
      request_id: "r-1",
      status: "accepted",
      data: { event_id: "e" },
      errors: [],
      signature: null,
    };
    const fake = scriptedFetch(json(202, body, { "x-idempotent-replay": "true" }));
    const result = await withToken(fake.fetch).sendEvent(sampleEvent(), { idempotencyKey: "k-1" });
    assert.equal(result.replayed, true);
    assert.equal(result.status, "replayed");
    assert.equal(result.ok, true);
    assert.equal(result.headers["x-idempotent-replay"], "true");
  });

  test("a body status of replayed is also a replay", async () => {
    const body = { request_id: "r-1", status: "replayed", data: {}, errors: [], signature: null };
    const result = await withToken(scriptedFetch(json(202, body)).fetch).sendEvent(sampleEvent());
    assert.equal(result.replayed, true);
  });

  test("409 is a VectorVueConflictError with errorCode idempotency_conflict", async () => {
    const fake = scriptedFetch(json(409, {
      request_id: "r-9",
      status: "failed",
      data: null,
      errors: [{
        code: "idempotency_conflict",
        message: "Idempotency-Key reuse with different payload",
      }],
      signature: null,
    }));
    await assert.rejects(
      withToken(fake.fetch).sendEvent(sampleEvent(), { idempotencyKey: "k" }),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueConflictError);
        assert.ok(error instanceof VectorVueAPIError);
        assert.equal(error.errorCode, "idempotency_conflict");
        assert.equal(error.requestId, "r-9");
        assert.match(
          error.message,
          /409 idempotency_conflict: Idempotency-Key reuse with different payload/,
        );
        return true;
      },
    );
    assert.equal(fake.seen.length, 1);
  });

  test("a malformed idempotency key is refused before any request", async () => {
    const fake = scriptedFetch();
    await assert.rejects(
      withToken(fake.fetch).sendEvent(sampleEvent(), { idempotencyKey: "has space" }),
      {
        name: "VectorVueConfigError",
        message: /idempotencyKey/,
      },
    );
    assert.equal(fake.seen.length, 0);
  });
});

describe("retries", () => {
  test("sendEvent() retries 503 then succeeds and reports retryCount 1", async () => {
    const fake = scriptedFetch(json(503, { detail: "unavailable" }), accepted());
    const result = await withToken(fake.fetch).sendEvent(sampleEvent());
    assert.equal(result.retryCount, 1);
    assert.equal(fake.seen.length, 2);
  });

  test("429 without Retry-After is retried past maxRetries while rateLimitWaitMs lasts, then VectorVueRateLimitError", async () => {
    const limited = () => json(429, { detail: "Rate limit exceeded" });
    const fake = scriptedFetch(...Array.from({ length: 30 }, limited));
    const started = performance.now();
    await assert.rejects(
      withToken(fake.fetch, { maxRetries: 1, rateLimitWaitMs: 3_000 }).sendEvent(sampleEvent()),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueRateLimitError);
        assert.equal(error.httpStatus, 429);
        assert.equal(error.retryCount, fake.seen.length - 1);
        return true;
      },
    );
    const elapsed = performance.now() - started;
    assert.ok(fake.seen.length > 2, `maxRetries does not bound 429s (${fake.seen.length} sent)`);
    // Probes at 250 ms and 1.25 s (the gap grows fourfold); the next (5.25 s) would fall
    // outside the budget, so it gives up then.
    assert.ok(elapsed >= 1_000 && elapsed <= 3_500, `waited ${elapsed} ms of a 3 s budget`);
  });

  test("429s do not spend maxRetries: 429, then 503, then 202 with maxRetries 1 succeeds", async () => {
    const fake = scriptedFetch(
      json(429, { detail: "Rate limit exceeded" }),
      json(503, { detail: "busy" }),
      accepted(),
    );
    const result = await withToken(fake.fetch, { maxRetries: 1 }).sendEvent(sampleEvent());
    assert.equal(result.status, "accepted");
    assert.equal(result.retryCount, 2);
    assert.equal(fake.seen.length, 3);
  });

  test("a single item answered 413 fails with VectorVuePayloadTooLargeError's code; it is not sent again", async () => {
    const fake = scriptedFetch(json(413, { detail: "Request Entity Too Large" }));
    const result = await withToken(fake.fetch).sendEvents([sampleEvent()]);
    assert.equal(result.failed, 1);
    assert.equal(result.items[0].errorCode, "payload_too_large");
    assert.equal(fake.seen.length, 1, "a single item cannot be split: one request only");
  });

  test("a batch answered 413 is split in halves, each sent once", async () => {
    const fake = scriptedFetch(
      json(413, { detail: "Request Entity Too Large" }),
      (seen) => batchAccepted(JSON.parse(seen.body).length),
      (seen) => batchAccepted(JSON.parse(seen.body).length),
    );
    const result = await withToken(fake.fetch).sendEvents([
      sampleEvent({ event_id: "a" }),
      sampleEvent({ event_id: "b" }),
    ]);
    assert.equal(result.accepted, 2);
    assert.deepEqual(fake.seen.map((s) => JSON.parse(s.body).length), [2, 1, 1]);
  });

  test("signing that throws gives the pacer slot back: the next call is not held by it", async () => {
    const fake = scriptedFetch(accepted());
    const client = withToken(fake.fetch, {
      signatureSecret: "shared-secret",
      rateLimit: { requests: 1, windowMs: 60_000 },
      rateLimitWaitMs: 1_000,
    });
    const sign = crypto.subtle.sign;
    crypto.subtle.sign = () => Promise.reject(new Error("signing failed"));
    try {
      await assert.rejects(client.sendEvent(sampleEvent()), { message: "signing failed" });
    } finally {
      crypto.subtle.sign = sign;
    }
    const started = performance.now();
    const result = await client.sendEvent(sampleEvent());
    assert.equal(result.status, "accepted");
    assert.ok(performance.now() - started < 500, "the slot was given back at once");
    assert.equal(fake.seen.length, 1);
  });

  test("429 then success: the call waits for the pacer and resolves", async () => {
    const fake = scriptedFetch(json(429, { detail: "Rate limit exceeded" }), accepted());
    const result = await withToken(fake.fetch, { maxRetries: 0 }).sendEvent(sampleEvent());
    assert.equal(result.retryCount, 1);
    assert.equal(fake.seen.length, 2);
  });

  for (const status of [502, 503, 504]) {
    test(`${status} is retried up to maxRetries, then reported with retryCount`, async () => {
      const fake = scriptedFetch(...Array.from({ length: 3 }, () => json(status, { detail: "x" })));
      await assert.rejects(
        withToken(fake.fetch, { maxRetries: 2 }).sendEvent(sampleEvent()),
        (error: unknown) => {
          assert.ok(error instanceof VectorVueAPIError);
          assert.equal(error.httpStatus, status);
          assert.equal(error.retryCount, 2);
          return true;
        },
      );
      assert.equal(fake.seen.length, 3);
    });
  }

  for (const status of [400, 401, 403, 404, 405, 409, 413, 422, 500]) {
    test(`${status} is never retried`, async () => {
      const fake = scriptedFetch(json(status, { detail: "no" }), accepted());
      await assert.rejects(
        withToken(fake.fetch).sendFinding({ title: "abc" } as never),
        VectorVueAPIError,
      );
      assert.equal(fake.seen.length, 1);
    });
  }

  test("connection errors are retried, then a VectorVueTransportError with attempts", async () => {
    const refused = () =>
      new TypeError("fetch failed", {
        cause: { code: "ECONNREFUSED", message: "connect ECONNREFUSED" },
      });
    const fake = scriptedFetch(refused(), refused(), refused());
    await assert.rejects(
      withToken(fake.fetch, { maxRetries: 2 }).sendEvent(sampleEvent()),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueTransportError);
        assert.equal(error.attempts, 3);
        assert.equal(error.kind, "connection");
        assert.match(
          error.message,
          /failed after 3 attempt\(s\): connection to https:\/\/vectorvue\.test failed \(ECONNREFUSED/,
        );
        assert.ok(error.cause instanceof Error);
        return true;
      },
    );
  });

  test("a dropped connection then success resolves with retryCount 1", async () => {
    const fake = scriptedFetch(new TypeError("connection reset"), accepted());
    const result = await withToken(fake.fetch).sendEventsBatch([sampleEvent()]);
    assert.equal(result.retryCount, 1);
  });

  test("TLS failures are not retried and say TLS/certificate", async () => {
    const fake = scriptedFetch(
      new TypeError("fetch failed", {
        cause: Object.assign(new Error("self-signed certificate in certificate chain"), {
          code: "SELF_SIGNED_CERT_IN_CHAIN",
        }),
      }),
    );
    await assert.rejects(withToken(fake.fetch).sendEvent(sampleEvent()), (error: unknown) => {
      assert.ok(error instanceof VectorVueTransportError);
      assert.equal(error.kind, "tls");
      assert.equal(error.attempts, 1);
      assert.match(
        error.message,
        /TLS\/certificate verification with https:\/\/vectorvue\.test failed/,
      );
      assert.match(error.message, /caCerts/);
      return true;
    });
  });

  test("a timeout is retried and reported as kind timeout", async () => {
    const hang = () => new Response(new ReadableStream({ start() {} }), { status: 202 });
    const fake = scriptedFetch(hang, hang);
    await assert.rejects(
      withToken(fake.fetch, { maxRetries: 1, timeoutMs: 30 }).sendEvent(sampleEvent()),
      {
        name: "VectorVueTransportError",
        message: /no complete answer within timeoutMs \(30 ms\)/,
      },
    );
    assert.equal(fake.seen.length, 2);
  });

  test("Retry-After in seconds is honoured, capped by maxBackoffMs, without jitter", async () => {
    // The longest wait the call sets up, leaving out the attempts' 10 s deadlines (the pacer may
    // add a timer of a millisecond or so while its own pause runs out).
    const longestWait = async (status: 429 | 503, retryAfter: string, backoffMs: number) => {
      const fake = scriptedFetch(
        json(status, { detail: "try later" }, { "retry-after": retryAfter }),
        accepted(),
      );
      const random = Math.random;
      Math.random = () => 0.999;
      try {
        return await withTimerSpy(async (timers) => {
          const result = await withToken(fake.fetch, { backoffMs, maxBackoffMs: 20 })
            .sendEvent(sampleEvent());
          assert.equal(result.retryCount, 1);
          return Math.max(0, ...timers.delays().filter((ms) => ms !== 10_000));
        });
      } finally {
        Math.random = random;
      }
    };
    // The header says 3600 s, the cap 20 ms; jitter alone would wait 0.999 × 1 ms (503), the
    // pacer about nothing (429).
    assert.equal(await longestWait(503, "3600", 1), 20);
    assert.equal(await longestWait(429, "3600", 1), 20);
    // "0" means at once; jitter alone would wait 0.999 × 20 ms, the cap 20 ms.
    assert.ok((await longestWait(503, "0", 20)) < 5);
  });

  test("an HTTP-date Retry-After is measured against the server's Date, not the local clock", async () => {
    const serverNow = new Date(Date.now() + 3_600_000).toUTCString();
    const fake = scriptedFetch(
      json(503, { detail: "busy" }, { date: serverNow, "retry-after": serverNow }),
      accepted(),
    );
    // Read against the local clock, the date is an hour away and the wait would hit the cap.
    const client = withToken(fake.fetch, {
      maxBackoffMs: 120_000,
      token: validJwt({ exp: Math.floor(Date.now() / 1000) + 4 * 3600 }),
    });
    const result = await client.sendEvent(sampleEvent(), { signal: AbortSignal.timeout(10_000) });
    assert.equal(result.retryCount, 1);
  });

  test("the caller's signal stops a call in the middle of a back-off wait", async () => {
    const controller = new AbortController();
    const reason = new Error("caller gave up");
    const fake = scriptedFetch(() => {
      setTimeout(() => controller.abort(reason), 5);
      return json(503, {});
    }, accepted());
    const client = withToken(fake.fetch, { backoffMs: 60_000, maxBackoffMs: 60_000 });
    const random = Math.random;
    Math.random = () => 0.999;
    try {
      await assert.rejects(
        client.sendEvent(sampleEvent(), { signal: controller.signal }),
        (error) => error === reason,
      );
    } finally {
      Math.random = random;
    }
    assert.equal(fake.seen.length, 1);
  });

  test("an already aborted signal sends nothing", async () => {
    const fake = scriptedFetch();
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      withToken(fake.fetch).sendEvent(sampleEvent(), { signal: controller.signal }),
      {
        name: "AbortError",
      },
    );
    assert.equal(fake.seen.length, 0);
  });
});

describe("errors", () => {
  test("errorCode and message come from errors[0] (code or error_code spelling)", async () => {
    const fake = scriptedFetch(
      json(422, {
        request_id: "r",
        status: "failed",
        data: null,
        errors: [{ code: "validation_failed", message: "Payload validation failed" }],
      }),
      json(422, {
        request_id: "r",
        status: "failed",
        data: null,
        errors: [{
          error_code: "batch_too_large",
          error_message: "Batch size exceeds configured maximum (250)",
        }],
      }),
    );
    const client = withToken(fake.fetch);
    await assert.rejects(client.sendEvent(sampleEvent()), (error: unknown) => {
      assert.ok(error instanceof VectorVueValidationError);
      assert.equal(error.errorCode, "validation_failed");
      assert.match(error.message, /Payload validation failed/);
      return true;
    });
    await assert.rejects(client.sendEventsBatch([sampleEvent()]), (error: unknown) => {
      assert.ok(error instanceof VectorVueValidationError);
      assert.equal(error.errorCode, "batch_too_large");
      assert.match(error.message, /Batch size exceeds configured maximum \(250\)/);
      return true;
    });
  });

  test("a list-shaped detail becomes a readable message", async () => {
    const fake = scriptedFetch(json(422, {
      detail: [{
        type: "missing",
        loc: ["body", "title"],
        msg: "Field required",
        input: { secret: "x" },
      }],
    }));
    await assert.rejects(withToken(fake.fetch).sendFinding({ title: "abc" } as never), {
      name: "VectorVueValidationError",
      message: /422 validation_failed: body\.title: Field required/,
    });
  });

  test("an HTML 502 from a proxy is a typed error after retries, not a JSON crash", async () => {
    const html = () =>
      new Response("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", {
        status: 502,
        headers: { "content-type": "text/html" },
      });
    const fake = scriptedFetch(html(), html());
    await assert.rejects(
      withToken(fake.fetch, { maxRetries: 1 }).sendEvent(sampleEvent()),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueAPIError);
        assert.equal(error.errorCode, "bad_gateway");
        assert.match(error.message, /502 bad_gateway after 1 retries: 502 Bad Gateway/);
        assert.equal(typeof error.body, "string");
        return true;
      },
    );
  });

  test("a plain-text 500 is a server_error", async () => {
    const fake = scriptedFetch(new Response("Internal Server Error", { status: 500 }));
    await assert.rejects(withToken(fake.fetch).sendEvent(sampleEvent()), {
      name: "VectorVueServerError",
      message: /500 server_error: Internal Server Error/,
    });
  });

  test("success statuses with HTML, empty, truncated or wrongly shaped bodies are VectorVueResponseErrors", async () => {
    const bodies = [
      new Response("<html>ok</html>", { status: 202, headers: { "content-type": "text/html" } }),
      new Response("", { status: 202 }),
      new Response('{"request_id": "r", "status": "acc', { status: 202 }),
      json(202, { hello: "world" }),
      json(202, [1, 2, 3]),
    ];
    const fake = scriptedFetch(...bodies);
    const client = withToken(fake.fetch);
    for (let i = 0; i < bodies.length; i++) {
      await assert.rejects(client.sendFinding({ title: "abc" } as never), (error: unknown) => {
        assert.ok(error instanceof VectorVueResponseError, String(error));
        assert.equal(error.errorCode, "invalid_response");
        assert.match(error.message, /not the response envelope the API promises/);
        return true;
      });
    }
  });

  test("the error's requestId falls back to the X-Request-ID the client sent", async () => {
    const fake = scriptedFetch(json(400, { detail: "username and password are required" }));
    await assert.rejects(
      withToken(fake.fetch).sendFinding({ title: "abc" } as never),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueAPIError);
        assert.equal(error.requestId, fake.seen[0].headers["x-request-id"]);
        return true;
      },
    );
  });
});

describe("logging", () => {
  test("one record per attempt with endpoint, method, requestId, tenantId, outcome, status, attempt, retryCount, durationMs", async () => {
    const { logger, records } = capturingLogger();
    const fake = scriptedFetch(json(503, {}), accepted());
    await withToken(fake.fetch, { logger }).sendEvent(sampleEvent());
    assert.equal(records.length, 2);
    const [retry, done] = records;
    assert.equal(retry.level, "warn");
    assert.equal(done.level, "debug");
    for (const [index, record] of records.entries()) {
      assert.deepEqual(Object.keys(record.fields).sort(), [
        "attempt",
        "durationMs",
        "endpoint",
        "httpStatus",
        "method",
        "outcome",
        "requestId",
        "retryCount",
        "tenantId",
      ]);
      assert.equal(record.fields.endpoint, "/api/v1/integrations/spectrastrike/events");
      assert.equal(record.fields.tenantId, TENANT);
      assert.equal(record.fields.attempt, index + 1);
      assert.equal(record.fields.retryCount, index);
      assert.equal(typeof record.fields.durationMs, "number");
    }
    assert.equal(retry.fields.httpStatus, 503);
    assert.equal(retry.fields.outcome, "retryable_status");
    assert.equal(done.fields.outcome, "ok");
  });

  test("a logger that throws does not break delivery", async () => {
    const boom = () => {
      throw new Error("logger down");
    };
    const fake = scriptedFetch(accepted());
    const client = withToken(fake.fetch, {
      logger: { debug: boom, info: boom, warn: boom, error: boom },
    });
    assert.equal((await client.sendEvent(sampleEvent())).status, "accepted");
  });
});

describe("secrets", () => {
  test("password, token, signing secret and signatures never appear in logs, errors or printed output", async () => {
    const token = validJwt({ jti: "tok-unique-5521" });
    const { logger, records } = capturingLogger();
    const fake = scriptedFetch(
      loginOk(token),
      json(503, { detail: `echo ${PASSWORD} ${token}` }),
      json(422, {
        detail: [{ loc: ["body", "password"], msg: "bad", input: { password: PASSWORD, token } }],
      }),
    );
    const client = credentials(fake.fetch, {
      signatureSecret: SECRET,
      responseSigningKey: "resp-key-0042",
      logger,
    });
    const error = await client.sendEvent(sampleEvent()).then(
      () => assert.fail("should have failed"),
      (e: unknown) => e as VectorVueAPIError,
    );
    const signatures = fake.seen.map((s) => s.headers["x-signature"]).filter(Boolean);
    assert.equal(signatures.length, 2);
    const secrets = [PASSWORD, token, SECRET, "resp-key-0042", ...signatures];
    const printed: string[] = [
      JSON.stringify(records),
      error.message,
      String(error.stack),
      JSON.stringify(error.body),
      JSON.stringify(client),
      String(
        (globalThis as { Deno?: { inspect(v: unknown): string } }).Deno?.inspect(client) ?? "",
      ),
      (await import("node:util")).inspect(client, { depth: 10, showHidden: true }),
      (await import("node:util")).inspect(error, { depth: 10 }),
    ];
    for (const text of printed) {
      for (const secret of secrets) {
        assert.ok(!text.includes(secret!), `leaked a secret in: ${text.slice(0, 200)}`);
      }
    }
    assert.match(printed[4], /"auth":"credentials"/);
  });
});

describe("TLS options", () => {
  test("a CA that looks like PEM but does not parse is a typed error, not a crash", async () => {
    const client = new VectorVueClient({
      baseUrl: "https://127.0.0.1:9",
      token: validJwt(),
      maxRetries: 0,
      caCerts: ["-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n"],
    });
    try {
      await assert.rejects(client.sendEvent(sampleEvent()), (error: unknown) => {
        // Deno parses the PEM when the pool is made; Node only when connecting.
        if (typeof Deno !== "undefined") {
          assert.ok(error instanceof VectorVueConfigError, String(error));
          assert.match(error.message, /caCerts\/tls could not be loaded/);
        } else {
          assert.ok(error instanceof VectorVueError, String(error));
        }
        return true;
      });
    } finally {
      await client.close();
    }
  });
});

/** A promise and its resolver (`Promise.withResolvers` is missing on Node 20). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe("a login shared by callers who leave", () => {
  test("login() aborted by its only caller stops the shared login: no back-off left, no more requests", async () => {
    await withTimerSpy(async (timers) => {
      const logins: AbortSignal[] = [];
      const firstAnswer = deferred();
      // Every login is answered 503 at once; the client would back off 10 s and try again.
      const fetchImpl = (_input: RequestInfo | URL, init?: RequestInit) => {
        logins.push(init!.signal!);
        firstAnswer.resolve();
        return Promise.resolve(json(503, { detail: "busy" }));
      };
      const client = credentials(fetchImpl as typeof fetch, {
        backoffMs: 10_000,
        maxBackoffMs: 10_000,
      });
      const caller = new AbortController();
      const login = client.login({ signal: caller.signal });
      await firstAnswer.promise;
      caller.abort(new Error("caller gave up"));
      await assert.rejects(login, /caller gave up/);
      // The shared login's back-off timer was cleared with it: nothing keeps the process alive.
      assert.equal(timers.pending(), 0);
      assert.equal(logins.length, 1);
      // A later login starts afresh rather than joining the abandoned one.
      const again = client.login({ signal: AbortSignal.abort(new Error("again")) });
      await assert.rejects(again, /again/);
      assert.equal(timers.pending(), 0);
    });
  });

  test("a caller leaving a shared login does not cancel it for the others", async () => {
    const gate = deferred();
    let loginSignal: AbortSignal | undefined;
    const fake = scriptedFetch(async () => {
      await gate.promise;
      return loginOk();
    }, accepted());
    const fetchImpl = (input: RequestInfo | URL, init?: RequestInit) => {
      loginSignal ??= init?.signal ?? undefined;
      return fake.fetch(input, init);
    };
    const client = credentials(fetchImpl as typeof fetch);
    const leaving = new AbortController();
    const first = client.login({ signal: leaving.signal });
    const second = client.sendEvent(sampleEvent());
    await new Promise((resolve) => setTimeout(resolve, 0));
    leaving.abort(new Error("first caller left"));
    await assert.rejects(first, /first caller left/);
    assert.equal(loginSignal?.aborted, false, "the login went on for the second caller");
    gate.resolve();
    assert.equal((await second).status, "accepted");
    assert.equal(fake.seen.filter((s) => s.url.endsWith("/auth/login")).length, 1);
  });
});

describe("errors name the URL requested", () => {
  test("a doubled /api/v1 prefix is visible in the error, with a hint", async () => {
    const fake = scriptedFetch(json(404, { detail: "Not Found" }));
    const client = credentials(fake.fetch, { baseUrl: `${BASE}/api/v1` });
    const error = await client.login().then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof VectorVueNotFoundError);
    assert.equal(fake.seen[0].url, `${BASE}/api/v1/api/v1/client/auth/login`);
    assert.match(
      error.message,
      new RegExp(
        `^POST ${BASE}/api/v1/api/v1/client/auth/login failed with 404 not_found: Not Found; ` +
          `baseUrl ${BASE}/api/v1 already has an /api path`,
      ),
    );
    assert.ok(!error.message.includes(PASSWORD));
  });

  test("API, transport and response errors carry the full URL", async () => {
    const client = withToken(
      scriptedFetch(
        json(422, { detail: "Payload validation failed" }),
        new TypeError("connection refused"),
        new Response("<html></html>", { status: 200, headers: { "content-type": "text/html" } }),
      ).fetch,
      { maxRetries: 0 },
    );
    await assert.rejects(client.sendFinding({ title: "x" } as never), {
      message: new RegExp(
        `^POST ${BASE}/api/v1/integrations/spectrastrike/findings failed with 422`,
      ),
    });
    await assert.rejects(client.sendEventsBatch([sampleEvent()]), {
      name: "VectorVueTransportError",
      message: new RegExp(
        `^POST ${BASE}/api/v1/integrations/spectrastrike/events/batch failed after 1`,
      ),
    });
    await assert.rejects(client.getIngestStatus("req-1"), {
      name: "VectorVueResponseError",
      message: new RegExp(
        `^GET ${BASE}/api/v1/integrations/spectrastrike/ingest/status/req-1 answered 200 with text/html`,
      ),
    });
  });
});

describe("a closed client", () => {
  test("every call after close() throws VectorVueClientClosedError and sends nothing", async () => {
    const fake = scriptedFetch();
    const client = withToken(fake.fetch);
    await client.close();
    await client.close(); // twice is harmless
    const calls: [string, () => Promise<unknown>][] = [
      ["login", () => client.login()],
      ["sendEvent", () => client.sendEvent(sampleEvent())],
      ["sendEventsBatch", () => client.sendEventsBatch([sampleEvent()])],
      ["sendFinding", () => client.sendFinding({ title: "x" } as never)],
      ["sendFindingsBatch", () => client.sendFindingsBatch([{ title: "x" } as never])],
      ["getIngestStatus", () => client.getIngestStatus("req-1")],
      ["sendClientEvent", () => client.sendClientEvent({ event_type: "FINDING_VIEWED" } as never)],
      ["sendEvents", () => client.sendEvents([sampleEvent()])],
      ["sendFindings", () => client.sendFindings([{ title: "x" } as never])],
      [
        "createBatcher",
        () => Promise.resolve().then(() => client.createBatcher({ kind: "events" })),
      ],
    ];
    for (const [method, call] of calls) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof VectorVueClientClosedError, `${method}: ${error}`);
        assert.ok(error instanceof VectorVueError);
        assert.match(
          error.message,
          new RegExp(`^${method}\\(\\) called on a closed VectorVueClient`),
        );
        return true;
      });
    }
    assert.equal(fake.seen.length, 0);
  });

  test("await using closes the client: a call after the block throws", async () => {
    const fake = scriptedFetch(accepted());
    let escaped: VectorVueClient | undefined;
    {
      await using client = withToken(fake.fetch);
      await client.sendEvent(sampleEvent());
      escaped = client;
    }
    await assert.rejects(escaped.sendEvent(sampleEvent()), VectorVueClientClosedError);
    assert.equal(fake.seen.length, 1);
  });

  test("a batcher of a closed client dead-letters with VectorVueClientClosedError instead of sending", async () => {
    const fake = scriptedFetch();
    const client = withToken(fake.fetch);
    const dead: Error[] = [];
    const batcher = client.createBatcher({
      kind: "events",
      onDeadLetter: (_items, error) => void dead.push(error),
    });
    await batcher.add(sampleEvent());
    await client.close();
    await batcher.close();
    assert.equal(fake.seen.length, 0);
    assert.equal(batcher.stats().deadLettered, 1);
    assert.ok(dead[0] instanceof VectorVueClientClosedError, String(dead[0]));
  });
});
