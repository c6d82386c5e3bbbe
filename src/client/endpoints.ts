/**
 * What each public method of `VectorVueClient` does before the
 * call pipeline: check its input and options (before any byte is sent), build
 * the operation, and hand it to the pipeline; and how bulk sends and batchers
 * reach the client.
 *
 * @module
 */

import { type BatcherOptions, VectorVueBatcher } from "../delivery/batcher.ts";
import type { SendContext } from "../delivery/batch_delivery.ts";
import {
  type BulkOptions,
  type BulkResult,
  type DeliveryContext,
  sendBulk,
} from "../delivery/bulk.ts";
import type { Pacer } from "../delivery/pacer.ts";
import type { ResolvedConfig } from "../config.ts";
import type { ResponseEnvelope } from "../envelope.ts";
import {
  VectorVueClientClosedError,
  VectorVueConfigError,
  VectorVueSerializationError,
} from "../errors.ts";
import type { LogFields, Logger } from "../logger.ts";
import { checkCallOptions } from "../option_names.ts";
import {
  checkBatch,
  checkPayload,
  explainItem,
  type PayloadKind,
  type PayloadProblem,
} from "../payloads/check.ts";
import type {
  BatchResultData,
  ClientEventAccepted,
  EventAccepted,
  FindingAccepted,
  IngestStatusData,
  VectorVueClientEvent,
  VectorVueEvent,
  VectorVueFinding,
} from "../payloads/types.ts";
import { serializeBatch, type SerializedBody, serializeObject } from "../serialize.ts";
import {
  CALL_OPTION_NAMES,
  type CallOptions,
  SEND_EVENT_OPTION_NAMES,
  type SendEventOptions,
} from "./call_options.ts";
import type { ClientConnection } from "./connection.ts";
import type { ClientLog } from "./log.ts";
import type { Operation } from "./operation.ts";
import { PATHS } from "./paths.ts";
import type { ResponseReader } from "./response.ts";
import type { ClientSession, Exchanger } from "./session.ts";

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** What the endpoints use of the client. */
export interface EndpointParts {
  readonly config: ResolvedConfig;
  readonly pacer: Pacer;
  readonly session: ClientSession;
  readonly connection: ClientConnection;
  readonly reader: ResponseReader;
  readonly log: ClientLog;
  readonly exchange: Exchanger;
}

/** The client's endpoints, behind its facade. */
export class Endpoints {
  readonly #parts: EndpointParts;

  /** The endpoints of one client. */
  constructor(parts: EndpointParts) {
    this.#parts = parts;
  }

  /** Throws when the client was closed. */
  assertOpen(method: string): void {
    if (this.#parts.connection.closed) throw new VectorVueClientClosedError(`${method}() called`);
  }

  /** `login()`. */
  async login(options: CallOptions): Promise<string> {
    this.assertOpen("login");
    checkCallOptions("login", options, CALL_OPTION_NAMES);
    return await this.#parts.session.login(options);
  }

  /** `sendEvent()`: always with an idempotency key. */
  async sendEvent(
    event: VectorVueEvent,
    options: SendEventOptions,
  ): Promise<ResponseEnvelope<EventAccepted>> {
    this.assertOpen("sendEvent");
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

  /** `sendEventsBatch()` and `sendFindingsBatch()`. */
  async sendBatch(
    kind: PayloadKind,
    items: readonly unknown[],
    options: CallOptions,
  ): Promise<ResponseEnvelope<BatchResultData>> {
    const method = kind === "event" ? "sendEventsBatch" : "sendFindingsBatch";
    this.assertOpen(method);
    checkCallOptions(method, options, CALL_OPTION_NAMES);
    const what = kind === "event" ? "events" : "findings";
    const body = serializeBatch(items, what, this.#parts.config.maxBatchSize);
    return await this.#postIntegration<BatchResultData>(
      kind === "event" ? PATHS.eventsBatch : PATHS.findingsBatch,
      body,
      options,
      this.#explainer(body, kind, true),
    );
  }

  /** `sendFinding()`. */
  async sendFinding(
    finding: VectorVueFinding,
    options: CallOptions,
  ): Promise<ResponseEnvelope<FindingAccepted>> {
    this.assertOpen("sendFinding");
    checkCallOptions("sendFinding", options, CALL_OPTION_NAMES);
    const body = serializeObject(finding, "finding");
    return await this.#postIntegration<FindingAccepted>(
      PATHS.findings,
      body,
      options,
      this.#explainer(body, "finding"),
    );
  }

  /** `getIngestStatus()`: the id is checked before anything is sent. */
  async getIngestStatus(
    requestId: string,
    options: CallOptions,
  ): Promise<ResponseEnvelope<IngestStatusData>> {
    this.assertOpen("getIngestStatus");
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

  /** `sendClientEvent()`: answered with a plain object, not an envelope. */
  async sendClientEvent(
    event: VectorVueClientEvent,
    options: CallOptions,
  ): Promise<ResponseEnvelope<ClientEventAccepted>> {
    this.assertOpen("sendClientEvent");
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

  /** `sendEvents()` and `sendFindings()`: rejects (not throws) on a closed client. */
  sendMany(
    what: "events" | "findings",
    items: readonly unknown[],
    options: BulkOptions,
  ): Promise<BulkResult> {
    if (this.#parts.connection.closed) {
      const method = what === "events" ? "sendEvents" : "sendFindings";
      return Promise.reject(new VectorVueClientClosedError(`${method}() called`));
    }
    const path = what === "events" ? PATHS.eventsBatch : PATHS.findingsBatch;
    return this.#bulk(path, items, what, options);
  }

  /** `createBatcher()`. */
  createBatcher(options: BatcherOptions): VectorVueBatcher {
    this.assertOpen("createBatcher");
    const path = options?.kind === "findings" ? PATHS.findingsBatch : PATHS.eventsBatch;
    return new VectorVueBatcher(options, this.#deliveryContext(path));
  }

  async #call<Data = unknown>(
    operation: Operation,
    limits: CallOptions,
  ): Promise<ResponseEnvelope<Data>> {
    const exchange = await this.#parts.exchange(operation, limits);
    return await this.#parts.reader.read<Data>(operation, exchange);
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
      this.#parts.log(level, message, fields ?? {});
    return {
      send: (body, context) => this.#postIntegration(path, body, context),
      maxBatchSize: this.#parts.config.maxBatchSize,
      backoff: this.#parts.config,
      clientPause: () => this.#parts.pacer.pause,
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
    if (this.#parts.config.validatePayloads) {
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
}
