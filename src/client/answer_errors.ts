/**
 * The typed error for an exchange that did not end well: what the client
 * knows of it (status, code, request id, the body and headers scrubbed) and
 * a message that says why, for each way a call fails.
 *
 * @module
 */

import type { ResolvedConfig } from "../config.ts";
import { type ParsedBody, readErrorFacts } from "../envelope.ts";
import {
  apiErrorFor,
  errorCodeForStatus,
  type VectorVueAPIError,
  VectorVueRateLimitError,
  VectorVueTransportError,
} from "../errors.ts";
import type { Scrubber } from "../logger.ts";
import type { PayloadProblem } from "../payloads/check.ts";
import type { TransportFailure } from "../transport/attempt.ts";
import type { Exchange } from "./operation.ts";
import { PATHS } from "./paths.ts";

type ErrorFacts = ReturnType<typeof readErrorFacts>;

/** Shapes the errors of one client (scrubbed with its scrubber). */
export class AnswerErrors {
  readonly #config: ResolvedConfig;
  readonly #scrubber: Scrubber;

  /** Errors for the client configured by `config`. */
  constructor(config: ResolvedConfig, scrubber: Scrubber) {
    this.#config = config;
    this.#scrubber = scrubber;
  }

  /** For a success status with an unusable body: the body's own code if it names one. */
  responseErrorInit(exchange: Exchange) {
    const facts = readErrorFacts(exchange.parsed);
    return this.errorInit(exchange, facts.errorCode ?? "invalid_response", facts);
  }

  /** What an error knows of the exchange; `errorCode` is decided by the caller. */
  errorInit(
    exchange: Exchange,
    errorCode: string,
    facts: ErrorFacts = readErrorFacts(exchange.parsed),
  ) {
    const { parsed } = exchange;
    return {
      httpStatus: exchange.answer.status,
      errorCode,
      requestId: facts.requestId ?? exchange.sentRequestId,
      retryCount: exchange.retryCount,
      body: this.#scrubber.value(parsed.kind === "json" ? parsed.value : parsed.text),
      // A server may echo the request's headers (Authorization among them).
      headers: this.#scrubber.headers(exchange.answer.headers),
    };
  }

  /** The error for an answer with an error status (the class by status). */
  apiError(
    endpoint: string,
    method: string,
    exchange: Exchange,
    explain?: () => PayloadProblem[],
  ): VectorVueAPIError {
    const status = exchange.answer.status;
    const facts = readErrorFacts(exchange.parsed);
    const errorCode = facts.errorCode ?? errorCodeForStatus(status);
    // The server says only "Payload validation failed": its own rules say what.
    const problems = status === 422 && errorCode === "validation_failed" && explain
      ? explain()
      : [];
    const init = { ...this.errorInit(exchange, errorCode, facts), problems };
    const reason = this.#reason(endpoint, exchange, facts);
    const retries = exchange.retryCount > 0 ? ` after ${exchange.retryCount} retries` : "";
    const found = problems.length === 0
      ? ""
      : `; by the server's rules: ${problems.map((problem) => problem.message).join("; ")}`;
    const message = this.#scrubber.text(
      `${method} ${exchange.url} failed with ${status} ${init.errorCode}${retries}: ${reason} ` +
        `(request_id ${init.requestId})${found}`,
    );
    return apiErrorFor(message, init);
  }

  /** Why the answer failed: the server's words, and what the client can add to them. */
  #reason(endpoint: string, exchange: Exchange, facts: ErrorFacts): string {
    const status = exchange.answer.status;
    const config = this.#config;
    let reason = facts.message ?? "no error details in the body";
    if (status >= 300 && status < 400) {
      const location = exchange.answer.headers["location"];
      const target = location && URL.canParse(location, config.origin)
        ? new URL(location, config.origin).origin
        : "an unknown location";
      reason = `redirect to ${target} not followed: the client never follows redirects, ` +
        `so the bearer token only goes to ${config.origin}`;
    } else if (status === 404 && endpoint === PATHS.ingestStatus) {
      reason += "; VectorVue also answers 404 for a request that belongs to another tenant";
    } else if (status === 404 && /\/api(\/|$)/.test(new URL(config.baseUrl).pathname)) {
      reason += `; baseUrl ${config.baseUrl} already has an /api path, and the client ` +
        "adds the API's own /api/v1/...: give baseUrl without it";
    }
    return reason;
  }

  /** No answer after `attempt` attempts (the failure's text is scrubbed). */
  transportError(
    method: string,
    url: string,
    attempt: number,
    error: TransportFailure,
  ): VectorVueTransportError {
    return new VectorVueTransportError(
      this.#scrubber.text(
        `${method} ${url} failed after ${attempt} attempt(s): ${error.message}`,
      ),
      { kind: error.kind, attempts: attempt, cause: error },
    );
  }

  /** A call the rate limit would not let out within `rateLimitWaitMs`. */
  notSent(
    method: string,
    endpoint: string,
    requestId: string,
    retryCount: number,
  ): VectorVueRateLimitError {
    return new VectorVueRateLimitError(
      `${method} ${endpoint} was not sent: the rate limit would not ` +
        `allow it within rateLimitWaitMs (${this.#config.rateLimitWaitMs} ms)`,
      {
        httpStatus: 429,
        errorCode: "rate_limited",
        requestId,
        retryCount,
        body: null,
        headers: {},
      },
    );
  }
}

/** The `request_id` of a JSON body, if it has one. */
export function readRequestId(parsed: ParsedBody): string | undefined {
  if (parsed.kind !== "json") return undefined;
  const value = parsed.value as { request_id?: unknown } | null;
  return typeof value?.request_id === "string" ? value.request_id : undefined;
}
