// The sample data the tests share: the contract's example tenants, event and finding. Defined
// here once; the helpers (`_fake.ts`, `hardening/_helpers.ts`, `testing/_helpers.ts`) re-export
// what their tests import from them.
import type { VectorVueEvent, VectorVueFinding } from "../mod.ts";

/** The tenant the tests log in as (the emulator's default tenant). */
export const TENANT = "10000000-0000-0000-0000-000000000001";
/** A second known tenant, for isolation between tenants. */
export const OTHER_TENANT = "20000000-0000-0000-0000-000000000002";

/** The contract's example event. */
export const SAMPLE_EVENT = Object.freeze({
  source_system: "spectrastrike-sensor",
  event_type: "PROCESS_ANOMALY",
  occurred_at: "2026-02-22T10:00:00Z",
  severity: "high",
  asset_ref: "host-nyc-01",
  message: "Unexpected parent-child process chain",
  metadata: { pid: 2244 },
});
/** Python's `deterministic_external_id("evt", ...)` for SAMPLE_EVENT. */
export const SAMPLE_EVENT_ID = "evt_f6886339162b994e61320291";

/** The contract's example finding. */
export const SAMPLE_FINDING = Object.freeze({
  title: "Suspicious PowerShell Script",
  description: "Encoded command observed in endpoint telemetry",
  severity: "critical",
  status: "open",
  first_seen: "2026-02-22T09:45:00Z",
  asset_ref: "host-nyc-01",
  recommendation: "Block script hash and isolate endpoint",
});
/** Python's `deterministic_external_id("fnd", ...)` for SAMPLE_FINDING. */
export const SAMPLE_FINDING_ID = "fnd_4f626c9b7e968811a898be6a";

/** A fresh copy of the example event (its own `metadata`), with `extra` fields over it. */
export function sampleEvent(extra: Record<string, unknown> = {}): VectorVueEvent {
  return {
    ...SAMPLE_EVENT,
    metadata: { ...SAMPLE_EVENT.metadata },
    ...extra,
  } as VectorVueEvent;
}

/** A finding the emulator accepts: the example's required fields and asset, with `extra`. */
export function sampleFinding(extra: Record<string, unknown> = {}): VectorVueFinding {
  const { title, description, severity, first_seen, asset_ref } = SAMPLE_FINDING;
  return { title, description, severity, first_seen, asset_ref, ...extra } as VectorVueFinding;
}
