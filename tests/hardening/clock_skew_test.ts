// Clock skew: the server allows X-Timestamp within 300 s of its own clock. When this machine's
// clock is an hour off, the client learns the difference from the server's Date header and signs
// with corrected timestamps, and says so in a log record. Real HTTPS on 127.0.0.1.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PATHS, VectorVueAuthError } from "../../mod.ts";
import { capturingLogger } from "../_fake.ts";
import {
  credentialsOf,
  rejectionOf,
  sampleEvent,
  sampleFinding,
  withClient,
  withEmulator,
} from "./_helpers.ts";

const SECRET = "clock-skew-signing-secret";
const HOUR = 3_600_000;
const SIGNED_ROUTES: readonly string[] = [
  PATHS.events,
  PATHS.eventsBatch,
  PATHS.findings,
  PATHS.findingsBatch,
];

function timestamps(requests: readonly { path: string; headers: Record<string, string> }[]) {
  return requests.filter((r) => SIGNED_ROUTES.includes(r.path)).map((r) =>
    Number(r.headers["x-timestamp"])
  );
}

describe("signing with a skewed clock", () => {
  test("server clock an hour ahead: signed requests pass with timestamps corrected from Date", async () => {
    const serverNow = () => Date.now() + HOUR;
    await withEmulator({ now: serverNow, signatureSecret: SECRET }, async (emulator, server) => {
      const { logger, records } = capturingLogger();
      await withClient(
        { baseUrl: server.url, ...credentialsOf(emulator), signatureSecret: SECRET, logger },
        async (client) => {
          assert.equal((await client.sendEvent(sampleEvent())).status, "accepted");
          assert.equal((await client.sendEventsBatch([sampleEvent()])).status, "accepted");
          assert.equal((await client.sendFinding(sampleFinding())).status, "accepted");
          assert.equal((await client.sendFindingsBatch([sampleFinding()])).status, "accepted");
        },
      );
      const corrections = records.filter((r) => r.message === "vectorvue clock correction");
      assert.equal(corrections.length, 1);
      assert.equal(corrections[0].level, "warn");
      assert.ok(Math.abs(Number(corrections[0].fields.offsetSeconds) - 3600) <= 2);
      assert.equal(
        corrections[0].fields.detail,
        "local clock differs from the server's Date header; signing with corrected timestamps",
      );
      const sent = timestamps(emulator.requests);
      assert.equal(sent.length, 4, "each signed request passed on its first attempt");
      for (const seconds of sent) {
        assert.ok(Math.abs(seconds * 1000 - serverNow()) < 300_000, `${seconds} is in the window`);
      }
    });
  });

  test("server clock an hour behind, pre-provisioned token: the first request is re-signed once", async () => {
    const serverNow = () => Date.now() - HOUR;
    await withEmulator({ now: serverNow, signatureSecret: SECRET }, async (emulator, server) => {
      const { logger, records } = capturingLogger();
      const token = await emulator.issueToken();
      await withClient(
        { baseUrl: server.url, token, signatureSecret: SECRET, logger },
        async (client) => {
          const first = await client.sendEvent(sampleEvent());
          assert.equal(first.status, "accepted");
          assert.equal(first.retryCount, 0, "re-signing is not a retry");
          const second = await client.sendFinding(sampleFinding());
          assert.equal(second.status, "accepted");
        },
      );
      const [rejected, resigned, next] = timestamps(emulator.requests);
      assert.equal(timestamps(emulator.requests).length, 3, "one re-signed request, then none");
      assert.ok(Math.abs(rejected * 1000 - Date.now()) < 60_000, "first signed with local time");
      assert.ok(Math.abs(resigned * 1000 - serverNow()) < 300_000, "re-signed in server time");
      assert.ok(Math.abs(next * 1000 - serverNow()) < 300_000, "later requests in server time");
      const messages = records.map((r) => r.message);
      assert.ok(messages.includes("vectorvue clock correction"));
      const resigning = records.filter((r) => r.message === "vectorvue request re-signing");
      assert.equal(resigning.length, 1);
      assert.equal(resigning[0].fields.outcome, "clock_corrected");
      assert.equal(resigning[0].fields.httpStatus, 401);
    });
  });

  test("a signature refused for its timestamp without any clock news is not retried forever", async () => {
    // The server's Date header agrees with us, but a proxy refuses the timestamp anyway.
    await withEmulator(
      { signatureSecret: SECRET },
      async (emulator, server) => {
        emulator.inject({
          path: PATHS.events,
          status: 401,
          body: '{"detail":"Signature timestamp out of range"}',
          contentType: "application/json",
          count: 5,
        });
        await withClient(
          { baseUrl: server.url, token: await emulator.issueToken(), signatureSecret: SECRET },
          async (client) => {
            const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueAuthError);
            assert.equal(error.httpStatus, 401);
            assert.match(
              error.message,
              /^POST https:\/\/[^/ ]+\/api\/v1\/integrations\/spectrastrike\/events failed with 401 unauthorized: Signature timestamp out of range \(request_id [0-9a-f-]{36}\)$/,
            );
          },
        );
        assert.equal(timestamps(emulator.requests).length, 1);
      },
    );
  });
});
