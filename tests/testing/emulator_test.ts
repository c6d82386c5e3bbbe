// The emulator against the server contract: login, the bearer guard, routing, client telemetry,
// rate limits, options and inspection. Ingestion is in ingest_test.ts, faults in faults_test.ts,
// real HTTPS in serve_test.ts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createVectorVueEmulator, EMULATOR_DEFAULTS } from "../../src/testing/mod.ts";
import {
  call,
  CLIENT_EVENTS,
  EVENTS,
  jwtPart,
  LOGIN,
  manualClock,
  OTHER_TENANT,
  STATUS,
  T0,
  TENANT,
  withToken,
} from "./_helpers.ts";

const DEFAULT_LOGIN = { username: "operator", password: "operator-password" };

describe("login", () => {
  test("answers 200 with a non-envelope body and an HS256 JWT carrying the contract's claims", async () => {
    const clock = manualClock();
    const emulator = createVectorVueEmulator({ now: clock.now });
    const res = await call(emulator, "POST", LOGIN, { body: DEFAULT_LOGIN });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json), [
      "access_token",
      "token_type",
      "expires_in",
      "tenant_id",
      "username",
    ]);
    assert.equal(res.json.token_type, "bearer");
    assert.equal(res.json.expires_in, 43200);
    assert.equal(res.json.tenant_id, TENANT);
    assert.equal(res.json.username, "operator");
    assert.deepEqual(jwtPart(res.json.access_token, 0), { alg: "HS256", typ: "JWT" });
    assert.deepEqual(jwtPart(res.json.access_token, 1), {
      sub: "operator",
      tenant_id: TENANT,
      role: "operator",
      iat: T0 / 1000,
      exp: T0 / 1000 + 43200,
      iss: "vectorvue-client-api",
    });
  });

  test("issues tokens that pass the bearer guard until they expire", async () => {
    const clock = manualClock();
    const emulator = createVectorVueEmulator({ now: clock.now, tokenTtlSeconds: 60 });
    const token = (await call(emulator, "POST", LOGIN, { body: DEFAULT_LOGIN })).json.access_token;
    assert.equal(
      (await call(emulator, "GET", `${STATUS}${crypto.randomUUID()}`, { token })).status,
      404,
    );
    clock.advance(60_000);
    const expired = await call(emulator, "GET", `${STATUS}${crypto.randomUUID()}`, { token });
    assert.deepEqual([expired.status, expired.json], [401, { detail: "Token expired" }]);
  });

  test("rejects a body missing fields with FastAPI's list-shaped 422", async () => {
    const emulator = createVectorVueEmulator();
    const res = await call(emulator, "POST", LOGIN, { body: { username: "operator" } });
    assert.equal(res.status, 422);
    assert.deepEqual(res.json, {
      detail: [{
        type: "missing",
        loc: ["body", "password"],
        msg: "Field required",
        input: { username: "operator" },
      }],
    });
  });

  test("answers 422 Field required at ['body'] for an empty body", async () => {
    const res = await call(createVectorVueEmulator(), "POST", LOGIN, {
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 422);
    assert.deepEqual(res.json.detail, [{
      type: "missing",
      loc: ["body"],
      msg: "Field required",
      input: null,
    }]);
  });

  test("answers 422 json_invalid for a body that is not JSON", async () => {
    const res = await call(createVectorVueEmulator(), "POST", LOGIN, { body: "{nope" });
    assert.equal(res.status, 422);
    assert.equal(res.json.detail[0].type, "json_invalid");
    assert.equal(res.json.detail[0].msg, "JSON decode error");
  });

  test("treats a non-JSON content type as a raw body, as FastAPI does (422)", async () => {
    const res = await call(createVectorVueEmulator(), "POST", LOGIN, {
      body: JSON.stringify(DEFAULT_LOGIN),
      headers: { "content-type": "text/plain" },
    });
    assert.equal(res.status, 422);
    assert.equal(res.json.detail[0].type, "model_attributes_type");
    assert.equal(res.json.detail[0].input, JSON.stringify(DEFAULT_LOGIN));
  });

  test("answers 400 when username or password is blank", async () => {
    const emulator = createVectorVueEmulator();
    for (
      const body of [{ username: "  ", password: "x" }, { username: "operator", password: "" }]
    ) {
      const res = await call(emulator, "POST", LOGIN, { body });
      assert.deepEqual([res.status, res.json], [400, {
        detail: "username and password are required",
      }]);
    }
  });

  test("answers 401 Invalid credentials for an unknown user or a wrong password", async () => {
    const emulator = createVectorVueEmulator();
    for (
      const body of [{ ...DEFAULT_LOGIN, username: "nobody" }, {
        ...DEFAULT_LOGIN,
        password: "nope",
      }]
    ) {
      const res = await call(emulator, "POST", LOGIN, { body });
      assert.deepEqual([res.status, res.json], [401, { detail: "Invalid credentials" }]);
    }
  });

  test("answers 401 Unknown tenant_id and 403 Tenant is inactive", async () => {
    const emulator = createVectorVueEmulator({
      tenants: [{ id: TENANT }, { id: OTHER_TENANT, active: false }],
    });
    const unknown = await call(emulator, "POST", LOGIN, {
      body: { ...DEFAULT_LOGIN, tenant_id: "30000000-0000-0000-0000-000000000003" },
    });
    assert.deepEqual([unknown.status, unknown.json], [401, { detail: "Unknown tenant_id" }]);
    const inactive = await call(emulator, "POST", LOGIN, {
      body: { ...DEFAULT_LOGIN, tenant_id: OTHER_TENANT },
    });
    assert.deepEqual([inactive.status, inactive.json], [403, { detail: "Tenant is inactive" }]);
  });

  test("needs tenant_id when more than one tenant is active (400)", async () => {
    const emulator = createVectorVueEmulator({
      users: [EMULATOR_DEFAULTS, { username: "b", password: "b-password", tenantId: OTHER_TENANT }],
    });
    const res = await call(emulator, "POST", LOGIN, { body: DEFAULT_LOGIN });
    assert.deepEqual([res.status, res.json], [400, {
      detail: "tenant_id is required for multi-tenant login",
    }]);
    const ok = await call(emulator, "POST", LOGIN, {
      body: { ...DEFAULT_LOGIN, tenant_id: TENANT },
    });
    assert.equal(ok.status, 200);
  });

  test("answers 403 User is not authorized for tenant for another tenant", async () => {
    const emulator = createVectorVueEmulator({
      users: [EMULATOR_DEFAULTS, { username: "b", password: "b-password", tenantId: OTHER_TENANT }],
    });
    const res = await call(emulator, "POST", LOGIN, {
      body: { ...DEFAULT_LOGIN, tenant_id: OTHER_TENANT },
    });
    assert.deepEqual([res.status, res.json], [403, {
      detail: "User is not authorized for tenant",
    }]);
  });

  test("returns the tenant id in canonical lowercase form", async () => {
    const res = await call(createVectorVueEmulator(), "POST", LOGIN, {
      body: { ...DEFAULT_LOGIN, tenant_id: TENANT.toUpperCase() },
    });
    assert.equal(res.json.tenant_id, TENANT);
  });
});

describe("bearer guard", () => {
  const guarded = `${STATUS}${TENANT}`;

  test("answers each failure with its exact 401 detail, in the server's order", async () => {
    const clock = manualClock();
    const emulator = createVectorVueEmulator({ now: clock.now });
    const foreign = await createVectorVueEmulator().issueToken();
    const cases: [Record<string, string>, string][] = [
      [{}, "Missing bearer token"],
      [{ authorization: "Basic b3BlcmF0b3I=" }, "Missing bearer token"],
      [{ authorization: "bearer " + await emulator.issueToken() }, "Missing bearer token"],
      [{ authorization: "Bearer not.a.jwt" }, "Invalid JWT"],
      [{ authorization: `Bearer ${foreign}` }, "Invalid JWT"],
      [
        { authorization: `Bearer ${await emulator.issueToken({ exp: T0 / 1000 })}` },
        "Token expired",
      ],
      [
        { authorization: `Bearer ${await emulator.issueToken({ tenant_id: undefined })}` },
        "JWT is missing required tenant_id claim",
      ],
      [
        { authorization: `Bearer ${await emulator.issueToken({ tenant_id: "" })}` },
        "JWT is missing required tenant_id claim",
      ],
      [
        { authorization: `Bearer ${await emulator.issueToken({ tenant_id: "tenant-1" })}` },
        "Invalid tenant_id format",
      ],
    ];
    for (const [headers, detail] of cases) {
      const res = await call(emulator, "GET", guarded, { headers });
      assert.deepEqual([res.status, res.json], [401, { detail }], JSON.stringify(headers));
    }
  });

  test("checks expiry before the tenant claim and rejects a token issued in the future", async () => {
    const emulator = createVectorVueEmulator({ now: () => T0 });
    const expiredNoTenant = await emulator.issueToken({ exp: T0 / 1000 - 1, tenant_id: undefined });
    assert.equal(
      (await call(emulator, "GET", guarded, { token: expiredNoTenant })).json.detail,
      "Token expired",
    );
    const future = await emulator.issueToken({ iat: T0 / 1000 + 10 });
    assert.equal(
      (await call(emulator, "GET", guarded, { token: future })).json.detail,
      "Invalid JWT",
    );
  });

  test("accepts any UUID spelling of tenant_id and scopes data to the canonical tenant", async () => {
    const emulator = createVectorVueEmulator();
    const spelled = await emulator.issueToken({
      tenant_id: `{${TENANT.replaceAll("-", "").toUpperCase()}}`,
    });
    const res = await call(emulator, "GET", guarded, { token: spelled });
    assert.deepEqual([res.status, res.json], [404, { detail: "Request not found" }]);
  });
});

describe("routing", () => {
  test("answers 404 Not Found for an unknown path", async () => {
    const res = await call(createVectorVueEmulator(), "GET", "/api/v1/nope");
    assert.deepEqual([res.status, res.json], [404, { detail: "Not Found" }]);
    assert.equal(res.headers.get("content-type"), "application/json");
  });

  test("answers 405 Method Not Allowed with Allow for a known path", async () => {
    const emulator = createVectorVueEmulator();
    const get = await call(emulator, "GET", EVENTS);
    assert.deepEqual([get.status, get.json, get.headers.get("allow")], [405, {
      detail: "Method Not Allowed",
    }, "POST"]);
    const post = await call(emulator, "POST", `${STATUS}${TENANT}`);
    assert.deepEqual([post.status, post.headers.get("allow")], [405, "GET"]);
  });

  test("redirects a trailing-slash variant with 307, as Starlette does", async () => {
    const res = await call(createVectorVueEmulator(), "POST", `${EVENTS}/`);
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("location"), `https://127.0.0.1${EVENTS}`);
    assert.equal(res.text, "");
  });

  test("sets Date from the emulator's clock and Content-Length on every answer", async () => {
    const emulator = createVectorVueEmulator({ now: () => T0 });
    for (
      const res of [
        await call(emulator, "GET", "/nope"),
        await call(emulator, "POST", LOGIN, { body: DEFAULT_LOGIN }),
      ]
    ) {
      assert.equal(res.headers.get("date"), "Sun, 22 Feb 2026 10:00:00 GMT");
      assert.equal(
        res.headers.get("content-length"),
        String(new TextEncoder().encode(res.text).length),
      );
    }
  });
});

describe("client telemetry", () => {
  const event = { event_type: "dashboard_viewed", object_type: "Dashboard", object_id: "main" };

  test("accepts a supported event with 202 {accepted:true} and stores it normalised", async () => {
    const { emulator, token } = await withToken({ now: () => T0 });
    const res = await call(emulator, "POST", CLIENT_EVENTS, { token, body: event });
    assert.deepEqual([res.status, res.json], [202, { accepted: true }]);
    assert.deepEqual(emulator.clientEvents(), [{
      user: "operator",
      event_type: "DASHBOARD_VIEWED",
      object_type: "dashboard",
      object_id: "main",
      severity: null,
      timestamp: "2026-02-22T10:00:00Z",
      metadata_json: {},
    }]);
  });

  test("answers 422 Unsupported event_type: X with a string detail", async () => {
    const { emulator, token } = await withToken();
    const res = await call(emulator, "POST", CLIENT_EVENTS, {
      token,
      body: { ...event, event_type: "PAGE_SCROLLED" },
    });
    assert.deepEqual([res.status, res.json], [422, {
      detail: "Unsupported event_type: PAGE_SCROLLED",
    }]);
  });

  test("requires a bearer token", async () => {
    const res = await call(createVectorVueEmulator(), "POST", CLIENT_EVENTS, { body: event });
    assert.deepEqual([res.status, res.json], [401, { detail: "Missing bearer token" }]);
  });

  test("limits each tenant+user per 60 s with 429 Event rate limit exceeded", async () => {
    const clock = manualClock();
    const { emulator, token } = await withToken({
      now: clock.now,
      rateLimit: { clientEventsPerMinute: 2 },
    });
    for (let i = 0; i < 2; i++) {
      assert.equal(
        (await call(emulator, "POST", CLIENT_EVENTS, { token, body: event })).status,
        202,
      );
    }
    const limited = await call(emulator, "POST", CLIENT_EVENTS, { token, body: event });
    assert.deepEqual([limited.status, limited.json], [429, {
      detail: "Event rate limit exceeded",
    }]);
    assert.equal(limited.headers.get("retry-after"), null);
    const otherUser = await emulator.issueToken({ sub: "someone-else" });
    assert.equal(
      (await call(emulator, "POST", CLIENT_EVENTS, { token: otherUser, body: event })).status,
      202,
    );
    clock.advance(60_000);
    assert.equal((await call(emulator, "POST", CLIENT_EVENTS, { token, body: event })).status, 202);
  });
});

describe("integration rate limit", () => {
  test("allows N requests per 60 s per client IP, then 429 Rate limit exceeded without Retry-After", async () => {
    const clock = manualClock();
    const { emulator, token } = await withToken({
      now: clock.now,
      rateLimit: { requests: 3 },
    });
    const poll = (remoteAddr?: string) =>
      call(emulator, "GET", `${STATUS}${TENANT}`, { token, remoteAddr });
    for (let i = 0; i < 3; i++) assert.equal((await poll()).status, 404);
    const limited = await poll();
    assert.deepEqual([limited.status, limited.json], [429, { detail: "Rate limit exceeded" }]);
    assert.equal(limited.headers.get("retry-after"), null);
    assert.equal((await poll("10.1.2.3")).status, 404, "another client IP has its own window");
    assert.equal(
      (await call(emulator, "POST", LOGIN, { body: DEFAULT_LOGIN })).status,
      200,
      "login is not limited",
    );
    clock.advance(60_000);
    assert.equal((await poll()).status, 404);
  });

  test("{ requests, windowMs } is a sliding window in which refused requests do not count", async () => {
    const clock = manualClock();
    const { emulator, token } = await withToken({
      now: clock.now,
      rateLimit: { requests: 3, windowMs: 5_000 },
    });
    const poll = async () => (await call(emulator, "GET", `${STATUS}${TENANT}`, { token })).status;
    assert.deepEqual([await poll(), await poll()], [404, 404]); // t = 0
    clock.advance(2_000);
    assert.equal(await poll(), 404); // t = 2 s: the third
    clock.advance(2_000);
    assert.equal(await poll(), 429, "t = 4 s: three in the last 5 s");
    assert.equal(await poll(), 429, "refused requests do not extend the wait");
    clock.advance(1_001);
    // t = 5.001 s: the two from t = 0 left the window; the 429s never entered it.
    assert.deepEqual([await poll(), await poll(), await poll()], [404, 404, 429]);
    clock.advance(2_000);
    assert.equal(await poll(), 404, "t = 7.001 s: the one from t = 2 s left the window");
  });

  test("can be switched off", async () => {
    const { emulator, token } = await withToken({ rateLimit: false });
    for (let i = 0; i < 300; i++) {
      assert.equal((await call(emulator, "GET", `${STATUS}${TENANT}`, { token })).status, 404);
    }
  });
});

describe("options and inspection", () => {
  test("reports every invalid option in one TypeError", () => {
    assert.throws(
      () =>
        createVectorVueEmulator({
          users: [{ username: "", password: "x", tenantId: "nope" }],
          tokenTtlSeconds: 0,
          rateLimit: { requests: 1.5 },
        }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /'users\[0\]\.username' must be a non-empty string/);
        assert.match(
          error.message,
          /'users\[0\]\.tenantId' must be a UUID: current value is "nope"/,
        );
        assert.match(
          error.message,
          /'tokenTtlSeconds' must be an integer >= 1: current value is 0/,
        );
        assert.match(error.message, /'rateLimit\.requests'/);
        return true;
      },
    );
  });

  test("names an unknown option, with a did-you-mean when one is close, beside the other problems", () => {
    assert.throws(
      () => createVectorVueEmulator({ tokenTtl: 60, colour: "red", now: 5 } as never),
      {
        name: "TypeError",
        message: "Cannot create the VectorVue emulator: " +
          "unknown option 'tokenTtl' (did you mean 'tokenTtlSeconds'?); " +
          "unknown option 'colour'; 'now' must be a function: current value is 5",
      },
    );
  });

  test("reads rateLimit's limits by their own rows, defaults and all", () => {
    assert.throws(
      () => createVectorVueEmulator({ rateLimit: { requests: 2, windowMs: 0 } }),
      /'rateLimit\.windowMs' must be an integer >= 1: current value is 0/,
    );
    assert.throws(
      () => createVectorVueEmulator({ rateLimit: { request: 2 } as never }),
      /unknown option 'request' \(did you mean 'requests'\?\)/,
    );
  });

  test("exposes the first user's credentials as defaults", () => {
    assert.deepEqual(createVectorVueEmulator().defaults, {
      username: "operator",
      password: "operator-password",
      tenantId: TENANT,
    });
  });

  test("logs every request with lowercase headers, body and arrival time", async () => {
    const emulator = createVectorVueEmulator({ now: () => T0 });
    await call(emulator, "POST", LOGIN, { body: DEFAULT_LOGIN, headers: { "X-Trace": "1" } });
    assert.equal(emulator.requests.length, 1);
    const [logged] = emulator.requests;
    assert.equal(logged.method, "POST");
    assert.equal(logged.path, LOGIN);
    assert.equal(logged.headers["x-trace"], "1");
    assert.equal(logged.body, JSON.stringify(DEFAULT_LOGIN));
    assert.equal(logged.at, T0);
  });

  test("reset() clears stored data, the request log and rate-limit windows", async () => {
    const { emulator, token } = await withToken({ rateLimit: { clientEventsPerMinute: 1 } });
    const body = { event_type: "FINDING_VIEWED", object_type: "finding" };
    assert.equal((await call(emulator, "POST", CLIENT_EVENTS, { token, body })).status, 202);
    assert.equal((await call(emulator, "POST", CLIENT_EVENTS, { token, body })).status, 429);
    emulator.reset();
    assert.equal(emulator.requests.length, 0);
    assert.equal(emulator.clientEvents().length, 0);
    assert.equal((await call(emulator, "POST", CLIENT_EVENTS, { token, body })).status, 202);
  });
});
