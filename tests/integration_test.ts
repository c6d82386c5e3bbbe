// The client against the emulator over real HTTPS on loopback, certificate
// verification on (trusting the test CA). Runs under Deno and, after the npm
// build, under Node.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  VectorVueAuthError,
  VectorVueClient,
  type VectorVueConfig,
  VectorVueConfigError,
  VectorVueConflictError,
  VectorVueNotFoundError,
  VectorVueTransportError,
  VectorVueValidationError,
} from "../mod.ts";
import {
  createVectorVueEmulator,
  type EmulatorOptions,
  type VectorVueEmulator,
} from "../src/testing/mod.ts";
import { sampleEvent, sampleFinding } from "./_fixtures.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const CA = fixture("ca.pem");
const CERT = fixture("server.pem");
const KEY = fixture("server-key.pem");

const EVENT = sampleEvent();
const FINDING = sampleFinding();

interface Harness {
  readonly emulator: VectorVueEmulator;
  readonly url: string;
  client(extra?: VectorVueConfig): VectorVueClient;
  close(): Promise<void>;
}

async function start(options: EmulatorOptions = {}): Promise<Harness> {
  const emulator = createVectorVueEmulator(options);
  const server = await emulator.serve({ hostname: "127.0.0.1", port: 0, cert: CERT, key: KEY });
  const clients: VectorVueClient[] = [];
  return {
    emulator,
    url: server.url,
    client(extra = {}) {
      const client = new VectorVueClient({
        baseUrl: server.url,
        ...emulator.defaults,
        caCerts: [CA],
        backoffMs: 5,
        maxBackoffMs: 20,
        ...extra,
      });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((client) => client.close()));
      await server.close();
    },
  };
}

describe("over HTTPS against the emulator", () => {
  let h: Harness;
  before(async () => {
    h = await start();
  });
  after(async () => {
    await h.close();
  });

  test("every endpoint succeeds with TLS verification on", async () => {
    const client = h.client();
    const token = await client.login();
    assert.equal(token.split(".").length, 3);

    const event = await client.sendEvent(EVENT);
    assert.equal(event.status, "accepted");
    assert.equal(event.httpStatus, 202);
    assert.match(String(event.data.event_id), /^evt_[0-9a-f]{24}$/);

    const finding = await client.sendFinding(FINDING);
    assert.equal(finding.status, "accepted");
    assert.match(String(finding.data.finding_id), /^fnd_[0-9a-f]{24}$/);

    const events = await client.sendEventsBatch([EVENT, { ...EVENT, asset_ref: "host-43" }]);
    assert.equal(events.status, "accepted");
    const findings = await client.sendFindingsBatch([FINDING]);
    assert.equal(findings.status, "accepted");

    const status = await client.getIngestStatus(events.requestId!);
    const record = status.data;
    assert.equal(record.status, "accepted");
    assert.deepEqual(record.counts, { total: 2, accepted: 2, failed: 0 });

    const telemetry = await client.sendClientEvent({
      event_type: "FINDING_VIEWED",
      object_type: "finding",
    });
    assert.deepEqual(telemetry.data, { accepted: true });

    assert.equal(h.emulator.events().length, 2);
    assert.equal(h.emulator.findings().length, 1);
  });

  test("a batch with an invalid item is partial, with per-item results, and the status poll agrees", async () => {
    const client = h.client();
    const batch = await client.sendEventsBatch([EVENT, { event_type: "PROCESS_ANOMALY" } as never]);
    assert.equal(batch.status, "partial");
    assert.equal(batch.ok, false);
    const data = batch.data;
    assert.deepEqual(data.summary, { total: 2, accepted: 1, failed: 1 });
    assert.equal(data.results[1].status, "failed");
    assert.equal(data.results[1].error_code, "validation_failed");
    const status = await client.getIngestStatus(batch.requestId!);
    assert.equal(status.data.status, "partial");
  });

  test("wrong credentials are a VectorVueAuthError with the server's detail", async () => {
    const client = h.client({ password: "not-the-password" });
    await assert.rejects(client.sendEvent(EVENT), (error: unknown) => {
      assert.ok(error instanceof VectorVueAuthError);
      assert.equal(error.httpStatus, 401);
      assert.match(error.message, /Invalid credentials/);
      return true;
    });
  });

  test("an invalid event is a VectorVueValidationError (422 validation_failed)", async () => {
    await assert.rejects(h.client().sendEvent({ event_type: "x" } as never), (error: unknown) => {
      assert.ok(error instanceof VectorVueValidationError);
      assert.equal(error.httpStatus, 422);
      assert.equal(error.errorCode, "validation_failed");
      assert.match(error.message, /Payload validation failed/);
      return true;
    });
  });

  test("the same Idempotency-Key and payload is a replay; another payload is a conflict", async () => {
    const client = h.client();
    const key = `qa-${crypto.randomUUID()}`;
    const first = await client.sendEvent(EVENT, { idempotencyKey: key });
    const again = await client.sendEvent(EVENT, { idempotencyKey: key });
    assert.equal(first.replayed, false);
    assert.equal(again.replayed, true);
    assert.equal(again.status, "replayed");
    assert.equal(again.requestId, first.requestId);
    await assert.rejects(
      client.sendEvent({ ...EVENT, message: "different" }, { idempotencyKey: key }),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueConflictError);
        assert.equal(error.errorCode, "idempotency_conflict");
        return true;
      },
    );
  });

  test("a status lookup of an unknown request is not found, hinting at tenant isolation", async () => {
    await assert.rejects(h.client().getIngestStatus(crypto.randomUUID()), (error: unknown) => {
      assert.ok(error instanceof VectorVueNotFoundError);
      assert.match(error.message, /another tenant/);
      return true;
    });
  });

  test("retries injected 503 and 429 (with Retry-After) and dropped connections, then succeeds", async () => {
    const client = h.client({ maxRetries: 4 });
    await client.login();
    h.emulator.inject({ status: 503, body: "<html>busy</html>", contentType: "text/html" });
    h.emulator.inject({ status: 429, retryAfter: "0", body: '{"detail":"Rate limit exceeded"}' });
    h.emulator.inject({ drop: "before-response" });
    const result = await client.sendEvent(EVENT);
    assert.equal(result.status, "accepted");
    assert.equal(result.retryCount, 3);
    const sent = h.emulator.requests.filter((r) => r.path.endsWith("/events")).slice(-4);
    assert.equal(new Set(sent.map((r) => r.headers["idempotency-key"])).size, 1);
  });

  test("an http:// base URL is refused before anything is sent", () => {
    assert.throws(
      () => h.client({ baseUrl: h.url.replace("https:", "http:") }),
      (error: unknown) => {
        assert.ok(error instanceof VectorVueConfigError);
        assert.match(error.message, /baseUrl must use https/);
        return true;
      },
    );
  });
});

describe("request signing over HTTPS", () => {
  test("the right secret passes, a wrong one is a 401 that names the signature", async () => {
    const h = await start({ signatureSecret: "shared-signing-secret" });
    try {
      const good = await h.client({ signatureSecret: "shared-signing-secret" }).sendEvent(EVENT);
      assert.equal(good.status, "accepted");
      const signed = h.emulator.requests.find((r) => r.path.endsWith("/events"))!;
      assert.match(signed.headers["x-signature"], /^[0-9a-f]{64}$/);
      assert.match(signed.headers["x-timestamp"], /^\d+$/);

      await assert.rejects(
        h.client({ signatureSecret: "wrong-secret" }).sendEvent(EVENT),
        (error: unknown) => {
          assert.ok(error instanceof VectorVueAuthError);
          assert.match(error.message, /Invalid request signature/);
          return true;
        },
      );
      await assert.rejects(h.client().sendFinding(FINDING), /Missing request signature headers/);
    } finally {
      await h.close();
    }
  });
});

describe("TLS", () => {
  test("a certificate from an untrusted issuer fails with a TLS-worded VectorVueTransportError", async () => {
    const emulator = createVectorVueEmulator();
    const server = await emulator.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: fixture("untrusted.pem"),
      key: fixture("untrusted-key.pem"),
    });
    const client = new VectorVueClient({
      baseUrl: server.url,
      ...emulator.defaults,
      caCerts: [CA],
    });
    try {
      await assert.rejects(client.login(), (error: unknown) => {
        assert.ok(error instanceof VectorVueTransportError);
        assert.equal(error.kind, "tls");
        assert.equal(error.attempts, 1);
        assert.match(error.message, /TLS\/certificate verification/);
        return true;
      });
      assert.equal(emulator.requests.length, 0);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
