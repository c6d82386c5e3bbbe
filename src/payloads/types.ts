/**
 * What the client sends and what comes back, typed from the server's models
 * (see `rules.ts` for the rules themselves): events, findings and client
 * telemetry in, accepted items, batch results and ingest status out.
 *
 * @module
 */

/**
 * Severity of an event. The server compares without case, so `"HIGH"` is
 * accepted too.
 *
 * @example
 * ```ts
 * import type { EventSeverity } from "@spectrastrike/vectorvue-client";
 *
 * const severity: EventSeverity = "critical";
 * ```
 */
export type EventSeverity =
  | "info"
  | "low"
  | "medium"
  | "high"
  | "critical"
  | Uppercase<"info" | "low" | "medium" | "high" | "critical">;

/**
 * Severity of a finding; the server normalises `informational` to `info`
 * and `med` to `medium`, without case.
 *
 * @example
 * ```ts
 * import type { FindingSeverity } from "@spectrastrike/vectorvue-client";
 *
 * const severity: FindingSeverity = "informational";
 * ```
 */
export type FindingSeverity = EventSeverity | "informational" | "med" | "INFORMATIONAL" | "MED";

/**
 * Workflow status of a finding.
 *
 * @example
 * ```ts
 * import type { FindingStatus } from "@spectrastrike/vectorvue-client";
 *
 * const status: FindingStatus = "in_progress";
 * ```
 */
export type FindingStatus = "open" | "in_progress" | "resolved" | "closed";

/**
 * A datetime as the server reads it: ISO-8601 text (with or without an
 * offset), or a `Date`, which JSON carries as ISO-8601 UTC.
 *
 * @example
 * ```ts
 * import type { DateTimeInput } from "@spectrastrike/vectorvue-client";
 *
 * const when: DateTimeInput = "2026-11-28T12:00:00Z";
 * ```
 */
export type DateTimeInput = string | Date;

/**
 * One telemetry event (`POST .../events`). Unknown fields are refused by the
 * server. Ids and `source_system`/`event_type` are 1–128 / 1–64 characters of
 * `[A-Za-z0-9._:-]`.
 *
 * @example
 * ```ts
 * import type { VectorVueEvent } from "@spectrastrike/vectorvue-client";
 *
 * const event: VectorVueEvent = {
 *   source_system: "spectrastrike",
 *   event_type: "PROCESS_ANOMALY",
 *   occurred_at: new Date(),
 *   severity: "high",
 *   asset_ref: "host-42",
 *   message: "Unexpected child process of lsass.exe",
 * };
 * ```
 */
export type VectorVueEvent = {
  /** Your id for the event; without one the server derives one from the content. */
  event_id?: string | null;
  /** The system that saw it, such as `spectrastrike`. */
  source_system: string;
  /** What happened, such as `PROCESS_ANOMALY`. */
  event_type: string;
  /** When it happened. */
  occurred_at: DateTimeInput;
  /** How bad it is. */
  severity: EventSeverity;
  /** The asset concerned (1–128 characters). */
  asset_ref: string;
  /** A description (1–1024 characters). */
  message: string;
  /** Anything else, as a JSON object. */
  metadata?: Record<string, unknown>;
};

/**
 * One finding (`POST .../findings`). Unknown fields are refused by the server.
 *
 * @example
 * ```ts
 * import type { VectorVueFinding } from "@spectrastrike/vectorvue-client";
 *
 * const finding: VectorVueFinding = {
 *   title: "SMB signing disabled",
 *   description: "Hosts accept unsigned SMB sessions.",
 *   severity: "medium",
 *   first_seen: "2026-11-28T12:00:00Z",
 * };
 * ```
 */
export type VectorVueFinding = {
  /** Your id for the finding; without one the server derives one. */
  finding_id?: string | null;
  /** A title (3–256 characters). */
  title: string;
  /** A description (1–4096 characters). */
  description: string;
  /** How bad it is. */
  severity: FindingSeverity;
  /** Workflow status. @default {"open"} */
  status?: FindingStatus;
  /** When it was first seen. */
  first_seen: DateTimeInput;
  /** When it was last seen. */
  last_seen?: DateTimeInput | null;
  /** The asset concerned (at most 128 characters). */
  asset_ref?: string | null;
  /** What to do about it (at most 2048 characters). */
  recommendation?: string | null;
  /** Anything else, as a JSON object. */
  metadata?: Record<string, unknown>;
};

/**
 * The client telemetry event types the server accepts.
 *
 * @example
 * ```ts
 * import type { ClientEventType } from "@spectrastrike/vectorvue-client";
 *
 * const type: ClientEventType = "FINDING_VIEWED";
 * ```
 */
export type ClientEventType =
  | "FINDING_VIEWED"
  | "FINDING_ACKNOWLEDGED"
  | "REMEDIATION_OPENED"
  | "REMEDIATION_COMPLETED"
  | "REPORT_DOWNLOADED"
  | "DASHBOARD_VIEWED";

/**
 * A client telemetry event (`POST /api/v1/client/events`).
 *
 * @example
 * ```ts
 * import type { VectorVueClientEvent } from "@spectrastrike/vectorvue-client";
 *
 * const viewed: VectorVueClientEvent = {
 *   event_type: "FINDING_VIEWED",
 *   object_type: "finding",
 *   object_id: "fnd_1",
 * };
 * ```
 */
export type VectorVueClientEvent = {
  /** What the user did. */
  event_type: ClientEventType;
  /** What it was done to. */
  object_type: "finding" | "report" | "dashboard" | "remediation";
  /** Which one. */
  object_id?: string | null;
  /** A severity, free text. */
  severity?: string | null;
  /** When; the server's receive time when absent. */
  timestamp?: DateTimeInput | null;
  /** Anything else, as a JSON object. */
  metadata_json?: Record<string, unknown>;
};

/**
 * `data` of an accepted event.
 *
 * @example
 * ```ts
 * import type { EventAccepted } from "@spectrastrike/vectorvue-client";
 *
 * const id = (data: EventAccepted) => data.event_id;
 * ```
 */
export interface EventAccepted {
  /** Your `event_id`, or the one the server derived (`evt_` + 24 hex). */
  readonly event_id: string;
}

/**
 * `data` of an accepted finding.
 *
 * @example
 * ```ts
 * import type { FindingAccepted } from "@spectrastrike/vectorvue-client";
 *
 * const id = (data: FindingAccepted) => data.finding_id;
 * ```
 */
export interface FindingAccepted {
  /** Your `finding_id`, or the one the server derived (`fnd_` + 24 hex). */
  readonly finding_id: string;
}

/**
 * The outcome of one item of a batch, as the server reports it.
 *
 * @example
 * ```ts
 * import type { BatchItemResultData } from "@spectrastrike/vectorvue-client";
 *
 * const failed = (item: BatchItemResultData) => item.status === "failed";
 * ```
 */
export interface BatchItemResultData {
  /** The item's index in the batch. */
  readonly index: number;
  /** Its id when accepted, else `null`. */
  readonly item_id: string | null;
  /** Whether it was stored. */
  readonly status: "accepted" | "failed";
  /** Why not, such as `validation_failed`; `null` when accepted. */
  readonly error_code: string | null;
  /** The server's message; `null` when accepted. */
  readonly error_message: string | null;
}

/**
 * Item counts of a request.
 *
 * @example
 * ```ts
 * import type { IngestCounts } from "@spectrastrike/vectorvue-client";
 *
 * const allIn = (counts: IngestCounts) => counts.failed === 0;
 * ```
 */
export interface IngestCounts {
  /** Items in the request. */
  readonly total: number;
  /** Items stored. */
  readonly accepted: number;
  /** Items refused. */
  readonly failed: number;
}

/**
 * `data` of a batch answer: a summary and one result per item.
 *
 * @example List the refused items
 * ```ts
 * import type { BatchResultData } from "@spectrastrike/vectorvue-client";
 *
 * const refused = (data: BatchResultData) => data.results.filter((r) => r.status === "failed");
 * ```
 */
export interface BatchResultData {
  /** Counts of the batch. */
  readonly summary: IngestCounts;
  /** One result per item, by index. */
  readonly results: readonly BatchItemResultData[];
}

/**
 * `data` of an ingest status answer: the record of an earlier request.
 *
 * @example
 * ```ts
 * import type { IngestStatusData } from "@spectrastrike/vectorvue-client";
 *
 * const anyFailed = (status: IngestStatusData) => status.counts.failed > 0;
 * ```
 */
export interface IngestStatusData {
  /** The request's id. */
  readonly request_id: string;
  /** How the request went. */
  readonly status: "accepted" | "partial" | "failed";
  /** The route it was sent to. */
  readonly endpoint: string;
  /** Its item counts. */
  readonly counts: IngestCounts;
  /** The items that failed. */
  readonly failed_items: readonly BatchItemResultData[];
  /** When it was recorded (ISO-8601). */
  readonly created_at: string;
  /** When it was last updated (ISO-8601). */
  readonly updated_at: string;
}

/**
 * `data` of an accepted client telemetry event.
 *
 * @example
 * ```ts
 * import type { ClientEventAccepted } from "@spectrastrike/vectorvue-client";
 *
 * const ok = (data: ClientEventAccepted) => data.accepted;
 * ```
 */
export interface ClientEventAccepted {
  /** Always `true` on success. */
  readonly accepted: boolean;
}
