// The request models of the real server, field for field (see the server contract): the two
// ingestion models, the login body and the client-telemetry body.
import { datetimeField, dictField, type FieldSpec, type ModelSpec, strField } from "./_pydantic.ts";
import { pythonStrip } from "./_python_text.ts";

const ID_PATTERN = "^[A-Za-z0-9._:-]+$";
const EVENT_SEVERITIES = new Set(["info", "low", "medium", "high", "critical"]);
const FINDING_SEVERITIES: ReadonlyMap<string, string> = new Map([
  ["informational", "info"],
  ["info", "info"],
  ["low", "low"],
  ["medium", "medium"],
  ["med", "medium"],
  ["high", "high"],
  ["critical", "critical"],
]);
const FINDING_STATUSES = new Set(["open", "in_progress", "resolved", "closed"]);

const emptyDict = () => ({});
const none = () => null;

const optionalId = (): FieldSpec["check"] =>
  strField({ minLength: 1, maxLength: 128, pattern: ID_PATTERN, nullable: true });

/** `SpectraStrikeTelemetryEvent` (`extra="forbid"`). */
export const EVENT_MODEL: ModelSpec = {
  name: "SpectraStrikeTelemetryEvent",
  extra: "forbid",
  fields: [
    { name: "event_id", default: none, check: optionalId() },
    {
      name: "source_system",
      check: strField({ minLength: 1, maxLength: 64, pattern: ID_PATTERN }),
    },
    { name: "event_type", check: strField({ minLength: 1, maxLength: 64, pattern: ID_PATTERN }) },
    { name: "occurred_at", check: datetimeField() },
    {
      name: "severity",
      check: strField({
        minLength: 2,
        maxLength: 16,
        after: (value) => {
          const normalized = pythonStrip(value).toLowerCase();
          return EVENT_SEVERITIES.has(normalized)
            ? { value: normalized }
            : { error: "severity must be one of info|low|medium|high|critical" };
        },
      }),
    },
    { name: "asset_ref", check: strField({ minLength: 1, maxLength: 128 }) },
    { name: "message", check: strField({ minLength: 1, maxLength: 1024 }) },
    { name: "metadata", default: emptyDict, check: dictField() },
  ],
};

/** `SpectraStrikeFinding` (`extra="forbid"`). */
export const FINDING_MODEL: ModelSpec = {
  name: "SpectraStrikeFinding",
  extra: "forbid",
  fields: [
    { name: "finding_id", default: none, check: optionalId() },
    { name: "title", check: strField({ minLength: 3, maxLength: 256 }) },
    { name: "description", check: strField({ minLength: 1, maxLength: 4096 }) },
    {
      name: "severity",
      check: strField({
        minLength: 2,
        maxLength: 16,
        after: (value) => {
          const normalized = FINDING_SEVERITIES.get(pythonStrip(value).toLowerCase());
          return normalized !== undefined
            ? { value: normalized }
            : { error: "severity must be one of informational|info|low|medium|high|critical" };
        },
      }),
    },
    {
      name: "status",
      default: () => "open",
      check: strField({
        minLength: 2,
        maxLength: 32,
        after: (value) => {
          const normalized = pythonStrip(value).toLowerCase();
          return FINDING_STATUSES.has(normalized)
            ? { value: normalized }
            : { error: "status must be one of open|in_progress|resolved|closed" };
        },
      }),
    },
    { name: "first_seen", check: datetimeField() },
    { name: "last_seen", default: none, check: datetimeField({ nullable: true }) },
    { name: "asset_ref", default: none, check: strField({ maxLength: 128, nullable: true }) },
    { name: "recommendation", default: none, check: strField({ maxLength: 2048, nullable: true }) },
    { name: "metadata", default: emptyDict, check: dictField() },
  ],
};

/** `ClientAuthLoginRequest` (FastAPI body, extra fields ignored). */
export const LOGIN_MODEL: ModelSpec = {
  name: "ClientAuthLoginRequest",
  extra: "ignore",
  fromAttributes: true,
  fields: [
    { name: "username", check: strField() },
    { name: "password", check: strField() },
    { name: "tenant_id", default: none, check: strField({ nullable: true }) },
  ],
};

/** Event types `POST /api/v1/client/events` accepts. */
export const CLIENT_EVENT_TYPES: ReadonlySet<string> = new Set([
  "FINDING_VIEWED",
  "FINDING_ACKNOWLEDGED",
  "REMEDIATION_OPENED",
  "REMEDIATION_COMPLETED",
  "REPORT_DOWNLOADED",
  "DASHBOARD_VIEWED",
]);

/** Object types `POST /api/v1/client/events` accepts. */
export const CLIENT_OBJECT_TYPES: ReadonlySet<string> = new Set([
  "finding",
  "report",
  "dashboard",
  "remediation",
]);

/**
 * The client-telemetry body (FastAPI, extra fields ignored). The server source for this route
 * was not available; the fields are the contract's, typed the way the portal sends them.
 */
export const CLIENT_EVENT_MODEL: ModelSpec = {
  name: "ClientActivityEventIn",
  extra: "ignore",
  fromAttributes: true,
  fields: [
    { name: "event_type", check: strField() },
    { name: "object_type", check: strField() },
    { name: "object_id", default: none, check: strField({ nullable: true }) },
    { name: "severity", default: none, check: strField({ nullable: true }) },
    { name: "timestamp", default: none, check: datetimeField({ nullable: true }) },
    { name: "metadata_json", default: emptyDict, check: dictField() },
  ],
};
