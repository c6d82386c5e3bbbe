/**
 * The errors raised without an HTTP answer to blame: bad options, a payload
 * JSON cannot carry, an unusable token, a closed client, no answer at all, a
 * caller's hook that threw.
 *
 * @module
 */

import type { PayloadProblem } from "../payloads/check.ts";
import { VectorVueError } from "./base.ts";

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
