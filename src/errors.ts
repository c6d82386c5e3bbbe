/**
 * The error tree of the client. Everything the client throws on its own
 * account is a {@linkcode VectorVueError}; a caller's abort rejects with the
 * signal's own `reason`, as `fetch` does.
 *
 * ```
 * VectorVueError
 * ├── VectorVueConfigError          bad options, all problems at once
 * ├── VectorVueSerializationError   a payload JSON cannot carry, or a bad batch
 * ├── VectorVueTokenError           a token without tenant_id, expired, mismatched
 * ├── VectorVueSpoolError           a batcher's spool: disk full, read-only, locked...
 * │   └── VectorVueSpoolLockedError another process holds the spool directory
 * ├── VectorVueTransportError       no HTTP answer: connection, timeout, TLS
 * ├── VectorVueClientClosedError    a call on a client after close()
 * ├── VectorVueHookError            one of the caller's hooks threw
 * └── VectorVueAPIError             the server answered with an error
 *     ├── VectorVueAuthError        401, 403
 *     ├── VectorVueNotFoundError    404
 *     ├── VectorVueConflictError    409
 *     ├── VectorVueValidationError  400, 422
 *     ├── VectorVueRateLimitError   429
 *     ├── VectorVuePayloadTooLargeError  413
 *     ├── VectorVueServerError      5xx (502/503/504: the server is unavailable)
 *     └── VectorVueResponseError    an answer that is not what the contract says
 *         └── VectorVueSignatureError  a response signature that does not verify
 * ```
 *
 * @module
 */

import type { PayloadProblem } from "./payloads/check.ts";

/**
 * Base class of every error the client raises itself.
 *
 * @example Catch anything the client raised
 * ```ts
 * import { VectorVueClient, VectorVueError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
 * await assert.rejects(client.getIngestStatus("not a request id"), (error) => {
 *   assert.ok(error instanceof VectorVueError);
 *   assert.equal(error.name, "VectorVueSerializationError");
 *   return true;
 * });
 * ```
 */
export class VectorVueError extends Error {
  /** Creates the error; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The options given to the client (or read from the environment) are not
 * usable. Every problem found is listed in {@linkcode problems} and in the
 * message, so one run shows them all.
 *
 * @example Report every configuration problem at once
 * ```ts
 * import { VectorVueClient, VectorVueConfigError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * assert.throws(
 *   () => new VectorVueClient({ baseUrl: "http://vectorvue.example", timeoutMs: 0 }),
 *   (error) => {
 *     assert.ok(error instanceof VectorVueConfigError);
 *     assert.equal(error.problems.length, 3); // https, timeoutMs, and no credentials
 *     return true;
 *   },
 * );
 * ```
 */
export class VectorVueConfigError extends VectorVueError {
  /** One sentence per problem, each naming the option and why it is wrong. */
  readonly problems: readonly string[];

  /** Creates the error from the list of problems found. */
  constructor(problems: readonly string[], options?: ErrorOptions) {
    super(`Invalid VectorVue configuration: ${problems.join("; ")}`, options);
    this.problems = Object.freeze([...problems]);
  }
}

/**
 * A payload cannot be sent as given: JSON cannot carry it faithfully (BigInt,
 * a cycle, a function, a non-finite number, a Map...), it is not an object, or
 * a batch is empty or longer than `maxBatchSize`. Raised before any request.
 *
 * @example Reject a BigInt before anything is sent
 * ```ts
 * import { VectorVueClient, VectorVueSerializationError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln", fetch: () => Promise.reject() });
 * const event = {
 *   source_system: "spectrastrike",
 *   event_type: "TRANSFER",
 *   occurred_at: new Date(),
 *   severity: "info",
 *   asset_ref: "host-42",
 *   message: "Large upload",
 *   metadata: { bytes: 10n }, // JSON has no BigInt
 * } as const;
 * await assert.rejects(client.sendEvent(event), (error) => {
 *   assert.ok(error instanceof VectorVueSerializationError);
 *   assert.equal(error.path, "event.metadata.bytes");
 *   return true;
 * });
 * ```
 */
export class VectorVueSerializationError extends VectorVueError {
  /** Where in the payload the problem is, such as `events[3].metadata.size`. */
  readonly path: string;
  /**
   * With `validatePayloads`, what the server's rules found wrong (path, rule,
   * value received); empty for a payload JSON cannot carry.
   */
  readonly problems: readonly PayloadProblem[];

  /** Creates the error for the value at `path`. */
  constructor(
    message: string,
    path: string,
    options?: ErrorOptions & { readonly problems?: readonly PayloadProblem[] },
  ) {
    super(message, options);
    this.path = path;
    this.problems = Object.freeze([...(options?.problems ?? [])]);
  }
}

/**
 * The bearer token cannot be used: it is not a JWT, lacks the `tenant_id`
 * claim, names another tenant than `tenantId`, or has expired with no
 * credentials configured to renew it. The token itself is never in the message.
 *
 * @example Tell a token problem from a server refusal
 * ```ts
 * import { VectorVueTokenError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueTokenError("token has expired and no credentials are configured");
 * assert.equal(error.name, "VectorVueTokenError");
 * ```
 */
export class VectorVueTokenError extends VectorVueError {}

/**
 * A method was called on a client after `close()` (or after the end of its
 * `await using` block). That is a bug in the calling code: the client does
 * not silently open a new connection pool. Create a new client instead.
 *
 * @example Calling a closed client
 * ```ts
 * import { VectorVueClient, VectorVueClientClosedError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
 * await client.close();
 * await assert.rejects(client.getIngestStatus("req-1"), VectorVueClientClosedError);
 * ```
 */
export class VectorVueClientClosedError extends VectorVueError {
  /** Creates the error; `what` says what was attempted, such as `sendEvent() called`. */
  constructor(what: string) {
    super(
      `${what} on a closed VectorVueClient: close() (or the end of its await using block) ` +
        "released it; create a new client for more calls",
    );
  }
}

/**
 * Why a request got no HTTP answer.
 *
 * @example
 * ```ts
 * import type { TransportFailureKind } from "@spectrastrike/vectorvue-client";
 *
 * const transient: TransportFailureKind[] = ["connection", "timeout"];
 * ```
 */
export type TransportFailureKind = "connection" | "timeout" | "tls" | "response_too_large";

/**
 * No usable HTTP answer: the connection failed or dropped, the attempt timed
 * out (headers and body), TLS verification failed, or the body was larger
 * than `maxResponseBytes`. Raised after the retries the policy allows.
 *
 * @example Tell a network failure from a server answer
 * ```ts
 * import { VectorVueTransportError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const error = new VectorVueTransportError("connection refused", { kind: "connection", attempts: 4 });
 * assert.equal(error.attempts, 4);
 * assert.equal(error.kind, "connection");
 * ```
 */
export class VectorVueTransportError extends VectorVueError {
  /** How many attempts were made in all (retries + 1). */
  readonly attempts: number;
  /** What failed. */
  readonly kind: TransportFailureKind;

  /** Creates the error; `cause` keeps the runtime's own error. */
  constructor(
    message: string,
    options: { kind: TransportFailureKind; attempts: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.kind = options.kind;
    this.attempts = options.attempts;
  }
}

/**
 * One of the caller's `hooks` threw (or changed a header the client sets
 * itself), which fails the call: the message names the phase, the hook's
 * position and its function name; `cause` is what it threw.
 *
 * @example Tell a broken hook from a failed request
 * ```ts
 * import assert from "node:assert/strict";
 * import { VectorVueHookError } from "@spectrastrike/vectorvue-client";
 *
 * const error = new VectorVueHookError("beforeRequest hook #1 (trace) threw: boom", "beforeRequest", 1);
 * assert.equal(error.hook, "beforeRequest");
 * ```
 */
export class VectorVueHookError extends VectorVueError {
  /** The phase whose hook failed. */
  readonly hook: "beforeRequest" | "afterResponse" | "beforeRetry";
  /** The hook's position in its list, 1-based. */
  readonly position: number;

  /** Creates the error; `options.cause` keeps what the hook threw. */
  constructor(
    message: string,
    hook: "beforeRequest" | "afterResponse" | "beforeRetry",
    position: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.hook = hook;
    this.position = position;
  }
}

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

/** The error code the client uses for a status when the body gives none. */
export function errorCodeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 422:
      return "validation_failed";
    case 429:
      return "rate_limited";
    case 502:
      return "bad_gateway";
    case 503:
      return "service_unavailable";
    case 504:
      return "gateway_timeout";
  }
  if (status >= 300 && status < 400) return "unexpected_redirect";
  if (status >= 500) return "server_error";
  if (status >= 400) return "client_error";
  return "invalid_response";
}

/**
 * Picks the {@linkcode VectorVueAPIError} subclass for an HTTP status: the
 * one factory from response to error class.
 */
export function apiErrorFor(message: string, init: APIErrorInit): VectorVueAPIError {
  const status = init.httpStatus;
  if (status === 401 || status === 403) return new VectorVueAuthError(message, init);
  if (status === 404) return new VectorVueNotFoundError(message, init);
  if (status === 409) return new VectorVueConflictError(message, init);
  if (status === 400 || status === 422) return new VectorVueValidationError(message, init);
  if (status === 429) return new VectorVueRateLimitError(message, init);
  if (status === 413) return new VectorVuePayloadTooLargeError(message, init);
  if (status >= 500) return new VectorVueServerError(message, init);
  if (status >= 200 && status < 400) return new VectorVueResponseError(message, init);
  return new VectorVueAPIError(message, init);
}
