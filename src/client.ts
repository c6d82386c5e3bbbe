/**
 * {@linkcode VectorVueClient}: the endpoints of the SpectraStrike integration routes, a thin
 * facade. What happens behind each method lives in `src/client/`: the session (login, renewal)
 * and the server clock, the call pipeline as named steps (pace, build headers, authorise, sign,
 * hooks, send, read the answer, decide with the failure policy of `retry.ts`), and the reading
 * of the answer into an envelope or a typed error.
 *
 * @module
 */

import type { VectorVueConfig } from "./config.ts";
import type { BatcherOptions, VectorVueBatcher } from "./delivery/batcher.ts";
import type { BulkOptions, BulkResult } from "./delivery/bulk.ts";
import type { ResponseEnvelope } from "./envelope.ts";
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
import { assembleClient, type ClientParts } from "./client/assemble.ts";
import type { CallOptions, SendEventOptions } from "./client/call_options.ts";
import { clientSummary } from "./client/summary.ts";

export type { CallOptions, SendEventOptions } from "./client/call_options.ts";
export { PATHS, type VectorVuePaths } from "./client/paths.ts";

const INSPECT_NODE = Symbol.for("nodejs.util.inspect.custom");
const INSPECT_DENO = Symbol.for("Deno.customInspect");

/**
 * The VectorVue client: authenticates, signs, retries and reports every outcome as a
 * {@linkcode ResponseEnvelope} or a typed error. One instance shares its token and connection
 * pool across calls; create it once. The members' examples put the emulator of `…/testing` in
 * VectorVue's place (the same three set-up lines); for VectorVue itself, configure as here.
 *
 * @example Configure for VectorVue and send an event
 * ```ts ignore
 * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
 * await using client = new VectorVueClient({
 *   baseUrl: "https://vectorvue.internal", tenantId: "10000000-0000-0000-0000-000000000001",
 *   username: "spectrastrike", password: Deno.env.get("VECTORVUE_PASSWORD"),
 * });
 * const sent = await client.sendEvent({
 *   source_system: "spectrastrike", event_type: "PROCESS_ANOMALY", severity: "high",
 *   occurred_at: new Date().toISOString(), asset_ref: "host-42",
 *   message: "Unexpected child process of lsass.exe" });
 * console.log(sent.status, sent.requestId);
 * ```
 */
export class VectorVueClient {
  /** The wired parts behind the facade (`src/client/assemble.ts`). */
  readonly #parts: ClientParts;

  /**
   * Checks the options (throwing one {@linkcode VectorVueConfigError} that
   * lists every problem) and prepares the client. Nothing is sent yet.
   */
  constructor(config: VectorVueConfig = {}) {
    this.#parts = assembleClient(config);
  }

  /**
   * The configured base URL, normalised (no trailing slash).
   *
   * @example
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * const token = "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln";
   * const client = new VectorVueClient({ baseUrl: "https://vectorvue.internal/", token });
   * assert.equal(client.baseUrl, "https://vectorvue.internal");
   * ```
   */
  get baseUrl(): string {
    return this.#parts.config.baseUrl;
  }

  /**
   * The largest batch this client sends in one request (`maxBatchSize`).
   *
   * @example Chunk work to the client's batch size
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * const token = "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln";
   * const client = new VectorVueClient({ token, maxBatchSize: 50 });
   * assert.equal(client.maxBatchSize, 50);
   * ```
   */
  get maxBatchSize(): number {
    return this.#parts.config.maxBatchSize;
  }

  /**
   * The server's clock minus this machine's, in ms, from the `Date` header of the last answer
   * (one-second resolution), or `undefined` before any answer. Signing corrects for it beyond
   * 30 s; this is the raw measurement, for diagnostics such as `vectorvue whoami`.
   *
   * @example Warn about a skewed clock
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
   * assert.equal(client.serverClockOffsetMs, undefined); // nothing answered yet
   * ```
   */
  get serverClockOffsetMs(): number | undefined {
    return this.#parts.clock.measuredOffsetMs;
  }

  /**
   * Logs in with the configured credentials and returns the bearer token, which the client also
   * keeps for later calls. Concurrent calls share one request. With only a `token` configured,
   * checks it and returns it.
   *
   * @example Log in explicitly, to fail fast on bad credentials
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * await client.login({ signal: AbortSignal.timeout(5_000) });
   * ```
   */
  async login(options: CallOptions = {}): Promise<string> {
    return await this.#parts.endpoints.login(options);
  }

  /**
   * Sends one event (`POST .../events`), always with an `Idempotency-Key`. A replay is reported
   * as `status: "replayed"`, `replayed: true`; a key reused with another payload is a
   * {@linkcode VectorVueConflictError}.
   *
   * @example Send an event with your own idempotency key
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * const result = await client.sendEvent({
   *   event_id: "run-17-step-3", source_system: "spectrastrike", event_type: "CREDENTIAL_ACCESS",
   *   occurred_at: "2026-11-28T12:00:00Z", severity: "critical", asset_ref: "dc-01",
   *   message: "LSASS memory read",
   * }, { idempotencyKey: "run-17-step-3" });
   * console.log(result.replayed ? "already delivered" : "delivered");
   * ```
   */
  async sendEvent(
    event: VectorVueEvent,
    options: SendEventOptions = {},
  ): Promise<ResponseEnvelope<EventAccepted>> {
    return await this.#parts.endpoints.sendEvent(event, options);
  }

  /**
   * Sends up to `maxBatchSize` events in one request (`POST .../events/batch`). The server
   * validates each item: the envelope's `status` is `accepted`, `partial` or `failed`, and
   * `data.results` says which items failed.
   *
   * @example Send a batch and list the rejected items
   * ```ts
   * import { VectorVueClient, type VectorVueEvent } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * const scan = (asset_ref: string): VectorVueEvent => ({ source_system: "spectrastrike",
   *   event_type: "PORT_SCAN", occurred_at: "2026-11-28T12:00:00Z", severity: "low", asset_ref,
   *   message: "Port scan observed" });
   * const result = await client.sendEventsBatch([scan("host-1"), scan("host-2")]);
   * const refused = result.data.results.filter((item) => item.status === "failed");
   * assert.equal(refused.length, 0);
   * ```
   */
  async sendEventsBatch(
    events: readonly VectorVueEvent[],
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<BatchResultData>> {
    return await this.#parts.endpoints.sendBatch("event", events, options);
  }

  /**
   * Sends one finding (`POST .../findings`).
   *
   * @example Report a finding
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * await client.sendFinding({ title: "SMB signing disabled", severity: "medium",
   *   description: "Hosts accept unsigned SMB sessions.", first_seen: "2026-11-28T12:00:00Z" });
   * ```
   */
  async sendFinding(
    finding: VectorVueFinding,
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<FindingAccepted>> {
    return await this.#parts.endpoints.sendFinding(finding, options);
  }

  /**
   * Sends up to `maxBatchSize` findings in one request (`POST .../findings/batch`), with
   * per-item results as for events.
   *
   * @example Send findings in one request
   * ```ts
   * import { VectorVueClient, type VectorVueFinding } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * const finding = (title: string): VectorVueFinding => ({ title, severity: "medium",
   *   description: "Found during the assessment.", first_seen: "2026-11-28T12:00:00Z" });
   * const result = await client.sendFindingsBatch([finding("Weak TLS"), finding("Open SMB")]);
   * assert.equal(result.status, "accepted");
   * ```
   */
  async sendFindingsBatch(
    findings: readonly VectorVueFinding[],
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<BatchResultData>> {
    return await this.#parts.endpoints.sendBatch("finding", findings, options);
  }

  /**
   * Reads the ingest record of an earlier request (`GET .../ingest/status/{request_id}`). A
   * {@linkcode VectorVueNotFoundError} may also mean the request belongs to another tenant.
   *
   * @example Poll the status of a batch
   * ```ts
   * import { VectorVueClient, type VectorVueEvent } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * const scan = (asset_ref: string): VectorVueEvent => ({ source_system: "spectrastrike",
   *   event_type: "PORT_SCAN", occurred_at: "2026-11-28T12:00:00Z", severity: "low", asset_ref,
   *   message: "Port scan observed" });
   * const bad = { ...scan("host-2"), severity: "?" as "low" }; // one the server refuses
   * const sent = await client.sendEventsBatch([scan("host-1"), bad]);
   * const status = await client.getIngestStatus(sent.requestId!);
   * assert.deepEqual(status.data.counts, { total: 2, accepted: 1, failed: 1 });
   * ```
   */
  async getIngestStatus(
    requestId: string,
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<IngestStatusData>> {
    return await this.#parts.endpoints.getIngestStatus(requestId, options);
  }

  /**
   * Sends a client telemetry event (`POST /api/v1/client/events`), such as `FINDING_VIEWED`. The
   * server answers `{"accepted": true}`, which becomes the envelope's `data`.
   *
   * @example Record that a finding was viewed
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * await client.sendClientEvent({
   *   event_type: "FINDING_VIEWED", object_type: "finding", object_id: "fnd_1" });
   * ```
   */
  async sendClientEvent(
    event: VectorVueClientEvent,
    options: CallOptions = {},
  ): Promise<ResponseEnvelope<ClientEventAccepted>> {
    return await this.#parts.endpoints.sendClientEvent(event, options);
  }

  /**
   * Sends any number of events: split into batches of `maxBatchSize`, sent `concurrency` at a
   * time, with one outcome per event in your order. Events the server refuses are `rejected`
   * (never retried), events whose batch could not be delivered are `failed`; it resolves either
   * way, and rejects only for input that is not an array.
   *
   * @example Ship a run's events and report what did not land
   * ```ts
   * import { VectorVueClient, type VectorVueEvent } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * const scan = (asset_ref: string): VectorVueEvent => ({ source_system: "spectrastrike",
   *   event_type: "PORT_SCAN", occurred_at: "2026-11-28T12:00:00Z", severity: "low", asset_ref,
   *   message: "Port scan observed" });
   * const result = await client.sendEvents([scan("a"), scan("b"), scan("c")], { concurrency: 2 });
   * assert.equal(result.accepted, 3);
   * ```
   */
  sendEvents(events: readonly VectorVueEvent[], options: BulkOptions = {}): Promise<BulkResult> {
    return this.#parts.endpoints.sendMany("events", events, options);
  }

  /**
   * Sends any number of findings, as {@linkcode VectorVueClient.sendEvents} does events.
   *
   * @example Ship every finding of an assessment
   * ```ts
   * import { VectorVueClient, type VectorVueFinding } from "@spectrastrike/vectorvue-client";
   * import assert from "node:assert/strict";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * const finding = (title: string): VectorVueFinding => ({ title, severity: "medium",
   *   description: "Found during the assessment.", first_seen: "2026-11-28T12:00:00Z" });
   * const result = await client.sendFindings([finding("Weak TLS"), finding("Open SMB")]);
   * assert.equal(result.accepted, 2);
   * ```
   */
  sendFindings(
    findings: readonly VectorVueFinding[],
    options: BulkOptions = {},
  ): Promise<BulkResult> {
    return this.#parts.endpoints.sendMany("findings", findings, options);
  }

  /**
   * Creates a background batcher: `add()` items as they happen and they go out in batches by
   * count, bytes or time, with back-pressure, and every item ends accepted, rejected or
   * dead-lettered. Close it to flush.
   *
   * @example Batch events in the background
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
   * const emulator = createVectorVueEmulator(); // stands in for VectorVue here
   * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
   * const client = new VectorVueClient({ ...emulator.defaults, fetch: fetchImpl });
   * await using batcher = client.createBatcher({ kind: "events", flushIntervalMs: 500 });
   * await batcher.add({ event_type: "A" });
   * ```
   */
  createBatcher(options: BatcherOptions): VectorVueBatcher {
    return this.#parts.endpoints.createBatcher(options);
  }

  /**
   * Releases the client's own connection pool (created for TLS options). After it, every call
   * throws {@linkcode VectorVueClientClosedError} (batchers made by this client included): make
   * a new client instead. Closing twice is harmless.
   *
   * @example Close explicitly
   * ```ts
   * import { VectorVueClient } from "@spectrastrike/vectorvue-client";
   * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
   * await client.close();
   * ```
   */
  async close(): Promise<void> {
    await this.#parts.close();
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
   * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
   * assert.ok(!JSON.stringify(client).includes("c2ln"));
   * ```
   */
  toJSON(): Record<string, unknown> {
    return clientSummary(this.#parts.config, this.#parts.session);
  }

  /** `util.inspect` (Node) output: the same summary, no secrets. */
  [INSPECT_NODE](): string {
    return `VectorVueClient ${JSON.stringify(this.toJSON())}`;
  }

  /** `Deno.inspect` / `console.log` (Deno) output: the same summary, no secrets. */
  [INSPECT_DENO](): string {
    return `VectorVueClient ${JSON.stringify(this.toJSON())}`;
  }
}
