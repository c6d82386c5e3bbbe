// The server's rules, once (src/payloads/rules.ts): the client explains a 422 with them and,
// with validatePayloads, checks before sending; the emulator validates with the same models.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  VectorVueClient,
  type VectorVueEvent,
  VectorVueSerializationError,
  VectorVueValidationError,
} from "../../mod.ts";
import { checkBatch, checkPayload } from "../../src/payloads/check.ts";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import { sampleEvent } from "../_fake.ts";

const EVENT: VectorVueEvent = sampleEvent();

/** An event with two wrong fields: a misspelled severity and a date that is not one. */
const TWO_WRONG = { ...EVENT, severity: "hgh", occurred_at: "yesterday" } as never;

function clientOf(emulator: ReturnType<typeof createVectorVueEmulator>, validatePayloads = false) {
  return new VectorVueClient({
    ...emulator.defaults,
    validatePayloads,
    fetch: (input, init) => emulator.fetch(new Request(input, init)),
  });
}

describe("checkPayload()", () => {
  test("checkPayload() finds nothing in a valid event or finding", () => {
    assert.deepEqual(checkPayload("event", EVENT), []);
    assert.deepEqual(
      checkPayload("finding", {
        title: "SMB signing disabled",
        description: "Hosts accept unsigned SMB sessions.",
        severity: "MED",
        first_seen: "2026-11-28T12:00:00Z",
      }),
      [],
    );
  });

  test("checkPayload() names path, rule and value received, in the server's order", () => {
    const { asset_ref: _, ...withoutAsset } = EVENT;
    const problems = checkPayload("event", { ...withoutAsset, severity: "hgh", colour: "red" });
    assert.deepEqual(problems, [
      {
        path: "severity",
        rule: "severity must be one of info|low|medium|high|critical",
        received: "hgh",
        message: 'severity must be one of info|low|medium|high|critical: got "hgh"',
      },
      {
        path: "asset_ref",
        rule: "Field required",
        received: undefined,
        message: "asset_ref: Field required",
      },
      {
        path: "colour",
        rule: "Extra inputs are not permitted",
        received: "red",
        message: 'colour: Extra inputs are not permitted: got "red"',
      },
    ]);
  });

  test("checkBatch() prefixes each problem with the item's place in the batch", () => {
    const problems = checkBatch("finding", [
      { title: "ok title", description: "d", severity: "low", first_seen: "2026-11-28T12:00:00Z" },
      { title: "ab", description: "d", severity: "low", first_seen: "2026-11-28T12:00:00Z" },
    ]);
    assert.deepEqual(problems.map((p) => [p.path, p.message]), [
      [
        "findings[1].title",
        'findings[1].title: String should have at least 3 characters: got "ab"',
      ],
    ]);
  });

  test("a long value is shortened in the message, not in received", () => {
    const long = "x".repeat(2000);
    const [problem] = checkPayload("event", { ...EVENT, message: long });
    assert.equal(problem.received, long);
    assert.ok(problem.message.length < 200, problem.message);
  });
});

describe("a 422 explained", () => {
  test("sendEvent() with two wrong fields: validation_failed whose problems name both, from the server's rules", async () => {
    const emulator = createVectorVueEmulator();
    const client = clientOf(emulator);
    const error = await client.sendEvent(TWO_WRONG).then(
      () => assert.fail("the server refuses it"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof VectorVueValidationError);
    assert.equal(error.httpStatus, 422);
    assert.equal(error.errorCode, "validation_failed");
    assert.deepEqual(error.problems.map((p) => p.path), ["occurred_at", "severity"]);
    assert.deepEqual(error.problems.map((p) => p.received), ["yesterday", "hgh"]);
    assert.match(error.message, /failed with 422 validation_failed: Payload validation failed/);
    assert.match(
      error.message,
      /by the server's rules: occurred_at: .*: got "yesterday"; severity must be one of info\|low\|medium\|high\|critical: got "hgh"$/,
    );
    // The server really was asked, and said only this.
    assert.equal(emulator.requests.filter((r) => r.path.endsWith("/events")).length, 1);
    await client.close();
  });

  test("with validatePayloads the same event is a VectorVueSerializationError naming both, and nothing is sent", async () => {
    const emulator = createVectorVueEmulator();
    const client = clientOf(emulator, true);
    const error = await client.sendEvent(TWO_WRONG).then(
      () => assert.fail("refused before sending"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof VectorVueSerializationError);
    assert.deepEqual(error.problems.map((p) => p.path), ["occurred_at", "severity"]);
    assert.equal(error.path, "occurred_at");
    assert.match(error.message, /^event would be refused by the server \(validatePayloads is on/);
    assert.equal(emulator.requests.length, 0, "not even a login");
    // A valid event still goes out.
    assert.equal((await client.sendEvent(EVENT)).status, "accepted");
    await client.close();
  });

  test("validatePayloads checks batches item by item", async () => {
    const emulator = createVectorVueEmulator();
    const client = clientOf(emulator, true);
    await assert.rejects(client.sendEventsBatch([EVENT, TWO_WRONG]), (error: unknown) => {
      assert.ok(error instanceof VectorVueSerializationError);
      assert.deepEqual(error.problems.map((p) => p.path), [
        "events[1].occurred_at",
        "events[1].severity",
      ]);
      return true;
    });
    assert.equal(emulator.requests.length, 0);
    await client.close();
  });

  test("sendEvents() says which fields of a refused item break which rule", async () => {
    const emulator = createVectorVueEmulator();
    const client = clientOf(emulator);
    const { asset_ref: _, ...noAsset } = EVENT;
    const result = await client.sendEvents([EVENT, TWO_WRONG, noAsset as never]);
    assert.deepEqual(result.items.map((item) => item.status), ["accepted", "rejected", "rejected"]);
    // The server's own words come first, then what its rules find.
    assert.match(
      result.items[1].errorMessage!,
      /; by the server's rules: occurred_at: .*: got "yesterday"; severity must be one of info\|low\|medium\|high\|critical: got "hgh"$/,
    );
    assert.match(
      result.items[2].errorMessage!,
      /^Field required; by the server's rules: asset_ref: Field required$/,
    );
    await client.close();
  });

  test("a 422 that is not validation_failed, or a valid payload, adds no problems", async () => {
    const emulator = createVectorVueEmulator();
    const client = clientOf(emulator);
    emulator.inject({ path: "/api/v1/integrations/spectrastrike/events", status: 422, count: 1 });
    const error = await client.sendEvent(EVENT).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof VectorVueValidationError, String(error));
    assert.deepEqual(error.problems, []);
    assert.doesNotMatch(error.message, /server's rules/);
    await client.close();
  });
});
