/**
 * The call pipeline: one call's attempts, each a row of named steps (pace,
 * build headers, authorise, sign, hooks, send, read the answer), and after
 * each the failure policy's decision ({@linkcode decideRetry}): retry,
 * re-sign, log in again, or stop with the last answer.
 *
 * @module
 */

import type { ResolvedConfig } from "../config.ts";
import type { Pacer, Slot } from "../delivery/pacer.ts";
import { readErrorFacts } from "../envelope.ts";
import { VectorVueClientClosedError } from "../errors.ts";
import type { Scrubber } from "../logger.ts";
import { abortableDelay, type AttemptState, decideRetry } from "../retry.ts";
import { type AttemptAnswer, TransportFailure } from "../transport/attempt.ts";
import type { Transport } from "../platform/network.ts";
import { type AnswerErrors, readRequestId } from "./answer_errors.ts";
import { AttemptHooks } from "./attempt_hooks.ts";
import type { CallOptions } from "./call_options.ts";
import type { ServerClock } from "./clock.ts";
import type { ClientConnection } from "./connection.ts";
import type { ClientLog } from "./log.ts";
import type { Exchange, Operation } from "./operation.ts";
import { RATE_LIMITED_PREFIX } from "./paths.ts";
import type { ClientSession } from "./session.ts";
import {
  authorise,
  buildHeaders,
  readAnswer,
  type RequestSigner,
  unavailableFailure,
} from "./steps.ts";

/** What the pipeline uses of the client. */
export interface PipelineParts {
  readonly config: ResolvedConfig;
  readonly scrubber: Scrubber;
  readonly pacer: Pacer;
  readonly clock: ServerClock;
  readonly session: ClientSession;
  readonly signer: RequestSigner;
  readonly connection: ClientConnection;
  readonly errors: AnswerErrors;
  readonly log: ClientLog;
}

/** An attempt ready to send. */
interface Prepared {
  readonly attempt: number;
  readonly requestId: string;
  readonly headers: Record<string, string>;
  /** The token sent, to tell whether a 401 refused the current one. */
  readonly token: string | undefined;
  /** The clock correction the attempt was signed with. */
  readonly signedWithOffset: number;
  readonly hooks: AttemptHooks | undefined;
  /** When it was sent (`performance.now()`). */
  started: number;
}

/**
 * Runs `operation` through the pipeline: paces, attempts, and asks
 * {@linkcode decideRetry} what follows, until an answer is final, the retries
 * or the rate-limit budget are used up, or the caller aborts. Returns the last
 * answer, whatever its status.
 */
export async function exchange(
  parts: PipelineParts,
  operation: Operation,
  limits: CallOptions,
): Promise<Exchange> {
  // Batches of a batcher or bulk send still running when the client was closed.
  if (parts.connection.closed) {
    throw new VectorVueClientClosedError(`${operation.method} ${operation.endpoint} sent`);
  }
  const transport = await parts.connection.open();
  return await new CallRun(parts, transport, operation, limits).run();
}

/** One call's attempts and what they learned (retries of each kind, re-login, re-signing). */
export class CallRun {
  readonly #parts: PipelineParts;
  readonly #transport: Transport;
  readonly #operation: Operation;
  readonly #limits: CallOptions;
  readonly #url: string;
  /** The pacer gates every call to the rate-limited routes: the rate limit (when it paces one)
   * and the one pause for an unavailable server. */
  readonly #gated: boolean;
  readonly #paced: boolean;
  readonly #deadline: number;
  readonly #maxRetries: number;
  #retryCount = 0;
  #failureRetries = 0;
  #rateLimitRetries = 0;
  #reauthenticated = false;
  #resigned = false;
  /** The last 429, returned when the rate-limit budget ends the call. */
  #limited: Exchange | undefined;

  /** A run of `operation` over `transport`. */
  constructor(
    parts: PipelineParts,
    transport: Transport,
    operation: Operation,
    limits: CallOptions,
  ) {
    this.#parts = parts;
    this.#transport = transport;
    this.#operation = operation;
    this.#limits = limits;
    const { config, pacer } = parts;
    this.#url = config.baseUrl + operation.path;
    this.#gated = operation.path.startsWith(RATE_LIMITED_PREFIX);
    this.#paced = pacer.enabled && this.#gated;
    this.#deadline = performance.now() + config.rateLimitWaitMs;
    this.#maxRetries = limits.maxRetries ?? config.maxRetries;
  }

  /** Attempts until one is final; returns its exchange. */
  async run(): Promise<Exchange> {
    for (let attempt = 1;; attempt++) {
      const final = await this.#attempt(attempt);
      if (final) return final;
    }
  }

  /** One attempt: its exchange when final, `undefined` when another follows. */
  async #attempt(attempt: number): Promise<Exchange | undefined> {
    const { signal } = this.#limits;
    signal?.throwIfAborted();
    const requestId = crypto.randomUUID();
    const slot = this.#gated
      ? await this.#parts.pacer.acquire(signal, this.#deadline, this.#operation.tally)
      : undefined;
    if (this.#gated && slot === undefined) return this.#notAllowed(attempt, requestId);
    let prepared: Prepared;
    try {
      prepared = await this.#prepare(attempt, requestId);
    } catch (error) {
      // Nothing was sent: give the slot back (a slot left unsettled would hold every call).
      slot?.settle({ notSent: true });
      throw error;
    }
    let answer: AttemptAnswer;
    try {
      answer = await this.#send(prepared);
    } catch (error) {
      return await this.#failed(prepared, slot, error);
    }
    return await this.#answered(prepared, slot, answer);
  }

  /** The rate limit would not let the call out in time: the last 429, or an error. */
  #notAllowed(attempt: number, requestId: string): Exchange {
    if (this.#limited) return this.#logFinal(this.#limited, attempt - 1, 0);
    const { method, endpoint } = this.#operation;
    throw this.#parts.errors.notSent(method, endpoint, requestId, this.#retryCount);
  }

  /** Build headers, authorise, sign, and run `beforeRequest`. */
  async #prepare(attempt: number, requestId: string): Promise<Prepared> {
    const { config, session, signer, clock, scrubber } = this.#parts;
    const operation = this.#operation;
    const headers = buildHeaders(config.userAgent, requestId, operation);
    const token = await authorise(headers, operation, session, this.#limits);
    const signedWithOffset = clock.offsetMs;
    await signer.sign(headers, operation, clock);
    const hooks = AttemptHooks.start(
      config.hooks,
      (text) => scrubber.text(text),
      { method: operation.method, route: operation.endpoint, url: this.#url, attempt, requestId },
      headers,
    );
    await hooks?.beforeRequest();
    return { attempt, requestId, headers, token, signedWithOffset, hooks, started: 0 };
  }

  /** Sends the attempt. */
  #send(prepared: Prepared): Promise<AttemptAnswer> {
    const { config } = this.#parts;
    const { headers, hooks } = prepared;
    const tally = this.#operation.tally;
    prepared.started = performance.now();
    if (tally) tally.requests++;
    return this.#transport.send({
      url: this.#url,
      method: this.#operation.method,
      headers: hooks ? hooks.headersToSend(headers) : headers,
      body: this.#operation.body?.bytes,
    }, {
      timeoutMs: this.#limits.timeoutMs ?? config.timeoutMs,
      maxResponseBytes: config.maxResponseBytes,
      signal: this.#limits.signal,
    });
  }

  /** No answer: retry as the policy says, or fail with a transport error. */
  async #failed(
    prepared: Prepared,
    slot: Slot | undefined,
    error: unknown,
  ): Promise<undefined> {
    const failure = unavailableFailure(error);
    // No answer: the server may be down, and the pacer pauses every call once for it.
    slot?.settle(failure ? { failure } : {});
    if (!(error instanceof TransportFailure)) throw error; // the caller aborted
    const { scrubber, errors } = this.#parts;
    // What the runtime said (its cause chain too) may quote a proxy URL with credentials.
    scrubber.error(error);
    const { method } = this.#operation;
    const failed = () => errors.transportError(method, this.#url, prepared.attempt, error);
    const decision = decideRetry({ kind: "failure", failure: error.kind }, this.#state(prepared));
    if (decision.action !== "retry") {
      this.#logAttempt("error", "vectorvue request failed", prepared, error.kind, null);
      throw failed();
    }
    this.#logAttempt("warn", "vectorvue request retrying", prepared, error.kind, null);
    await prepared.hooks?.beforeRetry(decision.delayMs, failed);
    await abortableDelay(decision.delayMs, this.#limits.signal);
    this.#retryCount++;
    this.#failureRetries++;
    return undefined;
  }

  /** An answer: read it, run `afterResponse`, and decide. */
  async #answered(
    prepared: Prepared,
    slot: Slot | undefined,
    answer: AttemptAnswer,
  ): Promise<Exchange | undefined> {
    const { clock, config, errors } = this.#parts;
    const { status, parsed, retryAfterMs } = readAnswer(answer, clock, slot, config.maxBackoffMs);
    if (status === 429 && this.#operation.tally) this.#operation.tally.rateLimited++;
    await prepared.hooks?.afterResponse(status, performance.now() - prepared.started);
    const exchange: Exchange = {
      url: this.#url,
      answer,
      parsed,
      retryCount: this.#retryCount,
      sentRequestId: prepared.requestId,
    };
    const { endpoint, method } = this.#operation;
    const refused = () => errors.apiError(endpoint, method, exchange);
    const detail = status === 401 ? readErrorFacts(parsed).message : undefined;
    const decision = decideRetry(
      { kind: "answer", status, detail, retryAfterMs },
      this.#state(prepared),
    );
    switch (decision.action) {
      case "resign":
        this.#resigned = true;
        this.#logAttempt(
          "warn",
          "vectorvue request re-signing",
          prepared,
          "clock_corrected",
          status,
        );
        await prepared.hooks?.beforeRetry(0, refused);
        return undefined;
      case "relogin":
        this.#reauthenticated = true;
        this.#parts.session.forget(prepared.token);
        this.#logAttempt(
          "warn",
          "vectorvue request re-authenticating",
          prepared,
          "unauthorized",
          status,
        );
        await prepared.hooks?.beforeRetry(0, refused);
        return undefined;
      case "retry":
        this.#logAttempt(
          "warn",
          "vectorvue request retrying",
          prepared,
          "retryable_status",
          status,
        );
        if (decision.reason === "rate_limited") {
          this.#limited = exchange;
          this.#rateLimitRetries++;
        } else this.#failureRetries++;
        await prepared.hooks?.beforeRetry(decision.delayMs, refused);
        await abortableDelay(decision.delayMs, this.#limits.signal);
        this.#retryCount++;
        return undefined;
    }
    return this.#logFinal(exchange, prepared.attempt, performance.now() - prepared.started);
  }

  /** What the failure policy knows of the call so far. */
  #state(prepared: Prepared): AttemptState {
    const { config, session, clock } = this.#parts;
    return {
      failureRetries: this.#failureRetries,
      maxRetries: this.#maxRetries,
      backoffMs: config.backoffMs,
      maxBackoffMs: config.maxBackoffMs,
      auth: this.#operation.auth,
      canLogin: session.canLogin,
      reauthenticated: this.#reauthenticated,
      resigned: this.#resigned,
      clockCorrected: clock.offsetMs !== prepared.signedWithOffset,
      rateLimitRetries: this.#rateLimitRetries,
      rateLimitBudgetLeftMs: this.#deadline - performance.now(),
      paced: this.#paced,
      gated: this.#gated,
    };
  }

  /** Logs an attempt that is retried or failed without an answer. */
  #logAttempt(
    level: "warn" | "error",
    message: string,
    prepared: Prepared,
    outcome: string,
    httpStatus: number | null,
  ): void {
    const { config, session } = this.#parts;
    this.#parts.log(level, message, {
      endpoint: this.#operation.endpoint,
      method: this.#operation.method,
      requestId: prepared.requestId,
      tenantId: config.tenantId ?? session.tenantId ?? null,
      outcome,
      httpStatus,
      attempt: prepared.attempt,
      retryCount: this.#retryCount,
      durationMs: Math.round(performance.now() - prepared.started),
    });
  }

  /** Logs the final answer of an exchange and returns it. */
  #logFinal(exchange: Exchange, attempt: number, durationMs: number): Exchange {
    const { config, session } = this.#parts;
    const { answer, parsed } = exchange;
    const ok = answer.status >= 200 && answer.status < 300;
    this.#parts.log(ok ? "debug" : "error", ok ? "vectorvue request" : "vectorvue request failed", {
      endpoint: this.#operation.endpoint,
      method: this.#operation.method,
      requestId: (ok ? readRequestId(parsed) : undefined) ?? exchange.sentRequestId,
      tenantId: config.tenantId ?? session.tenantId ?? null,
      outcome: ok ? "ok" : "http_error",
      httpStatus: answer.status,
      attempt,
      retryCount: exchange.retryCount,
      durationMs: Math.round(durationMs),
    });
    return exchange;
  }
}
