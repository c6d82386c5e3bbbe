// The emulator's in-memory database: the real server's tables (events, findings, ingest
// status, idempotency, client activity) with the same keys and conflict rules.

/**
 * An event as the emulator stored it (one row of `spectrastrike_events`), returned by
 * {@linkcode VectorVueEmulator.events}. Datetimes are in the server's JSON form.
 *
 * @example Inspecting what reached the emulator
 * ```ts
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator();
 * const ids = emulator.events().map((event) => event.event_id);
 * ```
 */
export interface StoredEvent {
  /** The caller's `event_id`, or the derived `evt_` + 24 hex id. */
  readonly event_id: string;
  /** The ingest request that first stored it (re-sends do not overwrite). */
  readonly request_id: string;
  /** As sent. */
  readonly source_system: string;
  /** As sent. */
  readonly event_type: string;
  /** `occurred_at` as the server prints it, e.g. `2026-02-22T10:00:00Z`. */
  readonly occurred_at: string;
  /** Normalised to lowercase. */
  readonly severity: string;
  /** As sent. */
  readonly asset_ref: string;
  /** As sent. */
  readonly message: string;
  /** As sent (`{}` when absent). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When the emulator stored it (its clock), ISO 8601. */
  readonly created_at: string;
}

/**
 * A finding as the emulator stored it (one row of `spectrastrike_findings`), returned by
 * {@linkcode VectorVueEmulator.findings}.
 *
 * @example Checking normalisation
 * ```ts
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator();
 * const critical = emulator.findings().filter((finding) => finding.severity === "critical");
 * ```
 */
export interface StoredFinding {
  /** The caller's `finding_id`, or the derived `fnd_` + 24 hex id. */
  readonly finding_id: string;
  /** The ingest request that first stored it (re-sends do not overwrite). */
  readonly request_id: string;
  /** As sent. */
  readonly title: string;
  /** As sent. */
  readonly description: string;
  /** Normalised: `informational` → `info`, `med` → `medium`. */
  readonly severity: string;
  /** Normalised to lowercase; `open` when not sent. */
  readonly status: string;
  /** `first_seen` as the server prints it, e.g. `2026-02-22T09:45:00Z`. */
  readonly first_seen: string;
  /** `last_seen` as the server prints it, or `null`. */
  readonly last_seen: string | null;
  /** As sent, or `null`. */
  readonly asset_ref: string | null;
  /** As sent, or `null`. */
  readonly recommendation: string | null;
  /** As sent (`{}` when absent). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When the emulator stored it (its clock), ISO 8601. */
  readonly created_at: string;
}

/**
 * A client telemetry event accepted by `POST /api/v1/client/events`, returned by
 * {@linkcode VectorVueEmulator.clientEvents}.
 *
 * @example Counting dashboard views
 * ```ts
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator();
 * const views = emulator.clientEvents().filter((e) => e.event_type === "DASHBOARD_VIEWED");
 * ```
 */
export interface StoredClientEvent {
  /** The JWT `sub` of the caller. */
  readonly user: string;
  /** Normalised to uppercase. */
  readonly event_type: string;
  /** Normalised to lowercase. */
  readonly object_type: string;
  /** As sent, or `null`. */
  readonly object_id: string | null;
  /** As sent, or `null`. */
  readonly severity: string | null;
  /** The sent `timestamp` in the server's JSON form, or the receive time. */
  readonly timestamp: string;
  /** As sent (`{}` when absent). */
  readonly metadata_json: Readonly<Record<string, unknown>>;
}

/** One entry of a batch's `results` (and of a status record's `failed_items`). */
export interface BatchItemResult {
  readonly index: number;
  readonly item_id: string | null;
  readonly status: "accepted" | "failed";
  readonly error_code: string | null;
  readonly error_message: string | null;
}

/** A row of `spectrastrike_ingest_requests`. */
export interface StatusRecord {
  readonly requestId: string;
  readonly tenantId: string;
  readonly endpoint: string;
  readonly status: "accepted" | "partial" | "failed";
  readonly total: number;
  readonly accepted: number;
  readonly failed: number;
  readonly failedItems: readonly BatchItemResult[];
  readonly idempotencyKey: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** A row of `spectrastrike_idempotency`: the stored response of a keyed `POST .../events`. */
export interface IdempotentResponse {
  readonly requestHash: string;
  readonly responseJson: unknown;
  readonly statusCode: number;
}

/** All emulator state that `reset()` clears. */
export class EmulatorStore {
  readonly #events = new Map<string, Map<string, StoredEvent>>();
  readonly #findings = new Map<string, Map<string, StoredFinding>>();
  readonly #clientEvents = new Map<string, StoredClientEvent[]>();
  readonly #status = new Map<string, StatusRecord>();
  readonly #idempotency = new Map<string, IdempotentResponse>();

  /** `INSERT ... ON CONFLICT (tenant_id, event_uid) DO NOTHING`. */
  insertEvent(tenantId: string, event: StoredEvent): void {
    const rows = this.#events.get(tenantId) ?? new Map<string, StoredEvent>();
    if (!rows.has(event.event_id)) rows.set(event.event_id, event);
    this.#events.set(tenantId, rows);
  }

  /** `INSERT ... ON CONFLICT (tenant_id, finding_uid) DO NOTHING`. */
  insertFinding(tenantId: string, finding: StoredFinding): void {
    const rows = this.#findings.get(tenantId) ?? new Map<string, StoredFinding>();
    if (!rows.has(finding.finding_id)) rows.set(finding.finding_id, finding);
    this.#findings.set(tenantId, rows);
  }

  /** Stores one client telemetry event. */
  insertClientEvent(tenantId: string, event: StoredClientEvent): void {
    this.#clientEvents.set(tenantId, [...(this.#clientEvents.get(tenantId) ?? []), event]);
  }

  /** A tenant's events in insertion order (deep copies). */
  events(tenantId: string): StoredEvent[] {
    return structuredClone([...(this.#events.get(tenantId)?.values() ?? [])]);
  }

  /** A tenant's findings in insertion order (deep copies). */
  findings(tenantId: string): StoredFinding[] {
    return structuredClone([...(this.#findings.get(tenantId)?.values() ?? [])]);
  }

  /** A tenant's client telemetry events (deep copies). */
  clientEvents(tenantId: string): StoredClientEvent[] {
    return structuredClone(this.#clientEvents.get(tenantId) ?? []);
  }

  /**
   * `INSERT ... ON CONFLICT (request_id) DO UPDATE`: a re-used request id updates the counts and
   * `updated_at` but keeps the original tenant and `created_at`.
   */
  recordStatus(record: StatusRecord): void {
    const existing = this.#status.get(record.requestId);
    this.#status.set(
      record.requestId,
      existing === undefined
        ? record
        : { ...record, tenantId: existing.tenantId, createdAtMs: existing.createdAtMs },
    );
  }

  /** The status record of `requestId` if it belongs to `tenantId`. */
  status(requestId: string, tenantId: string): StatusRecord | undefined {
    const record = this.#status.get(requestId);
    return record?.tenantId === tenantId ? record : undefined;
  }

  /** The stored response for an `Idempotency-Key` (keys are per tenant and endpoint). */
  idempotent(tenantId: string, endpoint: string, key: string): IdempotentResponse | undefined {
    return this.#idempotency.get(JSON.stringify([tenantId, endpoint, key]));
  }

  /** Stores (or replaces) the response for an `Idempotency-Key`. */
  storeIdempotent(
    tenantId: string,
    endpoint: string,
    key: string,
    value: IdempotentResponse,
  ): void {
    this.#idempotency.set(JSON.stringify([tenantId, endpoint, key]), value);
  }

  /** Forgets everything. */
  clear(): void {
    this.#events.clear();
    this.#findings.clear();
    this.#clientEvents.clear();
    this.#status.clear();
    this.#idempotency.clear();
  }
}
