/**
 * {@linkcode VectorVueClient}: the orchestration of login, signing, retries,
 * errors and logging around the SpectraStrike integration routes. The
 * arithmetic and parsing live in their own modules; this one only decides
 * what happens next.
 *
 * @module
 */

import { type BatcherOptions, VectorVueBatcher } from "./delivery/batcher.ts";
import type { SendContext } from "./delivery/batch_delivery.ts";
import {
  type BulkOptions,
  type BulkResult,
  type DeliveryContext,
  sendBulk,
} from "./delivery/bulk.ts";
import { resolveConfig, type ResolvedConfig, type VectorVueConfig } from "./config.ts";
import {
  isEnvelopeShape,
  parseBody,
  type ParsedBody,
  readErrorFacts,
  type ResponseEnvelope,
  toEnvelope,
} from "./envelope.ts";
import {
  apiErrorFor,
  errorCodeForStatus,
  type VectorVueAPIError,
  VectorVueClientClosedError,
  VectorVueConfigError,
  type VectorVueError,
  VectorVueRateLimitError,
  VectorVueResponseError,
  VectorVueSerializationError,
  VectorVueSignatureError,
  VectorVueTokenError,
  VectorVueTransportError,
} from "./errors.ts";
import { attemptContext, headersToSend, runHooks } from "./hooks.ts";
import { inspectToken, type TokenInfo } from "./jwt.ts";
import { type LogFields, type Logger, Scrubber } from "./logger.ts";
import { checkCallOptions } from "./option_names.ts";
import {
  checkBatch,
  checkPayload,
  explainItem,
  type PayloadKind,
  type PayloadProblem,
} from "./payloads/check.ts";
import type {
  BatchResultData,
  ClientEventAccepted,
  EventAccepted,
  FindingAccepted,
  IngestStatusData,
  VectorVueClientEvent,
  VectorVueEvent,
  VectorVueFinding,
} from "./payloads/types.ts";
import { abortableDelay, decideRetry, parseRetryAfter } from "./retry.ts";
import { Pacer, type RequestTally } from "./delivery/pacer.ts";
import { serializeBatch, type SerializedBody, serializeObject } from "./serialize.ts";
import { importResponseKey, verifyResponseSignature } from "./response_signature.ts";
import { importHmacKey, signRequest } from "./signing.ts";
import { type AttemptAnswer, sendAttempt, TransportFailure } from "./transport/attempt.ts";
import { createHttpTransport, type Transport } from "./transport/_runtime_deno.ts";

/**
 * The routes the client calls.
 *
 * @example
 * ```ts
 * import type { VectorVuePaths } from "@spectrastrike/vectorvue-client";
 *
 * const batchRoutes = (paths: VectorVuePaths) => [paths.eventsBatch, paths.findingsBatch];
 * ```
 */
export interface VectorVuePaths {
  /** Login (`POST`). */
  readonly login: string;
  /** One event (`POST`). */
  readonly events: string;
  /** A batch of events (`POST`). */
  readonly eventsBatch: string;
  /** One finding (`POST`). */
  readonly findings: string;
  /** A batch of findings (`POST`). */
  readonly findingsBatch: string;
  /** Ingest status of a request (`GET`), a template. */
  readonly ingestStatus: string;
  /** Client telemetry (`POST`). */
  readonly clientEvents: string;
}

/**
 * Paths of the VectorVue API, relative to `baseUrl`. `ingestStatus` is a
 * template: `{request_id}` stands for the id.
 *
 * @example Match a log record to a route
 * ```ts
 * import { PATHS } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PATHS.eventsBatch, "/api/v1/integrations/spectrastrike/events/batch");
 * ```
 */
export const PATHS: VectorVuePaths = Object.freeze({
  login: "/api/v1/client/auth/login",
  events: "/api/v1/integrations/spectrastrike/events",
  eventsBatch: "/api/v1/integrations/spectrastrike/events/batch",
  findings: "/api/v1/integrations/spectrastrike/findings",
  findingsBatch: "/api/v1/integrations/spectrastrike/findings/batch",
  ingestStatus: "/api/v1/integrations/spectrastrike/ingest/status/{request_id}",
  clientEvents: "/api/v1/client/events",
});

/**
 * Per-call options of every method. `timeoutMs` and `maxRetries` bound each
 * attempt and the number of retries; `signal` bounds the whole call: with
 * `AbortSignal.timeout(ms)` it is a deadline across attempts and back-off
 * waits, and whichever limit comes first ends the call.
 *
 * @example One quick attempt, and at most five seconds in all
 * ```ts
 * import type { CallOptions } from "@spectrastrike/vectorvue-client";
 *
 * const options: CallOptions = { maxRetries: 0, timeoutMs: 2_000, signal: AbortSignal.timeout(5_000) };
 * ```
 */
export interface CallOptions {
  /** Aborts the call at once, also during a back-off wait; the call rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Time limit of each attempt of this call (headers and body), over the client's `timeoutMs`. */
  readonly timeoutMs?: number;
  /** Retries of this call after its first attempt, over the client's `maxRetries`. */
  readonly maxRetries?: number;
}

/**
 * Options of {@linkcode VectorVueClient.sendEvent}.
 *
 * @example Make re-sending the same step a replay, not a duplicate
 * ```ts
 * import type { SendEventOptions } from "@spectrastrike/vectorvue-client";
 *
 * const options: SendEventOptions = { idempotencyKey: "run-17-step-3" };
 * ```
 */
export interface SendEventOptions extends CallOptions {
  /**
   * The `Idempotency-Key` header. Without one the client makes a UUID per
   * call, reused by every retry of it, so a retry after a lost answer is
   * answered as a replay rather than stored twice.
   */
  readonly idempotencyKey?: string;
}

const CALL_OPTION_NAMES: readonly string[] = Object.keys(
  { signal: true, timeoutMs: true, maxRetries: true } satisfies Record<keyof CallOptions, true>,
);
const SEND_EVENT_OPTION_NAMES: readonly string[] = Object.keys(
  { signal: true, timeoutMs: true, maxRetries: true, idempotencyKey: true } satisfies Record<
    keyof SendEventOptions,
    true
  >,
);

/** Client clock differences below this are left alone (the server allows 300 s). */
const CLOCK_SKEW_TOLERANCE_MS = 30_000;
/** Renew a token this long before it expires. */
const TOKEN_RENEW_MARGIN_MS = 60_000;
/** The routes the server's rate limit covers (status included). */
const RATE_LIMITED_PREFIX = "/api/v1/integrations/spectrastrike/";
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** One call to the API, as the retry loop sees it. */
interface Operation {
  readonly method: "GET" | "POST";
  /** The path sent. */
  readonly path: string;
  /** The path as named in logs and errors (a template for status). */
  readonly endpoint: string;
  readonly body?: SerializedBody;
  readonly auth: boolean;
  readonly sign: boolean;
  readonly idempotencyKey?: string;
  /** What a 2xx body must be. */
  readonly expect: "envelope" | "object";
  /** For a 422 `validation_failed`: what the server's rules find wrong with the body. */
  readonly explain?: () => PayloadProblem[];
  /** Counts this operation's requests, 429s and rate-limit waits (bulk and batcher runs). */
  readonly tally?: RequestTally;
}

/** The outcome of the retry loop: the last answer and how it was reached. */
interface Exchange {
  /** The URL requested, as errors name it (it never carries credentials). */
  readonly url: string;
  readonly answer: AttemptAnswer;
  /** The last answer's body, parsed once. */
  readonly parsed: ParsedBody;
  readonly retryCount: number;
  /** The `X-Request-ID` sent with the last attempt. */
  readonly sentRequestId: string;
}

interface SharedLogin {
  readonly promise: Promise<Session>;
  readonly controller: AbortController;
  waiters: number;
}

interface Session {
  readonly token: string;
  readonly info: TokenInfo;
  /** When the token was issued (`iat`, else when the client got it), to size the renewal margin. */
  readonly obtainedAtMs: number;
}

const INSPECT_NODE = Symbol.for("nodejs.util.inspect.custom");
const INSPECT_DENO = Symbol.for("Deno.customInspect");

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * The VectorVue client: authenticates, signs, retries and reports every
 * outcome as a {@linkcode ResponseEnvelope} or a typed error. One instance
 * shares its token and connection pool across calls; create it once.
 *
 * @example Send one event and one finding
 * ```ts ignore
 * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
 *
 * await using client = new VectorVueClient({
 *   baseUrl: "https://vectorvue.internal",
 *   username: "spectrastrike",
 *   password: Deno.env.get("VECTORVUE_PASSWORD"),
 *   tenantId: "10000000-0000-0000-0000-000000000001",
 * });
 * const sent = await client.sendEvent({
 *   source_system: "spectrastrike",
 *   event_type: "PROCESS_ANOMALY",
 *   occurred_at: new Date().toISOString(),
 *   severity: "high",
 *   asset_ref: "host-42",
 *   message: "Unexpected child process of lsass.exe",
 * });
 * console.log(sent.status, sent.requestId);
 * ```
 */
export class VectorVueClient {
  readonly #config: ResolvedConfig;
  readonly #scrubber = new Scrubber();
  #session: Session | undefined;
  /** The login being made, shared by its waiters; it stops when the last one leaves. */
  #loginInFlight: SharedLogin | undefined;
  #signingKey: Promise<CryptoKey> | undefined;
  #responseKey: Promise<CryptoKey> | undefined;
  #transport: Promise<Transport> | undefined;
  #clockOffsetMs = 0;
  #measuredClockOffsetMs: number | undefined;
  #closed = false;
  readonly #pacer: Pacer;

  /**
   * Checks the options (throwing one {@linkcode VectorVueConfigError} that
   * lists every problem) and prepares the client. Nothing is sent yet.
   */
  constructor(config: VectorVueConfig = {}) {
    this.#config = resolveConfig(config);
    this.#pacer = new Pacer(this.#config.rateLimit, {
      backoff: this.#config,
      onPause: (event) =>
        this.#log("info", "vectorvue rate limit", {
          ...event,
          detail: "the server answered 429: its window for this address is full (others on the " +
            "address may hold part of it); this client probes for room and takes it",
        }),
    });
    const { password, token, signatureSecret, responseSigningKey } = this.#config;
    const proxyUsername = this.#config.proxy?.username;
    const proxyPassword = this.#config.proxy?.password;
    for (
      const secret of [password, token, signatureSecret, responseSigningKey, proxyPassword]
    ) {
      this.#scrubber.add(secret);
    }
    // Each password also as `user:password` and its base64, as Basic auth would carry it.
    this.#scrubber.addCredentials(this.#config.username, password);
    if (proxyUsername !== undefined) {
      this.#scrubber.add(proxyUsername);
      // As sent in Proxy-Authorization: base64 of the UTF-8 bytes.
      this.#scrubber.addCredentials(proxyUsername, proxyPassword ?? "");
      if (typeof config.proxy === "string") {
        this.#scrubber.add(/\/\/([^@/]*)@/.exec(config.proxy)?.[1]);
      }
    }
    if (token !== undefined) {
      const info = inspectToken(token, this.#config.tenantId) as TokenInfo;
      this.#session = { token, info, obtainedAtMs: info.issuedAtMs ?? Date.now() };
    }
  }

  /**
   * The configured base URL, normalised (no trailing slash).
   *
   * @example
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   *
   * const client = new VectorVueClient({
   *   baseUrl: "https://vectorvue.internal/",
   *   token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln",
   * });
   * assert.equal(client.baseUrl, "https://vectorvue.internal");
   * ```
   */
  get baseUrl(): string {
    return this.#config.baseUrl;
  }

  /**
   * The largest batch this client sends in one request (`maxBatchSize`).
   *
   * @example Chunk work to the client's batch size
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   *
   * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln", maxBatchSize: 50 });
   * assert.equal(client.maxBatchSize, 50);
   * ```
   */
  get maxBatchSize(): number {
    return this.#config.maxBatchSize;
  }

  /**
   * The server's clock minus this machine's, in ms, from the `Date` header of the last answer
   * (one-second resolution), or `undefined` before any answer. Signing corrects for it beyond
   * 30 s; this is the raw measurement, for diagnostics such as `vectorvue whoami`.
   *
   * @example Warn about a skewed clock
   * ```ts
   * import assert from "node:assert/strict";
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   *
   * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
   * assert.equal(client.serverClockOffsetMs, undefined); // nothing answered yet
   * ```
   */
  get serverClockOffsetMs(): number | undefined {
    return this.#measuredClockOffsetMs;
  }

  /**
   * Logs in with the configured credentials and returns the bearer token,
   * which the client also keeps for later calls. Concurrent calls share one
   * request. With only a `token` configured, checks it and returns it.
   *
   * @example Log in explicitly, to fail fast on bad credentials
   * ```ts ignore
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   *
   * const client = new VectorVueClient({ username: "u", password: "p", tenantId: "t" });
   * await client.login({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  async login(options: CallOptions = {}): Promise<string> {
    this.#assertOpen("login");
    checkCallOptions("login", options, CALL_OPTION_NAMES);
    if (!this.#canLogin) return await this.#bearer(options);
    const session = await this.#sharedLogin(options);
    return session.token;
  }

  /**
   * Sends one event (`POST .../events`), always with an `Idempotency-Key`.
   * A replay is reported as `status: "replayed"`, `replayed: true`; a key
   * reused with another payload is a {@linkcode VectorVueConflictError}.
   *
   * @example Send an event with your own idempotency key
   * ```ts
   * import { VectorVueClient, type VectorVueEvent } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const event: VectorVueEvent = {
   *   event_id: "run-17-step-3",
   *   source_system: "spectrastrike",
   *   event_type: "CREDENTIAL_ACCESS",
   *   occurred_at: "2026-11-28T12:00:00Z",
   *   severity: "critical",
   *   asset_ref: "dc-01",
   *   message: "LSASS memory read",
   * };
   * const result = await client.sendEvent(event, { idempotencyKey: "run-17-step-3" });
   * console.log(result.replayed ? "already delivered" : "delivered");
   * ```
   */
  async sendEvent(
    event: VectorVueEvent,
    options: SendEventOptions = {},
  ): Promise<ResponseEnvelope<EventAccepted>> {
    this.#assertOpen("sendEvent");
    checkCallOptions("sendEvent", options, SEND_EVENT_OPTION_NAMES);
    const idempotencyKey = options.idempotencyKey ?? crypto.randomUUID();
    if (typeof idempotencyKey !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(idempotencyKey)) {
      throw new VectorVueConfigError(["idempotencyKey must be 1-255 visible ASCII characters"]);
    }
    const body = serializeObject(event, "event");
    return await this.#call<EventAccepted>({
      method: "POST",
      path: PATHS.events,
      endpoint: PATHS.events,
      body,
      auth: true,
      sign: true,
      idempotencyKey,
      expect: "envelope",
      explain: this.#explainer(body, "event"),
    }, options);
  }

  /**
   * Sends up to `maxBatchSize` events in one request (`POST .../events/batch`).
   * The server validates each item: the envelope's `status` is `accepted`,
   * `partial` or `failed`, and `data.results` says which items failed.
   *
   * @example Send a batch and list the rejected items
   * ```ts
   * import { VectorVueClient, type VectorVueEvent } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const scan = (asset_ref: string): VectorVueEvent => ({
   *   source_system: "spectrastrike",
   *   event_type: "PORT_SCAN",
   *   occurred_at: "2026-11-28T12:00:00Z",
   *   severity: "low",
   *   asset_ref,
   *   message: "Port scan observed",
   * });
   * const result = await client.sendEventsBatch([scan("host-1"), scan("host-2")]);
   * const refused = result.data.results.filter((item) => item.status === "failed");
   * assert.equal(refused.length, 0);
   * ```
   */
  async sendEventsBatch(
    events: readonly VectorVueEvent[],
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<BatchResultData>> {
    this.#assertOpen("sendEventsBatch");
    checkCallOptions("sendEventsBatch", options, CALL_OPTION_NAMES);
    const body = serializeBatch(events, "events", this.#config.maxBatchSize);
    return await this.#postIntegration<BatchResultData>(
      PATHS.eventsBatch,
      body,
      options,
      this.#explainer(body, "event", true),
    );
  }

  /**
   * Sends one finding (`POST .../findings`).
   *
   * @example Report a finding
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * await client.sendFinding({
   *   title: "SMB signing disabled",
   *   description: "Hosts accept unsigned SMB sessions.",
   *   severity: "medium",
   *   first_seen: "2026-11-28T12:00:00Z",
   * });
   * ```
   */
  async sendFinding(
    finding: VectorVueFinding,
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<FindingAccepted>> {
    this.#assertOpen("sendFinding");
    checkCallOptions("sendFinding", options, CALL_OPTION_NAMES);
    const body = serializeObject(finding, "finding");
    return await this.#postIntegration<FindingAccepted>(
      PATHS.findings,
      body,
      options,
      this.#explainer(body, "finding"),
    );
  }

  /**
   * Sends up to `maxBatchSize` findings in one request
   * (`POST .../findings/batch`), with per-item results as for events.
   *
   * @example Send findings in one request
   * ```ts
   * import { VectorVueClient, type VectorVueFinding } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const finding = (title: string): VectorVueFinding => ({
   *   title,
   *   description: "Found during the assessment.",
   *   severity: "medium",
   *   first_seen: "2026-11-28T12:00:00Z",
   * });
   * const result = await client.sendFindingsBatch([finding("Weak TLS"), finding("Open SMB")]);
   * assert.equal(result.status, "accepted");
   * ```
   */
  async sendFindingsBatch(
    findings: readonly VectorVueFinding[],
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<BatchResultData>> {
    this.#assertOpen("sendFindingsBatch");
    checkCallOptions("sendFindingsBatch", options, CALL_OPTION_NAMES);
    const body = serializeBatch(findings, "findings", this.#config.maxBatchSize);
    return await this.#postIntegration<BatchResultData>(
      PATHS.findingsBatch,
      body,
      options,
      this.#explainer(body, "finding", true),
    );
  }

  /**
   * Reads the ingest record of an earlier request
   * (`GET .../ingest/status/{request_id}`). A {@linkcode VectorVueNotFoundError}
   * may also mean the request belongs to another tenant.
   *
   * @example Poll the status of a batch
   * ```ts
   * import { VectorVueClient, type VectorVueEvent } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const scan = (asset_ref: string): VectorVueEvent => ({
   *   source_system: "spectrastrike",
   *   event_type: "PORT_SCAN",
   *   occurred_at: "2026-11-28T12:00:00Z",
   *   severity: "low",
   *   asset_ref,
   *   message: "Port scan observed",
   * });
   * const sent = await client.sendEventsBatch([scan("host-1"), { ...scan("host-2"), severity: "?" as "low" }]);
   * const status = await client.getIngestStatus(sent.requestId!);
   * assert.deepEqual(status.data.counts, { total: 2, accepted: 1, failed: 1 });
   * ```
   */
  async getIngestStatus(
    requestId: string,
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<IngestStatusData>> {
    this.#assertOpen("getIngestStatus");
    checkCallOptions("getIngestStatus", options, CALL_OPTION_NAMES);
    if (typeof requestId !== "string" || !REQUEST_ID_PATTERN.test(requestId)) {
      throw new VectorVueSerializationError(
        "requestId must be 1-128 characters of letters, digits and ._:- (a request_id the server returned)",
        "requestId",
      );
    }
    return await this.#call<IngestStatusData>({
      method: "GET",
      path: PATHS.ingestStatus.replace("{request_id}", encodeURIComponent(requestId)),
      endpoint: PATHS.ingestStatus,
      auth: true,
      sign: false,
      expect: "envelope",
    }, options);
  }

  /**
   * Sends a client telemetry event (`POST /api/v1/client/events`), such as
   * `FINDING_VIEWED`. The server answers `{"accepted": true}`, which becomes
   * the envelope's `data`.
   *
   * @example Record that a finding was viewed
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * await client.sendClientEvent({ event_type: "FINDING_VIEWED", object_type: "finding", object_id: "fnd_1" });
   * ```
   */
  async sendClientEvent(
    event: VectorVueClientEvent,
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<ClientEventAccepted>> {
    this.#assertOpen("sendClientEvent");
    checkCallOptions("sendClientEvent", options, CALL_OPTION_NAMES);
    const body = serializeObject(event, "event");
    return await this.#call<ClientEventAccepted>({
      method: "POST",
      path: PATHS.clientEvents,
      endpoint: PATHS.clientEvents,
      body,
      auth: true,
      sign: false,
      expect: "object",
    }, options);
  }

  /**
   * Sends any number of events: split into batches of `maxBatchSize`, sent
   * `concurrency` at a time, with one outcome per event in your order.
   * Events the server refuses are `rejected` (never retried), events whose
   * batch could not be delivered are `failed`; it resolves either way, and
   * rejects only for input that is not an array.
   *
   * @example Ship a run's events and report what did not land
   * ```ts
   * import { VectorVueClient, type VectorVueEvent } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const scan = (asset_ref: string): VectorVueEvent => ({
   *   source_system: "spectrastrike",
   *   event_type: "PORT_SCAN",
   *   occurred_at: "2026-11-28T12:00:00Z",
   *   severity: "low",
   *   asset_ref,
   *   message: "Port scan observed",
   * });
   * const events = [scan("host-1"), scan("host-2"), scan("host-3")];
   * const result = await client.sendEvents(events, { concurrency: 2 });
   * assert.equal(result.accepted, 3);
   * ```
   */
  sendEvents(
    events: readonly VectorVueEvent[],
    options: BulkOptions = {},
  ): Promise<BulkResult> {
    if (this.#closed) return Promise.reject(new VectorVueClientClosedError("sendEvents() called"));
    return this.#bulk(PATHS.eventsBatch, events, "events", options);
  }

  /**
   * Sends any number of findings, as {@linkcode VectorVueClient.sendEvents}
   * does events.
   *
   * @example Ship every finding of an assessment
   * ```ts
   * import { VectorVueClient, type VectorVueFinding } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * const finding = (title: string): VectorVueFinding => ({
   *   title,
   *   description: "Found during the assessment.",
   *   severity: "medium",
   *   first_seen: "2026-11-28T12:00:00Z",
   * });
   * const result = await client.sendFindings([finding("Weak TLS"), finding("Open SMB")]);
   * assert.equal(result.accepted, 2);
   * ```
   */
  sendFindings(
    findings: readonly VectorVueFinding[],
    options: BulkOptions = {},
  ): Promise<BulkResult> {
    if (this.#closed) {
      return Promise.reject(new VectorVueClientClosedError("sendFindings() called"));
    }
    return this.#bulk(PATHS.findingsBatch, findings, "findings", options);
  }

  /**
   * Creates a background batcher: `add()` items as they happen and they go
   * out in batches by count, bytes or time, with back-pressure, and every
   * item ends accepted, rejected or dead-lettered. Close it to flush.
   *
   * @example Batch events in the background
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   *
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const client = new VectorVueClient({
   *   ...emulator.defaults,
   *   fetch: (input, init) => emulator.fetch(new Request(input, init)),
   * });
   * await using batcher = client.createBatcher({ kind: "events", flushIntervalMs: 500 });
   * await batcher.add({ event_type: "A" });
   * ```
   */
  createBatcher(options: BatcherOptions): VectorVueBatcher {
    this.#assertOpen("createBatcher");
    const path = options?.kind === "findings" ? PATHS.findingsBatch : PATHS.eventsBatch;
    return new VectorVueBatcher(options, this.#deliveryContext(path));
  }

  /**
   * Releases the client's own connection pool (created for TLS options).
   * After it, every call throws {@linkcode VectorVueClientClosedError}
   * (batchers made by this client included): make a new client instead.
   * Closing twice is harmless.
   *
   * @example Close explicitly
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   *
   * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
   * await client.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#transport;
    this.#transport = undefined;
    // A pool that failed to load has nothing to release. Requests still in flight finish on
    // their own (within timeoutMs), so close() does not wait for them.
    const transport = await pending?.catch(() => undefined);
    void transport?.close();
  }

  /** Same as {@linkcode VectorVueClient.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * A printable summary with no secrets, for `JSON.stringify`.
   *
   * @example Log the client's setup safely
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   *
   * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
   * assert.ok(!JSON.stringify(client).includes("c2ln"));
   * ```
   */
  toJSON(): Record<string, unknown> {
    const config = this.#config;
    return {
      baseUrl: config.baseUrl,
      tenantId: config.tenantId ?? this.#session?.info.tenantId,
      username: config.username,
      auth: this.#canLogin ? "credentials" : "token",
      signing: config.signatureSecret !== undefined,
      responseVerification: config.responseSigningKey !== undefined,
      timeoutMs: config.timeoutMs,
      maxRetries: config.maxRetries,
      maxBatchSize: config.maxBatchSize,
      proxy: config.proxy?.display ?? null,
    };
  }

  /** `util.inspect` (Node) output: the same summary, no secrets. */
  [INSPECT_NODE](): string {
    return `VectorVueClient ${JSON.stringify(this.toJSON())}`;
  }

  /** `Deno.inspect` / `console.log` (Deno) output: the same summary, no secrets. */
  [INSPECT_DENO](): string {
    return `VectorVueClient ${JSON.stringify(this.toJSON())}`;
  }

  // ---- internals -------------------------------------------------------

  #assertOpen(method: string): void {
    if (this.#closed) throw new VectorVueClientClosedError(`${method}() called`);
  }

  get #canLogin(): boolean {
    return this.#config.username !== undefined;
  }

  #postIntegration<Data = unknown>(
    path: string,
    body: SerializedBody,
    options: SendContext = {},
    explain?: () => PayloadProblem[],
  ) {
    return this.#call<Data>({
      method: "POST",
      path,
      endpoint: path,
      body,
      auth: true,
      sign: true,
      expect: "envelope",
      explain,
      idempotencyKey: options.idempotencyKey,
      tally: options.tally,
    }, options);
  }

  /** How bulk sends and batchers send a batch to `path`, and what else they need of the client. */
  #deliveryContext(path: string): DeliveryContext {
    const log = (level: keyof Logger) => (message: string, fields?: LogFields) =>
      this.#log(level, message, fields ?? {});
    return {
      send: (body, context) => this.#postIntegration(path, body, context),
      maxBatchSize: this.#config.maxBatchSize,
      backoff: this.#config,
      clientPause: () => this.#pacer.pause,
      logger: { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") },
    };
  }

  /**
   * What the server's rules find wrong with a payload, to explain a 422; with
   * `validatePayloads`, checked now, before anything is sent.
   */
  #explainer(body: SerializedBody, kind: PayloadKind, batch = false): () => PayloadProblem[] {
    // The text sent, parsed: what the server checks (a Date as its ISO string).
    const explain = () => {
      const value: unknown = JSON.parse(body.text);
      return batch && Array.isArray(value) ? checkBatch(kind, value) : checkPayload(kind, value);
    };
    if (this.#config.validatePayloads) {
      const problems = explain();
      if (problems.length > 0) {
        const what = batch ? `${kind}s` : kind;
        throw new VectorVueSerializationError(
          `${what} would be refused by the server (validatePayloads is on; nothing was sent): ` +
            problems.map((problem) => problem.message).join("; "),
          problems[0].path,
          { problems },
        );
      }
    }
    return explain;
  }

  async #bulk(
    path: string,
    items: readonly unknown[],
    what: "events" | "findings",
    options: BulkOptions,
  ): Promise<BulkResult> {
    const result = await sendBulk(this.#deliveryContext(path), items, what, options);
    // The server words a refused item as "Field required", without the field: say which.
    const kind = what === "events" ? "event" : "finding";
    const explained = result.items.map((item) =>
      item.status === "rejected" && item.errorCode === "validation_failed"
        ? { ...item, errorMessage: explainItem(kind, items[item.index], item.errorMessage) }
        : item
    );
    return { ...result, items: explained };
  }

  #now(): number {
    return Date.now() + this.#clockOffsetMs;
  }

  #log(level: "debug" | "info" | "warn" | "error", message: string, fields: LogFields): void {
    try {
      this.#config.logger[level](message, this.#scrubber.fields(fields));
    } catch {
      // A broken logger must not break delivery.
    }
  }

  #openTransport(): Promise<Transport> {
    const config = this.#config;
    const injected = config.fetch;
    if (injected) {
      this.#transport ??= Promise.resolve({
        send: (request, limits) => sendAttempt(injected, request, limits),
        close: () => Promise.resolve(),
      });
      return this.#transport;
    }
    this.#transport ??= createHttpTransport({
      caCerts: config.caCerts,
      verifyTls: config.verifyTls,
      cert: config.tls?.cert,
      key: config.tls?.key,
      http2: config.http2,
      maxConnections: config.maxConnections,
      proxy: config.proxy,
    }).catch((error: unknown) => {
      // A PEM that looks like one but does not parse is only found out here.
      const reason = error instanceof Error ? error.message : String(error);
      throw new VectorVueConfigError([`caCerts/tls could not be loaded: ${reason}`], {
        cause: error,
      });
    });
    return this.#transport;
  }

  /** The learned difference between the server's clock and ours, from `Date`. */
  #observeClock(dateHeader: string | undefined): void {
    if (!dateHeader) return;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return;
    const skew = serverMs - Date.now();
    this.#measuredClockOffsetMs = skew;
    const next = Math.abs(skew) > CLOCK_SKEW_TOLERANCE_MS ? skew : 0;
    // The Date header has one-second resolution; ignore jitter around the current offset.
    if (Math.abs(next - this.#clockOffsetMs) <= 5_000) return;
    this.#clockOffsetMs = next;
    this.#log("warn", "vectorvue clock correction", {
      offsetSeconds: Math.round(next / 1000),
      detail: next === 0
        ? "local clock agrees with the server again; signing with local time"
        : "local clock differs from the server's Date header; signing with corrected timestamps",
    });
  }

  /** The token for a request; a login it needs is made within the call's `limits`. */
  async #bearer(limits: CallOptions = {}): Promise<string> {
    const session = this.#session;
    const expiresAt = session?.info.expiresAtMs;
    // Renew 60 s early, or half-way for a token that lives less than two minutes.
    // Without credentials there is nothing to renew with: use the token until it expires.
    const margin = session && expiresAt !== undefined && this.#canLogin
      ? Math.min(TOKEN_RENEW_MARGIN_MS, (expiresAt - session.obtainedAtMs) / 2)
      : 0;
    const fresh = expiresAt === undefined || expiresAt - margin > this.#now();
    if (session && fresh) return session.token;
    if (this.#canLogin) return (await this.#sharedLogin(limits)).token;
    if (!session) {
      throw new VectorVueTokenError("no token is available and no credentials are configured");
    }
    throw new VectorVueTokenError(
      `the configured token expired at ${new Date(expiresAt!).toISOString()}; ` +
        "configure username, password and tenantId so the client can renew it",
    );
  }

  #sharedLogin(limits: CallOptions): Promise<Session> {
    const { signal } = limits;
    let login = this.#loginInFlight;
    if (!login) {
      // Shared by every caller, so no one caller's signal may cancel it: each races its own,
      // and the login itself is aborted only when every caller has left. The per-attempt
      // limits of the call that starts it apply to it.
      const controller = new AbortController();
      const started: SharedLogin = {
        promise: this.#performLogin({
          signal: controller.signal,
          timeoutMs: limits.timeoutMs,
          maxRetries: limits.maxRetries,
        }),
        controller,
        waiters: 0,
      };
      started.promise.then(() => {}, () => {}).finally(() => {
        if (this.#loginInFlight === started) this.#loginInFlight = undefined;
      });
      this.#loginInFlight = login = started;
    }
    const joined = login;
    joined.waiters++;
    return raceSignal(joined.promise, signal).finally(() => {
      joined.waiters--;
      if (joined.waiters > 0) return;
      // The last waiter left (or the login settled): nobody wants a login still running.
      joined.controller.abort(signal?.reason);
      if (this.#loginInFlight === joined) this.#loginInFlight = undefined;
    });
  }

  async #performLogin(limits: CallOptions): Promise<Session> {
    const { username, password, tenantId } = this.#config;
    const body = serializeObject({ username, password, tenant_id: tenantId }, "login");
    const exchange = await this.#exchange({
      method: "POST",
      path: PATHS.login,
      endpoint: PATHS.login,
      body,
      auth: false,
      sign: false,
      expect: "object",
    }, limits);
    const { answer, parsed } = exchange;
    if (answer.status < 200 || answer.status >= 300) {
      throw this.#apiError(PATHS.login, "POST", exchange);
    }
    const value = parsed.kind === "json" ? parsed.value as Record<string, unknown> | null : null;
    const nested = value?.data as Record<string, unknown> | null | undefined;
    const token = value?.access_token ?? nested?.access_token;
    if (typeof token !== "string" || token === "") {
      throw new VectorVueResponseError(
        `POST ${exchange.url} answered ${answer.status} without an access_token`,
        this.#responseErrorInit(exchange),
      );
    }
    this.#scrubber.addRecent(token);
    const info = inspectToken(token, tenantId);
    if (typeof info === "string") throw new VectorVueTokenError(`login succeeded, but ${info}`);
    const session = { token, info, obtainedAtMs: info.issuedAtMs ?? this.#now() };
    this.#session = session;
    this.#log("info", "vectorvue login", {
      endpoint: PATHS.login,
      tenantId: info.tenantId,
      username,
      expiresAt: info.expiresAtMs === undefined ? null : new Date(info.expiresAtMs).toISOString(),
      retryCount: exchange.retryCount,
    });
    return session;
  }

  async #call<Data = unknown>(
    operation: Operation,
    limits: CallOptions,
  ): Promise<ResponseEnvelope<Data>> {
    const exchange = await this.#exchange(operation, limits);
    const { answer, parsed, retryCount } = exchange;
    if (answer.status < 200 || answer.status >= 300) {
      throw this.#apiError(operation.endpoint, operation.method, exchange, operation.explain);
    }
    const value = parsed.kind === "json" ? parsed.value : undefined;
    const shapeOk = operation.expect === "envelope"
      ? isEnvelopeShape(value)
      : value !== null && typeof value === "object";
    if (!shapeOk) {
      const got = parsed.kind === "text"
        ? `${
          answer.headers["content-type"] ?? "no content type"
        } (${answer.text.length} characters)`
        : "JSON of another shape";
      throw new VectorVueResponseError(
        `${operation.method} ${exchange.url} answered ${answer.status} with ${got}, ` +
          `not the ${
            operation.expect === "envelope" ? "response envelope" : "JSON object"
          } the API promises`,
        this.#responseErrorInit(exchange),
      );
    }
    const envelope = toEnvelope(value, {
      httpStatus: answer.status,
      // A server may echo the request's headers (Authorization among them).
      headers: this.#scrubber.headers(answer.headers),
      retryCount,
    });
    const key = this.#config.responseSigningKey;
    if (key === undefined || envelope.signature === null) return envelope as ResponseEnvelope<Data>;
    this.#responseKey ??= importResponseKey(key);
    const verdict = await verifyResponseSignature(
      await this.#responseKey,
      operation.endpoint,
      this.#session?.info.tenantId ?? this.#config.tenantId,
      envelope.signature,
      envelope.data,
    );
    if (verdict.state === "mismatch") {
      this.#log("error", "vectorvue response signature mismatch", {
        endpoint: operation.endpoint,
        requestId: envelope.requestId,
      });
      throw new VectorVueSignatureError(
        `${operation.method} ${exchange.url} answered ${answer.status}, but ${verdict.reason}; ` +
          `the answer is not trusted (request_id ${envelope.requestId})`,
        this.#errorInit(exchange, "response_signature_mismatch"),
      );
    }
    return { ...envelope, signatureState: verdict.state } as ResponseEnvelope<Data>;
  }

  /** For a success status with an unusable body: the body's own code if it names one. */
  #responseErrorInit(exchange: Exchange) {
    const facts = readErrorFacts(exchange.parsed);
    return this.#errorInit(exchange, facts.errorCode ?? "invalid_response", facts);
  }

  /** What an error knows of the exchange; `errorCode` is decided by the caller. */
  #errorInit(exchange: Exchange, errorCode: string, facts = readErrorFacts(exchange.parsed)) {
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

  #apiError(
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
    const init = { ...this.#errorInit(exchange, errorCode, facts), problems };
    let reason = facts.message ?? "no error details in the body";
    if (status >= 300 && status < 400) {
      const location = exchange.answer.headers["location"];
      const target = location && URL.canParse(location, this.#config.origin)
        ? new URL(location, this.#config.origin).origin
        : "an unknown location";
      reason = `redirect to ${target} not followed: the client never follows redirects, ` +
        `so the bearer token only goes to ${this.#config.origin}`;
    } else if (status === 404 && endpoint === PATHS.ingestStatus) {
      reason += "; VectorVue also answers 404 for a request that belongs to another tenant";
    } else if (status === 404 && /\/api(\/|$)/.test(new URL(this.#config.baseUrl).pathname)) {
      reason += `; baseUrl ${this.#config.baseUrl} already has an /api path, and the client ` +
        "adds the API's own /api/v1/...: give baseUrl without it";
    }
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

  /**
   * The attempt loop: paces, attempts, and asks {@linkcode decideRetry} what
   * follows, until an answer is final, the retries or the rate-limit budget
   * are used up, or the caller aborts. Returns the last answer, whatever its status.
   */
  async #exchange(operation: Operation, limits: CallOptions): Promise<Exchange> {
    // Batches of a batcher or bulk send still running when the client was closed.
    if (this.#closed) {
      throw new VectorVueClientClosedError(`${operation.method} ${operation.endpoint} sent`);
    }
    const config = this.#config;
    const transport = await this.#openTransport();
    const url = config.baseUrl + operation.path;
    // The pacer gates every call to the rate-limited routes: the rate limit (when it paces one)
    // and the one pause for an unavailable server.
    const gated = operation.path.startsWith(RATE_LIMITED_PREFIX);
    const paced = this.#pacer.enabled && gated;
    const tally = operation.tally;
    const deadline = performance.now() + config.rateLimitWaitMs;
    const { signal } = limits;
    const timeoutMs = limits.timeoutMs ?? config.timeoutMs;
    const maxRetries = limits.maxRetries ?? config.maxRetries;
    const { beforeRequest, afterResponse, beforeRetry } = config.hooks;
    const hooked = Boolean(beforeRequest?.length || afterResponse?.length || beforeRetry?.length);
    const scrub = (text: string) => this.#scrubber.text(text);
    let retryCount = 0;
    let failureRetries = 0;
    let rateLimitRetries = 0;
    let reauthenticated = false;
    let resigned = false;
    let limited: Exchange | undefined;
    for (let attempt = 1;; attempt++) {
      signal?.throwIfAborted();
      const requestId = crypto.randomUUID();
      const slot = gated ? await this.#pacer.acquire(signal, deadline, tally) : undefined;
      if (gated && slot === undefined) {
        if (limited) return this.#logFinal(operation, limited, attempt - 1, 0);
        throw new VectorVueRateLimitError(
          `${operation.method} ${operation.endpoint} was not sent: the rate limit would not ` +
            `allow it within rateLimitWaitMs (${config.rateLimitWaitMs} ms)`,
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
      const headers: Record<string, string> = {
        "accept": "application/json",
        "user-agent": config.userAgent,
        "x-request-id": requestId,
      };
      if (operation.body) headers["content-type"] = "application/json";
      if (operation.idempotencyKey) headers["idempotency-key"] = operation.idempotencyKey;
      let token: string | undefined;
      try {
        token = operation.auth ? await this.#bearer(limits) : undefined;
      } catch (error) {
        slot?.settle({ notSent: true });
        throw error;
      }
      if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
      const signedWithOffset = this.#clockOffsetMs;
      if (operation.sign && config.signatureSecret !== undefined && operation.body) {
        try {
          this.#signingKey ??= importHmacKey(config.signatureSecret);
          const signature = await signRequest(
            await this.#signingKey,
            Math.floor(this.#now() / 1000),
            operation.body.bytes,
          );
          this.#scrubber.addRecent(signature["X-Signature"]);
          headers["x-timestamp"] = signature["X-Timestamp"];
          headers["x-signature"] = signature["X-Signature"];
        } catch (error) {
          // Nothing was sent: give the slot back (a slot left unsettled would hold every call),
          // and import the key again next time rather than keep a failed import.
          slot?.settle({ notSent: true });
          this.#signingKey = undefined;
          throw error;
        }
      }

      // One context per attempt, for every hook of it; none is made for a client without hooks.
      const context = hooked
        ? attemptContext(
          { method: operation.method, route: operation.endpoint, url, attempt, requestId },
          headers,
        )
        : undefined;
      if (context) {
        try {
          await runHooks("beforeRequest", beforeRequest, context, scrub);
        } catch (error) {
          slot?.settle({ notSent: true });
          throw error;
        }
      }
      const retryHooks = async (delayMs: number, error: () => VectorVueError) => {
        if (!context || !beforeRetry?.length) return;
        context.delayMs = delayMs;
        context.error = error();
        await runHooks("beforeRetry", beforeRetry, context, scrub);
      };

      const started = performance.now();
      const logFields = (outcome: string, httpStatus: number | null, serverRequestId?: string) => ({
        endpoint: operation.endpoint,
        method: operation.method,
        requestId: serverRequestId ?? requestId,
        tenantId: config.tenantId ?? this.#session?.info.tenantId ?? null,
        outcome,
        httpStatus,
        attempt,
        retryCount,
        durationMs: Math.round(performance.now() - started),
      });
      const state = () => ({
        failureRetries,
        maxRetries,
        backoffMs: config.backoffMs,
        maxBackoffMs: config.maxBackoffMs,
        auth: operation.auth,
        canLogin: this.#canLogin,
        reauthenticated,
        resigned,
        clockCorrected: this.#clockOffsetMs !== signedWithOffset,
        rateLimitRetries,
        rateLimitBudgetLeftMs: deadline - performance.now(),
        paced,
        gated,
      });

      let answer: AttemptAnswer;
      if (tally) tally.requests++;
      try {
        answer = await transport.send({
          url,
          method: operation.method,
          headers: context ? headersToSend(headers, context) : headers,
          body: operation.body?.bytes,
        }, { timeoutMs, maxResponseBytes: config.maxResponseBytes, signal });
      } catch (error) {
        const failure = error instanceof TransportFailure &&
            (error.kind === "connection" || error.kind === "timeout")
          ? error.kind
          : undefined;
        // No answer: the server may be down, and the pacer pauses every call once for it.
        slot?.settle(failure ? { failure } : {});
        if (!(error instanceof TransportFailure)) throw error; // the caller aborted
        // What the runtime said (its cause chain too) may quote a proxy URL with credentials.
        this.#scrubber.error(error);
        const failed = () =>
          new VectorVueTransportError(
            this.#scrubber.text(
              `${operation.method} ${url} failed after ${attempt} attempt(s): ${error.message}`,
            ),
            { kind: error.kind, attempts: attempt, cause: error },
          );
        const decision = decideRetry({ kind: "failure", failure: error.kind }, state());
        if (decision.action === "retry") {
          this.#log("warn", "vectorvue request retrying", logFields(error.kind, null));
          await retryHooks(decision.delayMs, failed);
          await abortableDelay(decision.delayMs, signal);
          retryCount++;
          failureRetries++;
          continue;
        }
        this.#log("error", "vectorvue request failed", logFields(error.kind, null));
        throw failed();
      }
      this.#observeClock(answer.headers["date"]);
      const status = answer.status;
      const parsed = parseBody(answer.text);
      // An HTTP-date is the server's clock: measure it against the server's own Date.
      const serverNow = Date.parse(answer.headers["date"] ?? "");
      const retryAfterMs = parseRetryAfter(
        answer.headers["retry-after"],
        Number.isNaN(serverNow) ? this.#now() : serverNow,
      );
      slot?.settle({
        status,
        retryAfterMs: retryAfterMs === undefined
          ? undefined
          : Math.min(retryAfterMs, config.maxBackoffMs),
      });
      if (status === 429 && tally) tally.rateLimited++;
      if (context) {
        context.status = status;
        context.durationMs = performance.now() - started;
        await runHooks("afterResponse", afterResponse, context, scrub);
      }
      const exchange = { url, answer, parsed, retryCount, sentRequestId: requestId };
      const refused = () => this.#apiError(operation.endpoint, operation.method, exchange);
      const detail = status === 401 ? readErrorFacts(parsed).message : undefined;
      const decision = decideRetry({ kind: "answer", status, detail, retryAfterMs }, state());
      switch (decision.action) {
        case "resign":
          resigned = true;
          this.#log("warn", "vectorvue request re-signing", logFields("clock_corrected", status));
          await retryHooks(0, refused);
          continue;
        case "relogin":
          reauthenticated = true;
          if (this.#session?.token === token) this.#session = undefined;
          this.#log(
            "warn",
            "vectorvue request re-authenticating",
            logFields("unauthorized", status),
          );
          await retryHooks(0, refused);
          continue;
        case "retry":
          this.#log("warn", "vectorvue request retrying", logFields("retryable_status", status));
          if (decision.reason === "rate_limited") {
            limited = exchange;
            rateLimitRetries++;
          } else failureRetries++;
          await retryHooks(decision.delayMs, refused);
          await abortableDelay(decision.delayMs, signal);
          retryCount++;
          continue;
      }
      return this.#logFinal(operation, exchange, attempt, performance.now() - started);
    }
  }

  /** Logs the final answer of an exchange and returns it. */
  #logFinal(
    operation: Operation,
    exchange: Exchange,
    attempt: number,
    durationMs: number,
  ): Exchange {
    const { answer, parsed } = exchange;
    const ok = answer.status >= 200 && answer.status < 300;
    this.#log(ok ? "debug" : "error", ok ? "vectorvue request" : "vectorvue request failed", {
      endpoint: operation.endpoint,
      method: operation.method,
      requestId: (ok ? readRequestId(parsed) : undefined) ?? exchange.sentRequestId,
      tenantId: this.#config.tenantId ?? this.#session?.info.tenantId ?? null,
      outcome: ok ? "ok" : "http_error",
      httpStatus: answer.status,
      attempt,
      retryCount: exchange.retryCount,
      durationMs: Math.round(durationMs),
    });
    return exchange;
  }
}

function readRequestId(parsed: ParsedBody): string | undefined {
  if (parsed.kind !== "json") return undefined;
  const value = parsed.value as { request_id?: unknown } | null;
  return typeof value?.request_id === "string" ? value.request_id : undefined;
}
