/**
 * The steps of one attempt that stand on their own: build the headers,
 * authorise, sign, and read the answer. The attempt loop (`call_run.ts`)
 * runs them in order and decides with the failure policy of `retry.ts`.
 *
 * @module
 */

import type { Slot } from "../delivery/pacer.ts";
import { parseBody, type ParsedBody } from "../envelope.ts";
import type { Scrubber } from "../logger.ts";
import { parseRetryAfter } from "../retry.ts";
import { importHmacKey, signRequest } from "../signing.ts";
import { type AttemptAnswer, TransportFailure } from "../transport/attempt.ts";
import type { CallOptions } from "./call_options.ts";
import type { ServerClock } from "./clock.ts";
import type { Operation } from "./operation.ts";
import type { ClientSession } from "./session.ts";

/** The client's own headers of an attempt, before authorisation and signing. */
export function buildHeaders(
  userAgent: string,
  requestId: string,
  operation: Operation,
): Record<string, string> {
  const headers: Record<string, string> = {
    "accept": "application/json",
    "user-agent": userAgent,
    "x-request-id": requestId,
  };
  if (operation.body) headers["content-type"] = "application/json";
  if (operation.idempotencyKey) headers["idempotency-key"] = operation.idempotencyKey;
  return headers;
}

/**
 * Adds the bearer token when the operation needs one (logging in or renewing
 * within the call's `limits`) and returns it, to tell later whether a 401 was for it.
 */
export async function authorise(
  headers: Record<string, string>,
  operation: Operation,
  session: Pick<ClientSession, "bearer">,
  limits: CallOptions,
): Promise<string | undefined> {
  const token = operation.auth ? await session.bearer(limits) : undefined;
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
  return token;
}

/** Signs request bodies with the configured secret (`X-Timestamp`, `X-Signature`). */
export class RequestSigner {
  readonly #secret: string | undefined;
  readonly #scrubber: Scrubber;
  #key: Promise<CryptoKey> | undefined;

  /** A signer for `secret` (none: nothing is signed). */
  constructor(secret: string | undefined, scrubber: Scrubber) {
    this.#secret = secret;
    this.#scrubber = scrubber;
  }

  /** Signs `body` at the server's time by `clock`, when the operation is signed. */
  async sign(
    headers: Record<string, string>,
    operation: Operation,
    clock: ServerClock,
  ): Promise<void> {
    if (!operation.sign || this.#secret === undefined || !operation.body) return;
    try {
      this.#key ??= importHmacKey(this.#secret);
      const signature = await signRequest(
        await this.#key,
        Math.floor(clock.now() / 1000),
        operation.body.bytes,
      );
      this.#scrubber.addRecent(signature["X-Signature"]);
      headers["x-timestamp"] = signature["X-Timestamp"];
      headers["x-signature"] = signature["X-Signature"];
    } catch (error) {
      // Import the key again next time rather than keep a failed import.
      this.#key = undefined;
      throw error;
    }
  }
}

/** A transport failure that means the server may be down (the pacer pauses for it). */
export function unavailableFailure(error: unknown): "connection" | "timeout" | undefined {
  return error instanceof TransportFailure &&
      (error.kind === "connection" || error.kind === "timeout")
    ? error.kind
    : undefined;
}

/** What the loop needs of an answer, read once. */
export interface ReadAnswer {
  readonly status: number;
  readonly parsed: ParsedBody;
  /** The server's `Retry-After`, in ms. */
  readonly retryAfterMs: number | undefined;
}

/**
 * Reads an answer: the server's clock from `Date`, the body, and
 * `Retry-After`; settles the pacer's slot with what it says.
 */
export function readAnswer(
  answer: AttemptAnswer,
  clock: ServerClock,
  slot: Slot | undefined,
  maxBackoffMs: number,
): ReadAnswer {
  clock.observe(answer.headers["date"]);
  const status = answer.status;
  const parsed = parseBody(answer.text);
  // An HTTP-date is the server's clock: measure it against the server's own Date.
  const serverNow = Date.parse(answer.headers["date"] ?? "");
  const retryAfterMs = parseRetryAfter(
    answer.headers["retry-after"],
    Number.isNaN(serverNow) ? clock.now() : serverNow,
  );
  slot?.settle({
    status,
    retryAfterMs: retryAfterMs === undefined ? undefined : Math.min(retryAfterMs, maxBackoffMs),
  });
  return { status, parsed, retryAfterMs };
}
