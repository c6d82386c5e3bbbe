/**
 * Client for shipping SpectraStrike telemetry and findings into VectorVue:
 * HTTPS only by default, HMAC request signing, bounded retries with jittered
 * back-off, idempotent event delivery, typed errors, and logs with secrets
 * redacted. No dependencies: `fetch`, `AbortSignal` and WebCrypto.
 *
 * @example Send an event
 * ```ts ignore
 * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
 *
 * const client = new VectorVueClient({
 *   baseUrl: "https://vectorvue.internal",
 *   username: "spectrastrike",
 *   password: Deno.env.get("VECTORVUE_PASSWORD"),
 *   tenantId: "10000000-0000-0000-0000-000000000001",
 * });
 * const result = await client.sendEvent({
 *   source_system: "spectrastrike",
 *   event_type: "PROCESS_ANOMALY",
 *   occurred_at: new Date().toISOString(),
 *   severity: "high",
 *   asset_ref: "host-42",
 *   message: "Unexpected child process",
 * });
 * console.log(result.status, result.requestId);
 * ```
 *
 * @module
 */

export {
  type AddOptions,
  type BatcherOptions,
  type BatcherStats,
  type ItemOrigin,
  type RejectedItem,
  VectorVueBatcher,
  VectorVueBatcherClosedError,
} from "./src/delivery/batcher.ts";
export type { ItemOutcome } from "./src/delivery/batch_outcome.ts";
export type { BulkItemResult, BulkOptions, BulkResult } from "./src/delivery/bulk.ts";
export type { IdempotencyKeyMaker } from "./src/delivery/batch_delivery.ts";
export type { DeliveryProgress } from "./src/delivery/progress.ts";
export {
  type CallOptions,
  PATHS,
  type SendEventOptions,
  VectorVueClient,
  type VectorVuePaths,
} from "./src/client.ts";
export type { VectorVueConfig } from "./src/config.ts";
export type { SpoolOptions, SpoolStats } from "./src/delivery/spool.ts";
export {
  type SpoolFailure,
  VectorVueSpoolError,
  VectorVueSpoolLockedError,
} from "./src/delivery/spool_error.ts";
export { configFromEnv } from "./src/env.ts";
export { DEFAULTS, ENV_VARIABLES, type VectorVueDefaults } from "./src/options.ts";
export type { PauseInfo, RateLimit } from "./src/delivery/pacer.ts";
export type {
  EnvelopeError,
  EnvelopeSignature,
  EnvelopeStatus,
  ResponseEnvelope,
  SignatureState,
} from "./src/envelope.ts";
export {
  type APIErrorInit,
  type TransportFailureKind,
  VectorVueAPIError,
  VectorVueAuthError,
  VectorVueClientClosedError,
  VectorVueConfigError,
  VectorVueConflictError,
  VectorVueError,
  VectorVueHookError,
  VectorVueNotFoundError,
  VectorVuePayloadTooLargeError,
  VectorVueRateLimitError,
  VectorVueResponseError,
  VectorVueSerializationError,
  VectorVueServerError,
  VectorVueSignatureError,
  VectorVueTokenError,
  VectorVueTransportError,
  VectorVueValidationError,
} from "./src/errors.ts";
export type { Hook, HookContext, VectorVueHooks } from "./src/hooks.ts";
export type { LogFields, Logger } from "./src/logger.ts";
export type { PayloadProblem } from "./src/payloads/check.ts";
export type {
  BatchItemResultData,
  BatchResultData,
  ClientEventAccepted,
  ClientEventType,
  DateTimeInput,
  EventAccepted,
  EventSeverity,
  FindingAccepted,
  FindingSeverity,
  FindingStatus,
  IngestCounts,
  IngestStatusData,
  VectorVueClientEvent,
  VectorVueEvent,
  VectorVueFinding,
} from "./src/payloads/types.ts";
export { VERSION } from "./src/user_agent.ts";
