import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  apiErrorFor,
  type APIErrorInit,
  errorCodeForStatus,
  VectorVueAPIError,
  VectorVueAuthError,
  VectorVueConfigError,
  VectorVueConflictError,
  VectorVueError,
  VectorVueNotFoundError,
  VectorVuePayloadTooLargeError,
  VectorVueRateLimitError,
  VectorVueResponseError,
  VectorVueSerializationError,
  VectorVueServerError,
  VectorVueTokenError,
  VectorVueTransportError,
  VectorVueValidationError,
} from "../src/errors.ts";

function init(httpStatus: number, overrides: Partial<APIErrorInit> = {}): APIErrorInit {
  return {
    httpStatus,
    errorCode: errorCodeForStatus(httpStatus),
    requestId: "req-1",
    retryCount: 0,
    body: { detail: "x" },
    headers: { "content-type": "application/json" },
    ...overrides,
  };
}

describe("error classes", () => {
  test("every error's name equals its class name", () => {
    const api = init(500);
    const errors: [Error, string][] = [
      [new VectorVueError("m"), "VectorVueError"],
      [new VectorVueConfigError(["p"]), "VectorVueConfigError"],
      [new VectorVueSerializationError("m", "event"), "VectorVueSerializationError"],
      [new VectorVueTokenError("m"), "VectorVueTokenError"],
      [
        new VectorVueTransportError("m", { kind: "timeout", attempts: 1 }),
        "VectorVueTransportError",
      ],
      [new VectorVueAPIError("m", api), "VectorVueAPIError"],
      [new VectorVueAuthError("m", api), "VectorVueAuthError"],
      [new VectorVueNotFoundError("m", api), "VectorVueNotFoundError"],
      [new VectorVueConflictError("m", api), "VectorVueConflictError"],
      [new VectorVueValidationError("m", api), "VectorVueValidationError"],
      [new VectorVueRateLimitError("m", api), "VectorVueRateLimitError"],
      [new VectorVueResponseError("m", api), "VectorVueResponseError"],
    ];
    for (const [error, name] of errors) {
      assert.equal(error.name, name);
      assert.equal(error.constructor.name, name);
      assert.ok(error instanceof VectorVueError, `${name} extends VectorVueError`);
      assert.ok(error instanceof Error);
      assert.match(String(error), new RegExp(`^${name}: `));
    }
  });

  test("every status subclass is a VectorVueAPIError", () => {
    const api = init(400);
    for (
      const error of [
        new VectorVueAuthError("m", api),
        new VectorVueNotFoundError("m", api),
        new VectorVueConflictError("m", api),
        new VectorVueValidationError("m", api),
        new VectorVueRateLimitError("m", api),
        new VectorVueResponseError("m", api),
      ]
    ) {
      assert.ok(error instanceof VectorVueAPIError, error.name);
    }
  });

  test("VectorVueConfigError lists every problem in problems and in its message", () => {
    const error = new VectorVueConfigError([
      "timeoutMs must be positive",
      "baseUrl must use https",
    ]);
    assert.deepEqual(error.problems, ["timeoutMs must be positive", "baseUrl must use https"]);
    assert.equal(
      error.message,
      "Invalid VectorVue configuration: timeoutMs must be positive; baseUrl must use https",
    );
    assert.ok(Object.isFrozen(error.problems));
  });

  test("VectorVueConfigError keeps its own copy of the problems", () => {
    const problems = ["one"];
    const error = new VectorVueConfigError(problems);
    problems.push("two");
    assert.deepEqual(error.problems, ["one"]);
  });

  test("VectorVueSerializationError carries the path", () => {
    const error = new VectorVueSerializationError("bad", "events[3].metadata.size");
    assert.equal(error.path, "events[3].metadata.size");
    assert.equal(error.message, "bad");
  });

  test("VectorVueTransportError carries kind, attempts and cause", () => {
    const cause = new TypeError("fetch failed");
    const error = new VectorVueTransportError("connection refused", {
      kind: "connection",
      attempts: 4,
      cause,
    });
    assert.equal(error.kind, "connection");
    assert.equal(error.attempts, 4);
    assert.equal(error.cause, cause);
    assert.equal(error.message, "connection refused");
  });

  test("VectorVueAPIError carries every fact of the exchange", () => {
    const facts = init(409, { errorCode: "idempotency_conflict", retryCount: 2 });
    const error = new VectorVueAPIError("conflict", facts);
    assert.equal(error.httpStatus, 409);
    assert.equal(error.errorCode, "idempotency_conflict");
    assert.equal(error.requestId, "req-1");
    assert.equal(error.retryCount, 2);
    assert.deepEqual(error.body, { detail: "x" });
    assert.deepEqual(error.headers, { "content-type": "application/json" });
  });

  test("errors keep their cause", () => {
    const cause = new Error("root");
    assert.equal(new VectorVueError("m", { cause }).cause, cause);
    assert.equal(new VectorVueConfigError(["p"], { cause }).cause, cause);
    assert.equal(new VectorVueSerializationError("m", "event", { cause }).cause, cause);
    assert.equal(new VectorVueTokenError("m", { cause }).cause, cause);
    assert.equal(new VectorVueAPIError("m", init(500), { cause }).cause, cause);
    assert.equal(new VectorVueAuthError("m", init(401), { cause }).cause, cause);
  });
});

describe("apiErrorFor()", () => {
  const cases: [number, new (...args: never[]) => VectorVueAPIError][] = [
    [401, VectorVueAuthError],
    [403, VectorVueAuthError],
    [404, VectorVueNotFoundError],
    [409, VectorVueConflictError],
    [400, VectorVueValidationError],
    [422, VectorVueValidationError],
    [429, VectorVueRateLimitError],
    [200, VectorVueResponseError],
    [302, VectorVueResponseError],
    [413, VectorVuePayloadTooLargeError],
    [500, VectorVueServerError],
    [502, VectorVueServerError],
    [503, VectorVueServerError],
    [504, VectorVueServerError],
    [418, VectorVueAPIError],
  ];
  for (const [status, expected] of cases) {
    test(`apiErrorFor() picks ${expected.name} for ${status}`, () => {
      const error = apiErrorFor(`status ${status}`, init(status));
      assert.equal(error.constructor, expected);
      assert.equal(error.name, expected.name);
      assert.equal(error.httpStatus, status);
      assert.equal(error.message, `status ${status}`);
      assert.equal(error.errorCode, errorCodeForStatus(status));
    });
  }
});

describe("errorCodeForStatus()", () => {
  test("errorCodeForStatus() names each known status", () => {
    const expected: Record<number, string> = {
      400: "bad_request",
      401: "unauthorized",
      403: "forbidden",
      404: "not_found",
      405: "method_not_allowed",
      409: "conflict",
      413: "payload_too_large",
      422: "validation_failed",
      429: "rate_limited",
      502: "bad_gateway",
      503: "service_unavailable",
      504: "gateway_timeout",
    };
    for (const [status, code] of Object.entries(expected)) {
      assert.equal(errorCodeForStatus(Number(status)), code, status);
    }
  });

  test("errorCodeForStatus() falls back by status class", () => {
    assert.equal(errorCodeForStatus(301), "unexpected_redirect");
    assert.equal(errorCodeForStatus(307), "unexpected_redirect");
    assert.equal(errorCodeForStatus(500), "server_error");
    assert.equal(errorCodeForStatus(501), "server_error");
    assert.equal(errorCodeForStatus(418), "client_error");
    assert.equal(errorCodeForStatus(200), "invalid_response");
  });
});
