// Type checks, run by `deno check tests/` (deno task check) and by the npm build's TypeScript
// compile: a `@ts-expect-error` that no longer meets an error fails the check, so a payload type
// that accepts a misspelled severity, or a response type that loses `counts.failed`, breaks CI.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type IngestStatusData,
  type ResponseEnvelope,
  VectorVueClient,
  type VectorVueEvent,
  type VectorVueFinding,
} from "../../mod.ts";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";

const event: VectorVueEvent = {
  source_system: "spectrastrike",
  event_type: "PROCESS_ANOMALY",
  occurred_at: new Date("2026-11-28T12:00:00Z"),
  severity: "high",
  asset_ref: "host-42",
  message: "Unexpected child process",
};

const misspelled: VectorVueEvent = {
  ...event,
  // @ts-expect-error: "hgh" is not an EventSeverity
  severity: "hgh",
};

// @ts-expect-error: a finding needs title, description, severity and first_seen
const incomplete: VectorVueFinding = { title: "SMB signing disabled" };

test("typed payloads go out and typed answers come back: counts.failed without a cast", async () => {
  const emulator = createVectorVueEmulator();
  const client = new VectorVueClient({
    ...emulator.defaults,
    fetch: (input, init) => emulator.fetch(new Request(input, init)),
  });
  const sent = await client.sendEventsBatch([event, misspelled]);
  const failedItems = sent.data.results.filter((item) => item.status === "failed");
  assert.deepEqual(failedItems.map((item) => item.index), [1]);
  const status: ResponseEnvelope<IngestStatusData> = await client.getIngestStatus(
    sent.requestId!,
  );
  const failed: number = status.data.counts.failed;
  assert.equal(failed, 1);
  assert.equal(status.data.failed_items[0].error_code, "validation_failed");
  const one = await client.sendEvent(event);
  const id: string = one.data.event_id;
  assert.match(id, /^evt_[0-9a-f]{24}$/);
  void incomplete;
  await client.close();
});
