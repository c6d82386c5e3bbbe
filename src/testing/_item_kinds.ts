// The two kinds of ingested item, events and findings: their model, their id (the caller's or
// the server's deterministic one) and how they are stored.
import { pythonCanonicalJson } from "../canonical_json.ts";
import type { EmulatorContext } from "./_context.ts";
import { sha256Hex } from "./_crypto.ts";
import type { Caller } from "./_envelope.ts";
import type { ModelSpec } from "../payloads/_pydantic.ts";
import {
  fromEpochMs,
  pydanticJson,
  type PyDateTime,
  pythonStr,
} from "../payloads/_python_datetime.ts";
import { EVENT_MODEL, FINDING_MODEL } from "../payloads/rules.ts";
import type { StoredEvent, StoredFinding } from "./_store.ts";

// `deterministic_external_id`: prefix + first 24 hex of SHA-256 of the canonical JSON of the
// chosen fields, datetimes as `str(datetime)` (the server dumps with `default=str`).
async function deterministicId(
  prefix: "evt" | "fnd",
  item: Record<string, unknown>,
  keys: readonly string[],
): Promise<string> {
  const subset: Record<string, unknown> = {};
  for (const key of keys) {
    const value = item[key];
    subset[key] = isDateTime(value) ? pythonStr(value) : value;
  }
  return `${prefix}_${(await sha256Hex(pythonCanonicalJson(subset))).slice(0, 24)}`;
}

function isDateTime(value: unknown): value is PyDateTime {
  return typeof value === "object" && value !== null && "offsetMinutes" in value;
}

const jsonDate = (value: unknown) => isDateTime(value) ? pydanticJson(value) : null;

/** How one kind of item (event or finding) is validated, identified and stored. */
export interface ItemKind {
  readonly model: ModelSpec;
  readonly idField: "event_id" | "finding_id";
  id(item: Record<string, unknown>): Promise<string>;
  store(
    ctx: EmulatorContext,
    caller: Caller,
    uid: string,
    item: Record<string, unknown>,
    nowMs: number,
  ): void;
}

/** Telemetry events (`evt_` ids, idempotency keys honoured). */
export const EVENTS: ItemKind = {
  model: EVENT_MODEL,
  idField: "event_id",
  id: (item) =>
    typeof item.event_id === "string"
      ? Promise.resolve(item.event_id)
      : deterministicId("evt", item, [
        "source_system",
        "event_type",
        "occurred_at",
        "asset_ref",
        "message",
      ]),
  store(ctx, caller, uid, item, nowMs) {
    const event: StoredEvent = {
      event_id: uid,
      request_id: caller.requestId,
      source_system: item.source_system as string,
      event_type: item.event_type as string,
      occurred_at: jsonDate(item.occurred_at) as string,
      severity: item.severity as string,
      asset_ref: item.asset_ref as string,
      message: item.message as string,
      metadata: item.metadata as Record<string, unknown>,
      created_at: pydanticJson(fromEpochMs(nowMs)),
    };
    ctx.store.insertEvent(caller.tenantId, event);
  },
};

/** Findings (`fnd_` ids). */
export const FINDINGS: ItemKind = {
  model: FINDING_MODEL,
  idField: "finding_id",
  id: (item) =>
    typeof item.finding_id === "string"
      ? Promise.resolve(item.finding_id)
      : deterministicId("fnd", item, ["title", "severity", "first_seen", "asset_ref"]),
  store(ctx, caller, uid, item, nowMs) {
    const finding: StoredFinding = {
      finding_id: uid,
      request_id: caller.requestId,
      title: item.title as string,
      description: item.description as string,
      severity: item.severity as string,
      status: item.status as string,
      first_seen: jsonDate(item.first_seen) as string,
      last_seen: jsonDate(item.last_seen),
      asset_ref: item.asset_ref as string | null,
      recommendation: item.recommendation as string | null,
      metadata: item.metadata as Record<string, unknown>,
      created_at: pydanticJson(fromEpochMs(nowMs)),
    };
    ctx.store.insertFinding(caller.tenantId, finding);
  },
};
