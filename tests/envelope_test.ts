import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type ExchangeFacts,
  isEnvelopeShape,
  normalizeEnvelopeError,
  parseBody,
  readErrorFacts,
  toEnvelope,
} from "../src/envelope.ts";

const REQUEST_ID = "6f1c2a9e-3b7d-4e5f-8a9b-0c1d2e3f4a5b";

function facts(overrides: Partial<ExchangeFacts> = {}): ExchangeFacts {
  return {
    httpStatus: 202,
    headers: { "content-type": "application/json", "x-request-id": REQUEST_ID },
    retryCount: 0,
    ...overrides,
  };
}

describe("parseBody()", () => {
  test("parseBody() parses a JSON object, array and string", () => {
    assert.deepEqual(parseBody('{"status":"accepted"}'), {
      kind: "json",
      value: { status: "accepted" },
    });
    assert.deepEqual(parseBody("  [1, 2]\n"), { kind: "json", value: [1, 2] });
    assert.deepEqual(parseBody('"busy"'), { kind: "json", value: "busy" });
  });

  test("parseBody() keeps truncated JSON as text", () => {
    const text = '{"request_id":"abc","status":"acc';
    assert.deepEqual(parseBody(text), { kind: "text", text });
  });

  test("parseBody() keeps an HTML page as text", () => {
    const html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    assert.deepEqual(parseBody(html), { kind: "text", text: html });
  });

  test("parseBody() keeps an empty body as empty text", () => {
    assert.deepEqual(parseBody(""), { kind: "text", text: "" });
    assert.deepEqual(parseBody("  \n"), { kind: "text", text: "  \n" });
  });
});

describe("toEnvelope()", () => {
  test("toEnvelope() reads every field of a full envelope", () => {
    const signature = {
      algorithm: "hmac-sha256",
      signed_at: "2026-11-28T12:00:00Z",
      signature: "ab".repeat(32),
    };
    const body = {
      request_id: REQUEST_ID,
      status: "accepted",
      data: { event_id: "evt_1", nested: { kept: [1, 2] } },
      errors: [],
      signature,
    };
    const envelope = toEnvelope(body, facts({ retryCount: 2 }));
    assert.deepEqual(envelope, {
      requestId: REQUEST_ID,
      status: "accepted",
      data: { event_id: "evt_1", nested: { kept: [1, 2] } },
      errors: [],
      signature,
      signatureState: "unverified",
      httpStatus: 202,
      headers: { "content-type": "application/json", "x-request-id": REQUEST_ID },
      retryCount: 2,
      replayed: false,
      ok: true,
    });
  });

  test("toEnvelope() keeps the server's data object untouched", () => {
    const data = { event_id: "evt_1" };
    const envelope = toEnvelope(
      { request_id: REQUEST_ID, status: "accepted", data, errors: [] },
      facts(),
    );
    assert.equal(envelope.data, data);
  });

  test("toEnvelope() takes the signature state from the exchange when a signature is present", () => {
    const body = {
      request_id: REQUEST_ID,
      status: "accepted",
      data: {},
      errors: [],
      signature: "ab12",
    };
    assert.equal(
      toEnvelope(body, facts({ signatureState: "verified" })).signatureState,
      "verified",
    );
  });

  test("toEnvelope() keeps a string signature as a string", () => {
    const body = {
      request_id: REQUEST_ID,
      status: "accepted",
      data: {},
      errors: [],
      signature: "c0ffee",
    };
    const envelope = toEnvelope(body, facts());
    assert.equal(envelope.signature, "c0ffee");
    assert.equal(envelope.signatureState, "unverified");
  });

  test("toEnvelope() reports a missing, null or malformed signature as null and absent", () => {
    for (const signature of [undefined, null, 42, ["x"]]) {
      const body = { request_id: REQUEST_ID, status: "accepted", data: {}, errors: [], signature };
      const envelope = toEnvelope(body, facts({ signatureState: "verified" }));
      assert.equal(envelope.signature, null, JSON.stringify(signature));
      assert.equal(envelope.signatureState, "absent");
    }
  });

  test("toEnvelope() normalises error_code/error_message into code/message and keeps other fields", () => {
    const body = {
      request_id: REQUEST_ID,
      status: "partial",
      data: { accepted: 1, rejected: 1 },
      errors: [
        { error_code: "validation_failed", error_message: "severity is required", index: 1 },
        { code: "duplicate", message: "already ingested" },
      ],
    };
    const envelope = toEnvelope(body, facts({ httpStatus: 207 }));
    assert.deepEqual(envelope.errors, [
      {
        error_code: "validation_failed",
        error_message: "severity is required",
        index: 1,
        code: "validation_failed",
        message: "severity is required",
      },
      { code: "duplicate", message: "already ingested" },
    ]);
    assert.equal(envelope.status, "partial");
    assert.equal(envelope.ok, false);
  });

  test("toEnvelope() is not ok for failed, or for accepted with errors", () => {
    const failed = toEnvelope({ request_id: REQUEST_ID, status: "failed", errors: [] }, facts());
    assert.equal(failed.ok, false);
    const withErrors = toEnvelope(
      { request_id: REQUEST_ID, status: "accepted", errors: [{ code: "x", message: "y" }] },
      facts(),
    );
    assert.equal(withErrors.ok, false);
  });

  test("toEnvelope() reports a replay from X-Idempotent-Replay: true although the body says accepted", () => {
    const body = {
      request_id: REQUEST_ID,
      status: "accepted",
      data: { event_id: "evt_1" },
      errors: [],
    };
    const envelope = toEnvelope(
      body,
      facts({ headers: { "x-idempotent-replay": "true" }, httpStatus: 200 }),
    );
    assert.equal(envelope.status, "replayed");
    assert.equal(envelope.replayed, true);
    assert.equal(envelope.ok, true);
    assert.deepEqual(envelope.data, { event_id: "evt_1" });
  });

  test("toEnvelope() reads the replay header case- and space-insensitively, and only 'true'", () => {
    const body = { request_id: REQUEST_ID, status: "accepted", data: {}, errors: [] };
    const replayed = toEnvelope(body, facts({ headers: { "x-idempotent-replay": " True " } }));
    assert.equal(replayed.replayed, true);
    const notReplayed = toEnvelope(body, facts({ headers: { "x-idempotent-replay": "false" } }));
    assert.equal(notReplayed.replayed, false);
    assert.equal(notReplayed.status, "accepted");
  });

  test("toEnvelope() reports a replay from a body status of replayed", () => {
    const envelope = toEnvelope(
      { request_id: REQUEST_ID, status: "replayed", data: {}, errors: [] },
      facts(),
    );
    assert.equal(envelope.replayed, true);
    assert.equal(envelope.status, "replayed");
    assert.equal(envelope.ok, true);
  });

  test("toEnvelope() gives a non-envelope body such as {accepted: true} whole as data", () => {
    const body = { accepted: true };
    const envelope = toEnvelope(body, facts({ httpStatus: 200 }));
    assert.deepEqual(envelope, {
      requestId: null,
      status: "accepted",
      data: { accepted: true },
      errors: [],
      signature: null,
      signatureState: "absent",
      httpStatus: 200,
      headers: facts().headers,
      retryCount: 0,
      replayed: false,
      ok: true,
    });
  });

  test("toEnvelope() marks a replayed non-envelope body as replayed", () => {
    const envelope = toEnvelope(
      { accepted: true },
      facts({ headers: { "x-idempotent-replay": "true" } }),
    );
    assert.equal(envelope.status, "replayed");
    assert.equal(envelope.replayed, true);
    assert.deepEqual(envelope.data, { accepted: true });
  });

  test("toEnvelope() gives null data and requestId when the envelope lacks them", () => {
    const envelope = toEnvelope({ status: "accepted", errors: [] }, facts());
    assert.equal(envelope.data, null);
    assert.equal(envelope.requestId, null);
  });
});

describe("isEnvelopeShape() and normalizeEnvelopeError()", () => {
  test("isEnvelopeShape() needs a status string and an errors array or request_id", () => {
    assert.equal(isEnvelopeShape({ status: "accepted", errors: [] }), true);
    assert.equal(isEnvelopeShape({ status: "accepted", request_id: null }), true);
    assert.equal(isEnvelopeShape({ status: "accepted" }), false);
    assert.equal(isEnvelopeShape({ status: 1, errors: [] }), false);
    assert.equal(isEnvelopeShape([{ status: "accepted", errors: [] }]), false);
    assert.equal(isEnvelopeShape(null), false);
  });

  test("normalizeEnvelopeError() turns a non-object into an unknown-coded message", () => {
    assert.deepEqual(normalizeEnvelopeError("boom"), { code: "unknown", message: "boom" });
    assert.deepEqual(normalizeEnvelopeError({}), { code: "unknown", message: "" });
  });
});

describe("readErrorFacts()", () => {
  test("readErrorFacts() reads a FastAPI detail string", () => {
    assert.deepEqual(readErrorFacts(parseBody('{"detail":"Invalid JWT"}')), {
      errorCode: undefined,
      message: "Invalid JWT",
      requestId: null,
    });
  });

  test("readErrorFacts() reads a detail list from loc and msg, never from input", () => {
    const password = "Tr0ub4dor&3-horse-staple";
    const body = {
      detail: [
        {
          type: "missing",
          loc: ["body", "tenant_id"],
          msg: "Field required",
          input: { username: "operator", password },
        },
        { type: "string_too_short", loc: ["body", "password"], msg: "too short", input: password },
        { msg: "no location" },
      ],
    };
    const read = readErrorFacts(parseBody(JSON.stringify(body)));
    assert.equal(
      read.message,
      "body.tenant_id: Field required; body.password: too short; no location",
    );
    assert.ok(!read.message?.includes(password), "the echoed password must not be in the message");
    assert.equal(read.errorCode, undefined);
  });

  test("readErrorFacts() reads the first envelope error and the request id", () => {
    const body = {
      request_id: REQUEST_ID,
      status: "failed",
      data: null,
      errors: [
        { code: "idempotency_conflict", message: "Idempotency-Key reuse with different payload" },
        { code: "other", message: "ignored" },
      ],
    };
    assert.deepEqual(readErrorFacts(parseBody(JSON.stringify(body))), {
      errorCode: "idempotency_conflict",
      message: "Idempotency-Key reuse with different payload",
      requestId: REQUEST_ID,
    });
  });

  test("readErrorFacts() reads the error_code/error_message spelling, nested and top-level", () => {
    const nested = { errors: [{ error_code: "rate_limited", error_message: "slow down" }] };
    assert.deepEqual(readErrorFacts({ kind: "json", value: nested }), {
      errorCode: "rate_limited",
      message: "slow down",
      requestId: null,
    });
    const top = { request_id: REQUEST_ID, error_code: "forbidden", error_message: "wrong tenant" };
    assert.deepEqual(readErrorFacts({ kind: "json", value: top }), {
      errorCode: "forbidden",
      message: "wrong tenant",
      requestId: REQUEST_ID,
    });
  });

  test("readErrorFacts() leaves the code undefined when the envelope error has none", () => {
    const read = readErrorFacts({ kind: "json", value: { errors: [{ message: "odd" }] } });
    assert.equal(read.errorCode, undefined);
    assert.equal(read.message, "odd");
  });

  test("readErrorFacts() reduces an HTML page to its <title>", () => {
    const html =
      "<html><head><TITLE>502 Bad Gateway</TITLE></head><body><h1>nginx</h1></body></html>";
    assert.deepEqual(readErrorFacts(parseBody(html)), {
      errorCode: undefined,
      message: "502 Bad Gateway",
      requestId: null,
    });
  });

  test("readErrorFacts() reduces HTML without a title to its text on one line", () => {
    const read = readErrorFacts(
      parseBody("<html><body>\n<h1>Service</h1>\n<p>down</p></body></html>"),
    );
    assert.equal(read.message, "Service down");
  });

  test("readErrorFacts() clips a long text body to 500 characters and an ellipsis", () => {
    const read = readErrorFacts(parseBody(`${"x".repeat(400)}\n\n${"y".repeat(400)}`));
    assert.equal(read.message, `${"x".repeat(400)} ${"y".repeat(99)}…`);
    assert.equal(read.message?.length, 501);
  });

  test("readErrorFacts() clips a long detail too", () => {
    const read = readErrorFacts({ kind: "json", value: { detail: "z".repeat(2_000) } });
    assert.equal(read.message, `${"z".repeat(500)}…`);
  });

  test("readErrorFacts() gives no message for an empty body or a non-object JSON body", () => {
    assert.deepEqual(readErrorFacts(parseBody("")), {
      errorCode: undefined,
      message: undefined,
      requestId: null,
    });
    assert.deepEqual(readErrorFacts(parseBody("[1,2]")), {
      errorCode: undefined,
      message: undefined,
      requestId: null,
    });
  });
});
