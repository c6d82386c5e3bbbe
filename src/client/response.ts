/**
 * What a call returns: the answer checked against the contract (an envelope,
 * or a JSON object), turned into a {@linkcode ResponseEnvelope}, and its
 * signature verified when a `responseSigningKey` is configured.
 *
 * @module
 */

import type { ResolvedConfig } from "../config.ts";
import { isEnvelopeShape, type ResponseEnvelope, toEnvelope } from "../envelope.ts";
import { VectorVueResponseError, VectorVueSignatureError } from "../errors.ts";
import type { Scrubber } from "../logger.ts";
import { importResponseKey, verifyResponseSignature } from "../response_signature.ts";
import type { AnswerErrors } from "./answer_errors.ts";
import type { ClientLog } from "./log.ts";
import type { Exchange, Operation } from "./operation.ts";
import type { ClientSession } from "./session.ts";

/** What the reader uses of the client. */
export interface ReaderParts {
  readonly config: ResolvedConfig;
  readonly scrubber: Scrubber;
  readonly session: ClientSession;
  readonly errors: AnswerErrors;
  readonly log: ClientLog;
}

/** Turns the final exchange of a call into its result, or its typed error. */
export class ResponseReader {
  readonly #parts: ReaderParts;
  #responseKey: Promise<CryptoKey> | undefined;

  /** A reader for one client. */
  constructor(parts: ReaderParts) {
    this.#parts = parts;
  }

  /** The envelope of a final exchange; throws for an error status or a broken answer. */
  async read<Data>(operation: Operation, exchange: Exchange): Promise<ResponseEnvelope<Data>> {
    const { answer, parsed, retryCount } = exchange;
    const { errors, scrubber } = this.#parts;
    if (answer.status < 200 || answer.status >= 300) {
      throw errors.apiError(operation.endpoint, operation.method, exchange, operation.explain);
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
        errors.responseErrorInit(exchange),
      );
    }
    const envelope = toEnvelope(value, {
      httpStatus: answer.status,
      // A server may echo the request's headers (Authorization among them).
      headers: scrubber.headers(answer.headers),
      retryCount,
    });
    return await this.#verify<Data>(operation, exchange, envelope);
  }

  /** Checks the envelope's signature when a `responseSigningKey` is configured. */
  async #verify<Data>(
    operation: Operation,
    exchange: Exchange,
    envelope: ResponseEnvelope,
  ): Promise<ResponseEnvelope<Data>> {
    const { config, session, errors } = this.#parts;
    const key = config.responseSigningKey;
    if (key === undefined || envelope.signature === null) return envelope as ResponseEnvelope<Data>;
    this.#responseKey ??= importResponseKey(key);
    const verdict = await verifyResponseSignature(
      await this.#responseKey,
      operation.endpoint,
      session.tenantId ?? config.tenantId,
      envelope.signature,
      envelope.data,
    );
    if (verdict.state === "mismatch") {
      this.#parts.log("error", "vectorvue response signature mismatch", {
        endpoint: operation.endpoint,
        requestId: envelope.requestId,
      });
      throw new VectorVueSignatureError(
        `${operation.method} ${exchange.url} answered ${exchange.answer.status}, but ${verdict.reason}; ` +
          `the answer is not trusted (request_id ${envelope.requestId})`,
        errors.errorInit(exchange, "response_signature_mismatch"),
      );
    }
    return { ...envelope, signatureState: verdict.state } as ResponseEnvelope<Data>;
  }
}
