/**
 * The errors of an HTTP answer: {@linkcode VectorVueAPIError} and one
 * subclass per kind of refusal, and {@linkcode VectorVueResponseError} for an
 * answer that is not what the contract promises.
 *
 * @module
 */

import type { PayloadProblem } from "../payloads/check.ts";
import { VectorVueError } from "./base.ts";

/**
 * What the client knows of a failed HTTP exchange.
 *
 * @example
 * ```ts
 * import type { APIErrorInit } from "@spectrastrike/vectorvue-client";
 *
 * const init: APIErrorInit = {
 *   httpStatus: 503, errorCode: "service_unavailable", requestId: null,
 *   retryCount: 3, body: "busy", headers: {},
 * };
 * ```
 */
export interface APIErrorInit {
  /** HTTP status code of the answer. */
  readonly httpStatus: number;
  /** Error code: from the envelope's `errors[0].code`, else derived from the status. */
  readonly errorCode: string;
  /** The envelope's `request_id`, or the one the client sent as `X-Request-ID`. */
  readonly requestId: string | null;
  /** Retries made before this answer. */
  readonly retryCount: number;
  /** The parsed JSON body, or the body text when it was not JSON (secrets scrubbed). */
  readonly body: unknown;
  /** Response headers, lower-case keys. */
  readonly headers: Readonly<Record<string, string>>;
  /** For a 422 `validation_failed`: what the client found checking the payload against the server's rules. */
  readonly problems?: readonly PayloadProblem[];
}

/**
 * The server answered with an error status (or, for
 * {@linkcode VectorVueResponseError}, with something that is not what the
 * contract promises). Subclasses narrow it by status; `instanceof
 * VectorVueAPIError` catches them all.
 *
 * @example Read the code the server gave
 * ```ts
 * import { VectorVueAPIError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueAPIError("conflict", {
 *   httpStatus: 409, errorCode: "idempotency_conflict", requestId: null,
 *   retryCount: 0, body: null, headers: {},
 * });
 * assert.equal(error.errorCode, "idempotency_conflict");
 * ```
 */
export class VectorVueAPIError extends VectorVueError {
  /** HTTP status code of the answer. */
  readonly httpStatus: number;
  /** Error code, such as `validation_failed`, `idempotency_conflict`, `unauthorized`. */
  readonly errorCode: string;
  /** Request id of the failed exchange, when known. */
  readonly requestId: string | null;
  /** Retries made before this answer. */
  readonly retryCount: number;
  /** The parsed JSON body, or the body text when it was not JSON. */
  readonly body: unknown;
  /** Response headers, lower-case keys. */
  readonly headers: Readonly<Record<string, string>>;

  /** Creates the error from the exchange. */
  constructor(message: string, init: APIErrorInit, options?: ErrorOptions) {
    super(message, options);
    this.httpStatus = init.httpStatus;
    this.errorCode = init.errorCode;
    this.requestId = init.requestId;
    this.retryCount = init.retryCount;
    this.body = init.body;
    this.headers = init.headers;
  }
}

/**
 * 401 or 403: missing, invalid or expired token, bad signature, wrong tenant.
 *
 * @example Re-authenticate on an auth error
 * ```ts
 * import { VectorVueAuthError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueAuthError("Invalid JWT", {
 *   httpStatus: 401, errorCode: "unauthorized", requestId: null, retryCount: 0, body: null, headers: {},
 * });
 * assert.ok(error instanceof VectorVueAuthError);
 * ```
 */
export class VectorVueAuthError extends VectorVueAPIError {}

/**
 * 404. For an ingest-status lookup this may also mean that the request
 * belongs to another tenant: VectorVue hides other tenants' requests that way.
 *
 * @example Handle an unknown request id
 * ```ts
 * import { VectorVueNotFoundError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueNotFoundError("Request not found", {
 *   httpStatus: 404, errorCode: "not_found", requestId: null, retryCount: 0, body: null, headers: {},
 * });
 * assert.equal(error.httpStatus, 404);
 * ```
 */
export class VectorVueNotFoundError extends VectorVueAPIError {}

/**
 * 409: the `Idempotency-Key` was used before with a different payload
 * (`errorCode: "idempotency_conflict"`).
 *
 * @example Detect a reused idempotency key
 * ```ts
 * import { VectorVueConflictError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueConflictError("Idempotency-Key reuse with different payload", {
 *   httpStatus: 409, errorCode: "idempotency_conflict", requestId: null, retryCount: 0, body: null, headers: {},
 * });
 * assert.equal(error.errorCode, "idempotency_conflict");
 * ```
 */
export class VectorVueConflictError extends VectorVueAPIError {}

/**
 * 400 or 422: the server rejected the payload (`validation_failed`,
 * `batch_too_large`, ...). Not retried. The real server says only "Payload
 * validation failed" for an event or a finding, so for a 422
 * `validation_failed` the client checks the payload against the server's
 * rules and lists what it found in {@linkcode problems} (and the message).
 *
 * @example See which fields the server refused
 * ```ts
 * import { VectorVueClient, VectorVueValidationError } from "@spectrastrike/vectorvue-client";
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 * import assert from "node:assert/strict";
 *
 * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
 * const client = new VectorVueClient({
 *   ...emulator.defaults,
 *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
 * });
 * const event = {
 *   source_system: "spectrastrike",
 *   event_type: "PROCESS_ANOMALY",
 *   occurred_at: "2026-11-28T12:00:00Z",
 *   severity: "hgh",
 *   asset_ref: "host-42",
 *   message: "Unexpected child process",
 * };
 * try {
 *   await client.sendEvent(event as never);
 *   assert.fail("the server refuses a misspelled severity");
 * } catch (error) {
 *   assert.ok(error instanceof VectorVueValidationError);
 *   assert.deepEqual(error.problems.map((p) => p.path), ["severity"]);
 * }
 * ```
 */
export class VectorVueValidationError extends VectorVueAPIError {
  /** What the client found wrong with the payload by the server's rules; empty when it found nothing. */
  readonly problems: readonly PayloadProblem[];

  /** Creates the error from the exchange. */
  constructor(message: string, init: APIErrorInit, options?: ErrorOptions) {
    super(message, init, options);
    this.problems = Object.freeze([...(init.problems ?? [])]);
  }
}

/**
 * 429 after every retry the policy allowed. Batch to send fewer requests.
 *
 * @example Back off further on rate limiting
 * ```ts
 * import { VectorVueRateLimitError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueRateLimitError("Rate limit exceeded", {
 *   httpStatus: 429, errorCode: "rate_limited", requestId: null, retryCount: 3, body: null, headers: {},
 * });
 * assert.equal(error.retryCount, 3);
 * ```
 */
export class VectorVueRateLimitError extends VectorVueAPIError {}

/**
 * 413: the body is larger than the server (or the proxy before it) accepts.
 * A batch so refused is split in halves by `sendEvents`/`sendFindings` and
 * the batcher; a single item so refused fails (it is not sent again).
 *
 * @example Tell an oversized body from a validation error
 * ```ts
 * import { VectorVuePayloadTooLargeError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVuePayloadTooLargeError("Request Entity Too Large", {
 *   httpStatus: 413, errorCode: "payload_too_large", requestId: null, retryCount: 0, body: null, headers: {},
 * });
 * assert.equal(error.httpStatus, 413);
 * ```
 */
export class VectorVuePayloadTooLargeError extends VectorVueAPIError {}

/**
 * A 5xx answer. 502, 503 and 504 mean the server (or the proxy before it)
 * is unavailable: the client retried them, pausing all its calls once, before
 * this was raised; other 5xx (500) are final.
 *
 * @example Tell an unavailable server from a refusal
 * ```ts
 * import { VectorVueServerError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueServerError("Service Unavailable", {
 *   httpStatus: 503, errorCode: "service_unavailable", requestId: null, retryCount: 3, body: null, headers: {},
 * });
 * assert.equal(error.httpStatus, 503);
 * ```
 */
export class VectorVueServerError extends VectorVueAPIError {}

/**
 * The server's answer is not what the contract promises: a success status
 * with an HTML, empty, truncated or wrongly shaped body, an unexpected
 * redirect, or a response signature that does not verify.
 *
 * @example Tell a broken answer from a refusal
 * ```ts
 * import { VectorVueResponseError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueResponseError("expected JSON, got text/html", {
 *   httpStatus: 200, errorCode: "invalid_response", requestId: null, retryCount: 0, body: "<html>", headers: {},
 * });
 * assert.equal(error.errorCode, "invalid_response");
 * ```
 */
export class VectorVueResponseError extends VectorVueAPIError {}

/**
 * A response signature did not match its data under `responseSigningKey`:
 * the answer was altered on the way, or the key is wrong. The answer is not
 * returned. `errorCode` is `response_signature_mismatch`.
 *
 * @example Treat a forged answer as an alarm
 * ```ts
 * import { VectorVueResponseError, VectorVueSignatureError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueSignatureError("signature mismatch", {
 *   httpStatus: 202, errorCode: "response_signature_mismatch", requestId: null,
 *   retryCount: 0, body: null, headers: {},
 * });
 * assert.ok(error instanceof VectorVueResponseError);
 * ```
 */
export class VectorVueSignatureError extends VectorVueResponseError {}
