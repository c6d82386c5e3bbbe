// The emulator's ingestion routes against the server contract: envelopes, validation,
// deterministic ids, idempotency, batches, status records, request and response signatures.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  createVectorVueEmulator,
  EMULATOR_DEFAULTS,
  pythonCanonicalJson,
} from "../../src/testing/mod.ts";
import {
  call,
  EVENTS,
  EVENTS_BATCH,
  FINDINGS,
  FINDINGS_BATCH,
  manualClock,
  OTHER_TENANT,
  SAMPLE_EVENT,
  SAMPLE_EVENT_ID,
  SAMPLE_FINDING,
  SAMPLE_FINDING_ID,
  STATUS,
  T0,
  TENANT,
  withToken,
} from "./_helpers.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const hmacHex = (key: string, text: string) => createHmac("sha256", key).update(text).digest("hex");

function failed(requestId: string, code: string, message: string) {
  return {
    request_id: requestId,
    status: "failed",
    data: {},
    errors: [{ code, message }],
    signature: null,
  };
}

describe("POST .../events", () => {
  test("accepts an event with 202 and a derived id equal to the server's", async () => {
    const { emulator, token } = await withToken();
    const res = await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT });
    assert.equal(res.status, 202);
    assert.deepEqual(Object.keys(res.json), [
      "request_id",
      "status",
      "data",
      "errors",
      "signature",
    ]);
    assert.match(res.json.request_id, UUID);
    assert.equal(res.json.status, "accepted");
    assert.deepEqual(res.json.data, { event_id: SAMPLE_EVENT_ID });
    assert.deepEqual(res.json.errors, []);
    assert.equal(res.json.signature, null);
  });

  test("stores the event normalised, and a re-send does not duplicate it", async () => {
    const { emulator, token } = await withToken({ now: () => T0 });
    const body = { ...SAMPLE_EVENT, severity: " HIGH " };
    const first = await call(emulator, "POST", EVENTS, { token, body });
    await call(emulator, "POST", EVENTS, { token, body });
    assert.deepEqual(emulator.events(), [{
      event_id: SAMPLE_EVENT_ID,
      request_id: first.json.request_id,
      source_system: "spectrastrike-sensor",
      event_type: "PROCESS_ANOMALY",
      occurred_at: "2026-02-22T10:00:00Z",
      severity: "high",
      asset_ref: "host-nyc-01",
      message: "Unexpected parent-child process chain",
      metadata: { pid: 2244 },
      created_at: "2026-02-22T10:00:00Z",
    }]);
  });

  test("uses the caller's event_id and echoes X-Request-ID as request_id", async () => {
    const { emulator, token } = await withToken();
    const requestId = crypto.randomUUID();
    const res = await call(emulator, "POST", EVENTS, {
      token,
      body: { ...SAMPLE_EVENT, event_id: "sensor-1:42" },
      headers: { "x-request-id": requestId },
    });
    assert.deepEqual([res.json.request_id, res.json.data], [requestId, {
      event_id: "sensor-1:42",
    }]);
  });

  test("answers 422 envelopes for an empty body, invalid JSON and a schema failure", async () => {
    const { emulator, token } = await withToken();
    const id = crypto.randomUUID();
    const headers = { "x-request-id": id, "content-type": "application/json" };
    const cases: [string | undefined, string][] = [
      [undefined, "Request body is required"],
      ["{", "Invalid JSON payload"],
      [JSON.stringify({ ...SAMPLE_EVENT, unexpected: true }), "Payload validation failed"],
      [JSON.stringify({ ...SAMPLE_EVENT, metadata: [] }), "Payload validation failed"],
      [JSON.stringify({ ...SAMPLE_EVENT, severity: "urgent" }), "Payload validation failed"],
      [JSON.stringify({ ...SAMPLE_EVENT, occurred_at: "yesterday" }), "Payload validation failed"],
      [
        JSON.stringify({ ...SAMPLE_EVENT, source_system: "has space" }),
        "Payload validation failed",
      ],
      [JSON.stringify([SAMPLE_EVENT]), "Payload validation failed"],
    ];
    for (const [body, message] of cases) {
      const res = await call(emulator, "POST", EVENTS, { token, body, headers });
      assert.equal(res.status, 422, message);
      assert.deepEqual(res.json, failed(id, "validation_failed", message));
    }
    assert.equal(emulator.events().length, 0);
  });

  test("fails with 500 Internal Server Error when a stored request id is not a UUID", async () => {
    const { emulator, token } = await withToken();
    const headers = { "x-request-id": "req-1" };
    const stored = await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT, headers });
    assert.deepEqual([stored.status, stored.text], [500, "Internal Server Error"]);
    assert.equal(stored.headers.get("content-type"), "text/plain; charset=utf-8");
    // Rejected before anything is stored, the id is only echoed.
    const rejected = await call(emulator, "POST", EVENTS, { token, body: {}, headers });
    assert.deepEqual([rejected.status, rejected.json.request_id], [422, "req-1"]);
  });

  test("fails with 500 when storing for a tenant the server does not know", async () => {
    const emulator = createVectorVueEmulator();
    const token = await emulator.issueToken({ tenant_id: OTHER_TENANT });
    assert.equal((await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT })).status, 500);
  });
});

describe("Idempotency-Key", () => {
  test("replays the stored response with its status, body and X-Idempotent-Replay: true", async () => {
    const { emulator, token } = await withToken();
    const headers = { "idempotency-key": "key-1" };
    const first = await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT, headers });
    const replay = await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT, headers });
    assert.equal(first.headers.get("x-idempotent-replay"), null);
    assert.equal(replay.status, 202);
    assert.equal(replay.headers.get("x-idempotent-replay"), "true");
    assert.deepEqual(replay.json, first.json);
    assert.equal(replay.json.status, "accepted");
    // The server stored it as jsonb, which orders keys by length.
    assert.ok(replay.text.startsWith('{"data":{"event_id":'), replay.text);
    assert.equal(emulator.events().length, 1);
  });

  test("compares payloads canonically (key order and spacing do not matter)", async () => {
    const { emulator, token } = await withToken();
    const headers = { "idempotency-key": "key-1" };
    await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT, headers });
    const reordered = JSON.stringify(
      Object.fromEntries(Object.entries(SAMPLE_EVENT).reverse()),
      null,
      2,
    );
    const replay = await call(emulator, "POST", EVENTS, { token, body: reordered, headers });
    assert.equal(replay.headers.get("x-idempotent-replay"), "true");
  });

  test("answers 409 idempotency_conflict for the same key with a different payload", async () => {
    const { emulator, token } = await withToken();
    const id = crypto.randomUUID();
    await call(emulator, "POST", EVENTS, {
      token,
      body: SAMPLE_EVENT,
      headers: { "idempotency-key": "k" },
    });
    const res = await call(emulator, "POST", EVENTS, {
      token,
      // Checked before validation: even an invalid payload is a conflict.
      body: { nope: true },
      headers: { "idempotency-key": "k", "x-request-id": id },
    });
    assert.deepEqual([res.status, res.json], [
      409,
      failed(id, "idempotency_conflict", "Idempotency-Key reuse with different payload"),
    ]);
  });

  test("keeps keys per tenant", async () => {
    const emulator = createVectorVueEmulator({
      users: [EMULATOR_DEFAULTS, { username: "b", password: "b-password", tenantId: OTHER_TENANT }],
    });
    const headers = { "idempotency-key": "shared" };
    const mine = await emulator.issueToken();
    const theirs = await emulator.issueToken({ tenant_id: OTHER_TENANT, sub: "b" });
    await call(emulator, "POST", EVENTS, { token: mine, body: SAMPLE_EVENT, headers });
    const other = await call(emulator, "POST", EVENTS, {
      token: theirs,
      body: { ...SAMPLE_EVENT, message: "different" },
      headers,
    });
    assert.deepEqual([other.status, other.headers.get("x-idempotent-replay")], [202, null]);
    assert.equal(emulator.events(OTHER_TENANT).length, 1);
  });

  test("is ignored on the findings route", async () => {
    const { emulator, token } = await withToken();
    const headers = { "idempotency-key": "k" };
    await call(emulator, "POST", FINDINGS, { token, body: SAMPLE_FINDING, headers });
    const again = await call(emulator, "POST", FINDINGS, { token, body: SAMPLE_FINDING, headers });
    assert.equal(again.headers.get("x-idempotent-replay"), null);
  });
});

describe("POST .../findings", () => {
  test("accepts a finding with 202 and the server's derived fnd_ id, normalising it", async () => {
    const { emulator, token } = await withToken();
    const res = await call(emulator, "POST", FINDINGS, {
      token,
      body: { ...SAMPLE_FINDING, severity: "Critical", status: undefined },
    });
    assert.deepEqual([res.status, res.json.status, res.json.data], [202, "accepted", {
      finding_id: SAMPLE_FINDING_ID,
    }]);
    const [stored] = emulator.findings();
    assert.deepEqual([stored.severity, stored.status, stored.last_seen], [
      "critical",
      "open",
      null,
    ]);
  });

  test("maps informational to info and med to medium", async () => {
    const { emulator, token } = await withToken();
    await call(emulator, "POST", FINDINGS, {
      token,
      body: { ...SAMPLE_FINDING, finding_id: "a", severity: "informational" },
    });
    await call(emulator, "POST", FINDINGS, {
      token,
      body: { ...SAMPLE_FINDING, finding_id: "b", severity: "MED" },
    });
    assert.deepEqual(emulator.findings().map((f) => f.severity), ["info", "medium"]);
  });

  test("answers 422 Payload validation failed for a short title or an unknown status", async () => {
    const { emulator, token } = await withToken();
    for (
      const body of [{ ...SAMPLE_FINDING, title: "ab" }, { ...SAMPLE_FINDING, status: "wontfix" }]
    ) {
      const res = await call(emulator, "POST", FINDINGS, { token, body });
      assert.deepEqual([res.status, res.json.errors], [422, [{
        code: "validation_failed",
        message: "Payload validation failed",
      }]]);
    }
  });
});

describe("batches", () => {
  test("answers 202 partial with per-item results carrying pydantic's first error", async () => {
    const { emulator, token } = await withToken();
    const { message: _dropped, ...withoutMessage } = SAMPLE_EVENT;
    const body = [SAMPLE_EVENT, withoutMessage, { ...SAMPLE_EVENT, extra: 1 }, "text", {
      ...SAMPLE_EVENT,
      severity: "x",
    }];
    const res = await call(emulator, "POST", EVENTS_BATCH, { token, body });
    assert.equal(res.status, 202);
    assert.equal(res.json.status, "partial");
    const fail = (index: number, message: string) => ({
      index,
      item_id: null,
      status: "failed",
      error_code: "validation_failed",
      error_message: message,
    });
    assert.deepEqual(res.json.data, {
      summary: { total: 5, accepted: 1, failed: 4 },
      results: [
        {
          index: 0,
          item_id: SAMPLE_EVENT_ID,
          status: "accepted",
          error_code: null,
          error_message: null,
        },
        fail(1, "Field required"),
        fail(2, "Extra inputs are not permitted"),
        fail(3, "Input should be a valid dictionary or instance of SpectraStrikeTelemetryEvent"),
        fail(4, "String should have at least 2 characters"),
      ],
    });
    assert.equal(emulator.events().length, 1);
  });

  test("answers 202 failed when no item is valid and 202 accepted when all are", async () => {
    const { emulator, token } = await withToken();
    const none = await call(emulator, "POST", EVENTS_BATCH, { token, body: [{}, {}] });
    assert.deepEqual([none.status, none.json.status, none.json.data.summary], [202, "failed", {
      total: 2,
      accepted: 0,
      failed: 2,
    }]);
    const all = await call(emulator, "POST", FINDINGS_BATCH, {
      token,
      body: [SAMPLE_FINDING, { ...SAMPLE_FINDING, title: "Another finding" }],
    });
    assert.deepEqual([all.status, all.json.status], [202, "accepted"]);
    assert.equal(emulator.findings().length, 2);
  });

  test("answers 422 Batch payload must be an array for an object body", async () => {
    const { emulator, token } = await withToken();
    const id = crypto.randomUUID();
    const res = await call(emulator, "POST", EVENTS_BATCH, {
      token,
      body: SAMPLE_EVENT,
      headers: { "x-request-id": id },
    });
    assert.deepEqual([res.status, res.json], [
      422,
      failed(id, "validation_failed", "Batch payload must be an array"),
    ]);
  });

  test("rejects a batch over the server maximum with 422 batch_too_large", async () => {
    const { emulator, token } = await withToken();
    const res = await call(emulator, "POST", EVENTS_BATCH, {
      token,
      body: new Array(251).fill(SAMPLE_EVENT),
    });
    assert.equal(res.status, 422);
    assert.deepEqual(res.json.errors, [{
      code: "batch_too_large",
      message: "Batch size exceeds configured maximum (250)",
    }]);
    assert.equal(emulator.events().length, 0);
    const ok = await call(emulator, "POST", EVENTS_BATCH, {
      token,
      body: new Array(250).fill(SAMPLE_EVENT),
    });
    assert.equal(ok.status, 202);
  });

  test("reports the configured maximum, clamped to 1..1000 like the server", async () => {
    for (const [configured, effective] of [[2, 2], [0, 1], [5000, 1000]]) {
      const { emulator, token } = await withToken({ maxBatchSize: configured });
      const res = await call(emulator, "POST", FINDINGS_BATCH, {
        token,
        body: new Array(effective + 1).fill(SAMPLE_FINDING),
      });
      assert.equal(
        res.json.errors[0].message,
        `Batch size exceeds configured maximum (${effective})`,
      );
    }
  });
});

describe("GET .../ingest/status/{request_id}", () => {
  test("returns the record at once, under a new envelope request_id", async () => {
    const { emulator, token } = await withToken({ now: () => T0 + 250 });
    const batchId = crypto.randomUUID();
    await call(emulator, "POST", EVENTS_BATCH, {
      token,
      body: [SAMPLE_EVENT, {}],
      headers: { "x-request-id": batchId, "idempotency-key": "k" },
    });
    const res = await call(emulator, "GET", `${STATUS}${batchId}`, { token });
    assert.equal(res.status, 200);
    assert.notEqual(res.json.request_id, batchId);
    assert.equal(res.json.status, "accepted");
    assert.deepEqual(res.json.data, {
      request_id: batchId,
      status: "partial",
      endpoint: EVENTS_BATCH,
      counts: { total: 2, accepted: 1, failed: 1 },
      failed_items: [{
        index: 1,
        item_id: null,
        status: "failed",
        error_code: "validation_failed",
        error_message: "Field required",
      }],
      created_at: "2026-02-22T10:00:00.250000Z",
      updated_at: "2026-02-22T10:00:00.250000Z",
    });
  });

  test("answers 404 Request not found for an unknown id and for another tenant's id", async () => {
    const emulator = createVectorVueEmulator({
      users: [EMULATOR_DEFAULTS, { username: "b", password: "b-password", tenantId: OTHER_TENANT }],
    });
    const mine = await emulator.issueToken();
    const theirs = await emulator.issueToken({ tenant_id: OTHER_TENANT, sub: "b" });
    const sent = await call(emulator, "POST", EVENTS, { token: mine, body: SAMPLE_EVENT });
    for (const [token, id] of [[mine, crypto.randomUUID()], [theirs, sent.json.request_id]]) {
      const res = await call(emulator, "GET", `${STATUS}${id}`, { token });
      assert.deepEqual([res.status, res.json], [404, { detail: "Request not found" }]);
    }
    assert.equal(
      (await call(emulator, "GET", `${STATUS}${sent.json.request_id}`, { token: mine })).status,
      200,
    );
  });

  test("fails with 500 for an id that is not a UUID", async () => {
    const { emulator, token } = await withToken();
    assert.equal((await call(emulator, "GET", `${STATUS}req-1`, { token })).status, 500);
  });
});

describe("request signatures (signatureSecret)", () => {
  const secret = "shared-secret";
  const sign = (timestamp: string, body: string) => hmacHex(secret, `${timestamp}.${body}`);

  test("accepts a body signed over '<X-Timestamp>.' + the exact bytes", async () => {
    const { emulator, token } = await withToken({ signatureSecret: secret, now: () => T0 });
    const body = JSON.stringify(SAMPLE_EVENT);
    const ts = String(T0 / 1000);
    const res = await call(emulator, "POST", EVENTS, {
      token,
      body,
      headers: { "x-timestamp": ts, "x-signature": sign(ts, body) },
    });
    assert.equal(res.status, 202);
  });

  test("answers each signature failure with its exact 401 detail, before the bearer guard", async () => {
    const clock = manualClock();
    const emulator = createVectorVueEmulator({ signatureSecret: secret, now: clock.now });
    const body = JSON.stringify(SAMPLE_EVENT);
    const ts = String(T0 / 1000);
    const old = String(T0 / 1000 - 301);
    const cases: [Record<string, string>, string][] = [
      [{}, "Missing request signature headers"],
      [{ "x-timestamp": ts }, "Missing request signature headers"],
      [{ "x-timestamp": "soon", "x-signature": sign("soon", body) }, "Invalid X-Timestamp"],
      [{ "x-timestamp": old, "x-signature": sign(old, body) }, "Signature timestamp out of range"],
      [{ "x-timestamp": ts, "x-signature": sign(ts, body + " ") }, "Invalid request signature"],
      [
        { "x-timestamp": ts, "x-signature": sign(ts, body).toUpperCase() },
        "Invalid request signature",
      ],
    ];
    for (const [headers, detail] of cases) {
      // No bearer token at all: the signature check answers first.
      const res = await call(emulator, "POST", EVENTS, { body, headers });
      assert.deepEqual([res.status, res.json], [401, { detail }], detail);
    }
    const valid = await call(emulator, "POST", EVENTS, {
      body,
      headers: { "x-timestamp": ts, "x-signature": sign(ts, body) },
    });
    assert.deepEqual(valid.json, { detail: "Missing bearer token" });
  });

  test("allows 300 s of skew either way", async () => {
    const { emulator, token } = await withToken({ signatureSecret: secret, now: () => T0 });
    const body = JSON.stringify(SAMPLE_EVENT);
    for (const ts of [String(T0 / 1000 - 300), String(T0 / 1000 + 300)]) {
      const headers = { "x-timestamp": ts, "x-signature": sign(ts, body) };
      assert.equal((await call(emulator, "POST", EVENTS, { token, body, headers })).status, 202);
    }
  });

  test("is not required on the status route", async () => {
    const { emulator, token } = await withToken({ signatureSecret: secret });
    assert.equal((await call(emulator, "GET", `${STATUS}${TENANT}`, { token })).status, 404);
  });
});

describe("response signatures (complianceSigningKey)", () => {
  const key = "compliance-key";

  test("signs '<path>|<tenant>|<signed_at>|<canonical data>' with Python's isoformat signed_at", async () => {
    const { emulator, token } = await withToken({ complianceSigningKey: key, now: () => T0 });
    const res = await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT });
    const signedAt = "2026-02-22T10:00:00+00:00";
    assert.deepEqual(res.json.signature, {
      algorithm: "hmac-sha256",
      signed_at: signedAt,
      signature: hmacHex(
        key,
        `${EVENTS}|${TENANT}|${signedAt}|${pythonCanonicalJson(res.json.data)}`,
      ),
    });
  });

  test("signs a batch over its data with the batch path", async () => {
    const { emulator, token } = await withToken({ complianceSigningKey: key, now: () => T0 + 1 });
    const res = await call(emulator, "POST", FINDINGS_BATCH, {
      token,
      body: [SAMPLE_FINDING, { title: "é" }],
    });
    const signedAt = "2026-02-22T10:00:00.001000+00:00";
    assert.equal(res.json.signature.signed_at, signedAt);
    assert.equal(
      res.json.signature.signature,
      hmacHex(key, `${FINDINGS_BATCH}|${TENANT}|${signedAt}|${pythonCanonicalJson(res.json.data)}`),
    );
  });

  test("signs status data with the template path and Python str() datetimes", async () => {
    const { emulator, token } = await withToken({ complianceSigningKey: key, now: () => T0 + 250 });
    const batchId = "3f0c1b9e-5a51-4d3c-9a57-2f7f1f4a0b11";
    await call(emulator, "POST", EVENTS_BATCH, {
      token,
      body: [SAMPLE_EVENT, {}],
      headers: { "x-request-id": batchId },
    });
    const res = await call(emulator, "GET", `${STATUS}${batchId}`, { token });
    // Computed with CPython: hmac(key, path_template|tenant|signed_at|json.dumps(data, default=str, ...)).
    assert.deepEqual(res.json.signature, {
      algorithm: "hmac-sha256",
      signed_at: "2026-02-22T10:00:00.250000+00:00",
      signature: "a664126414b8efa438e26d78b3fefadca6ecc7f57fd031d7aae138ac993dd35a",
    });
  });

  test("leaves signature null on error envelopes", async () => {
    const { emulator, token } = await withToken({ complianceSigningKey: key });
    const res = await call(emulator, "POST", EVENTS, { token, body: {} });
    assert.deepEqual([res.status, res.json.signature], [422, null]);
  });
});
