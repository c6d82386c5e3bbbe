// A server that resets the connection while the request body is still being uploaded: the
// client sees a connection failure (never a TLS one), retries it, and reports every attempt.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { VectorVueClient, VectorVueTransportError } from "../../mod.ts";
import { CA, CERT, KEY, TENANT } from "./_helpers.ts";
import { makeJwt } from "../_fake.ts";

describe("connection reset during the request body", () => {
  test("is retried as a connection failure and reported with every attempt", async () => {
    let connections = 0;
    const sockets = new Set<TLSSocket>();
    // Reads the first bytes of the request, then drops the connection while the body is still
    // on its way (the body is far larger than one TLS record).
    const server = createServer({ cert: CERT, key: KEY }, (socket) => {
      connections++;
      sockets.add(socket);
      socket.once("data", () => socket.destroy());
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const client = new VectorVueClient({
      baseUrl: `https://127.0.0.1:${port}`,
      token: makeJwt({ tenant_id: TENANT, exp: Math.floor(Date.now() / 1000) + 3600 }),
      caCerts: [CA],
      maxRetries: 2,
      backoffMs: 1,
      maxBackoffMs: 5,
      timeoutMs: 10_000,
    });
    const padding = "x".repeat(20_000);
    const events = Array.from(
      { length: 100 },
      (_, i) => ({ event_id: `up-${i}`, padding }),
    ) as never;
    try {
      await assert.rejects(client.sendEventsBatch(events), (error: unknown) => {
        assert.ok(error instanceof VectorVueTransportError, String(error));
        assert.equal(error.kind, "connection");
        assert.equal(error.attempts, 3);
        return true;
      });
      assert.equal(connections, 3);
    } finally {
      await client.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
