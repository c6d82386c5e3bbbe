// A server (or the network in front of it) that misbehaves, over real HTTPS on 127.0.0.1: bodies
// that trickle or never end, connections dropped before and during the answer, keep-alive
// connections closed between requests, a certificate nobody trusts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { PATHS, VectorVueClient, VectorVueTransportError } from "../../mod.ts";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import {
  CERT,
  credentialsOf,
  KEY,
  rejectionOf,
  sampleEvent,
  SERVING_MODES,
  UNTRUSTED_CERT,
  UNTRUSTED_KEY,
  withClient,
  withEmulator,
  withServer,
} from "./_helpers.ts";

const MiB = 1024 * 1024;
const EVENTS = /\/events$/;

for (const mode of SERVING_MODES) {
  describe(`slow and oversized answers, ${mode.label}`, () => {
    test("a body trickling one byte per 250 ms is cut off by timeoutMs as a timeout", async () => {
      await withEmulator({}, async (emulator, server) => {
        emulator.inject({ path: EVENTS, trickleMs: 250 });
        await withClient(
          { baseUrl: server.url, ...credentialsOf(emulator), timeoutMs: 1_000, maxRetries: 0 },
          async (client) => {
            const error = await rejectionOf(
              client.sendEvent(sampleEvent()),
              VectorVueTransportError,
            );
            assert.equal(error.kind, "timeout");
            assert.equal(error.attempts, 1);
            assert.equal(
              error.message,
              `POST ${server.url}${PATHS.events} failed after 1 attempt(s): no complete answer within timeoutMs (1000 ms)`,
            );
          },
        );
        // The server handled it and sent its headers; only the body was too slow.
        assert.equal(emulator.events().length, 1);
      }, mode);
    });

    test("a trickling body is retried as a timeout, and the retry's answer is used", async () => {
      await withEmulator({}, async (emulator, server) => {
        emulator.inject({ path: EVENTS, trickleMs: 250 });
        await withClient(
          { baseUrl: server.url, ...credentialsOf(emulator), timeoutMs: 1_000, maxRetries: 1 },
          async (client) => {
            const envelope = await client.sendEvent(sampleEvent());
            assert.equal(envelope.retryCount, 1);
            // The first attempt was stored; its retry carries the same Idempotency-Key.
            assert.equal(envelope.replayed, true);
          },
        );
        assert.equal(emulator.events().length, 1);
      }, mode);
    });

    test("a 20 MiB answer with Content-Length is refused as response_too_large (limit 1 MiB)", async () => {
      await withEmulator({}, async (emulator, server) => {
        emulator.inject({ path: EVENTS, status: 202, body: "x".repeat(20 * MiB) });
        await withClient(
          { baseUrl: server.url, ...credentialsOf(emulator), maxResponseBytes: MiB },
          async (client) => {
            const error = await rejectionOf(
              client.sendEvent(sampleEvent()),
              VectorVueTransportError,
            );
            assert.equal(error.kind, "response_too_large");
            assert.equal(error.attempts, 1, "a too-large answer is not retried");
            assert.equal(
              error.message,
              `POST ${server.url}${PATHS.events} failed after 1 attempt(s): response body of ${
                20 * MiB
              } bytes exceeds maxResponseBytes (${MiB})`,
            );
          },
        );
      }, mode);
    });
  });
}

describe("an endless answer without Content-Length", () => {
  /**
   * An HTTPS server that streams 64 KiB chunks of JSON-ish bytes without Content-Length, up to
   * 20 MiB, counting what it managed to write before the client hung up.
   */
  async function streamingServer() {
    const sockets = new Set<Socket>();
    let written = 0;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const server = createServer({ cert: CERT, key: KEY }, (request, response) => {
      request.resume();
      response.writeHead(202, { "content-type": "application/json" });
      response.on("close", finished);
      const pump = () => {
        while (written < 20 * MiB && !response.destroyed) {
          written += chunk.byteLength;
          if (!response.write(chunk)) return void response.once("drain", pump);
        }
        response.end();
      };
      pump();
    });
    server.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return {
      url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      written: () => written,
      done,
      close: () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    };
  }

  test("is refused as response_too_large after 1 MiB, without reading all 20 MiB", async () => {
    const server = await streamingServer();
    try {
      const token = await createVectorVueEmulator().issueToken();
      await withClient(
        { baseUrl: server.url, token, maxResponseBytes: MiB, maxRetries: 0 },
        async (client) => {
          const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueTransportError);
          assert.equal(error.kind, "response_too_large");
          assert.equal(
            error.message,
            `POST ${server.url}${PATHS.events} failed after 1 attempt(s): response body exceeds maxResponseBytes (${MiB}); refused without buffering the rest`,
          );
        },
      );
      await server.done;
      assert.ok(server.written() < 20 * MiB, `the server wrote ${server.written()} bytes`);
    } finally {
      await server.close();
    }
  });
});

for (const mode of SERVING_MODES) {
  describe(`connections dropped, ${mode.label}`, () => {
    test("a drop before the response is retried and then succeeds, stored once", async () => {
      await withEmulator({}, async (emulator, server) => {
        emulator.inject({ path: EVENTS, drop: "before-response" });
        await withClient({ baseUrl: server.url, ...credentialsOf(emulator) }, async (client) => {
          const envelope = await client.sendEvent(sampleEvent());
          assert.equal(envelope.status, "accepted");
          assert.equal(envelope.retryCount, 1);
          assert.equal(envelope.replayed, false);
        });
        assert.equal(emulator.events().length, 1);
      }, mode);
    });

    test("a drop in the middle of the body is retried and answered as a replay, stored once", async () => {
      await withEmulator({}, async (emulator, server) => {
        emulator.inject({ path: EVENTS, drop: "mid-body" });
        await withClient({ baseUrl: server.url, ...credentialsOf(emulator) }, async (client) => {
          const envelope = await client.sendEvent(sampleEvent());
          assert.equal(envelope.retryCount, 1);
          assert.equal(envelope.replayed, true);
          assert.equal(envelope.status, "replayed");
        });
        assert.equal(emulator.events().length, 1);
      }, mode);
    });

    test("a drop mid-body of a batch is retried and the batch is still accepted", async () => {
      await withEmulator({}, async (emulator, server) => {
        emulator.inject({ path: /\/events\/batch$/, drop: "mid-body" });
        await withClient({ baseUrl: server.url, ...credentialsOf(emulator) }, async (client) => {
          const envelope = await client.sendEventsBatch([sampleEvent(), sampleEvent({ a: 1 })]);
          assert.equal(envelope.retryCount, 1);
        });
      }, mode);
    });

    for (const drop of ["before-response", "mid-body"] as const) {
      test(`with maxRetries 0 a ${drop} drop is a VectorVueTransportError of kind connection`, async () => {
        await withEmulator({}, async (emulator, server) => {
          emulator.inject({ path: EVENTS, drop });
          await withClient(
            { baseUrl: server.url, ...credentialsOf(emulator), maxRetries: 0 },
            async (client) => {
              const error = await rejectionOf(
                client.sendEvent(sampleEvent()),
                VectorVueTransportError,
              );
              assert.equal(error.kind, "connection");
              assert.equal(error.attempts, 1);
              assert.match(
                error.message,
                /^POST https:\/\/[^/ ]+\/api\/v1\/integrations\/spectrastrike\/events failed after 1 attempt\(s\): connection to https:\/\/127\.0\.0\.1:\d+ failed \(.+\)$/,
              );
              assert.ok(error.cause instanceof Error, "the runtime's error is kept as cause");
            },
          );
        }, mode);
      });
    }

    test("drops on every attempt end in a connection error after maxRetries + 1 attempts", async () => {
      await withEmulator({}, async (emulator, server) => {
        emulator.inject({ path: EVENTS, drop: "before-response", count: 3 });
        await withClient(
          { baseUrl: server.url, ...credentialsOf(emulator), maxRetries: 2 },
          async (client) => {
            const error = await rejectionOf(
              client.sendEvent(sampleEvent()),
              VectorVueTransportError,
            );
            assert.equal(error.kind, "connection");
            assert.equal(error.attempts, 3);
            assert.match(error.message, /failed after 3 attempt\(s\): connection to/);
          },
        );
        assert.equal(emulator.requests.filter((r) => r.path === PATHS.events).length, 3);
      }, mode);
    });

    test("a server that closes its keep-alive connections between requests does not fail the next one", async () => {
      const emulator = createVectorVueEmulator();
      const first = await emulator.serve({ cert: CERT, key: KEY, http2: mode.http2 });
      const port = Number(new URL(first.url).port);
      await withClient({ baseUrl: first.url, ...credentialsOf(emulator) }, async (client) => {
        try {
          assert.equal((await client.sendEvent(sampleEvent())).status, "accepted");
        } finally {
          await first.close(); // closes the pooled connection under the client
        }
        await withServer(emulator, async () => {
          const second = await client.sendEvent(sampleEvent({ message: "after the restart" }));
          assert.equal(second.status, "accepted");
          const third = await client.sendEvent(sampleEvent({ message: "and again" }));
          assert.equal(third.status, "accepted");
        }, { http2: mode.http2, port });
      });
      assert.equal(emulator.events().length, 3);
    });
  });
}

describe("unreachable and untrusted servers", () => {
  test("a closed port is a connection error, retried and reported with the origin only", async () => {
    const emulator = createVectorVueEmulator();
    const server = await emulator.serve({ cert: CERT, key: KEY });
    const url = server.url;
    await server.close();
    await withClient(
      { baseUrl: `${url}/proxy-prefix`, token: await emulator.issueToken(), maxRetries: 1 },
      async (client) => {
        const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueTransportError);
        assert.equal(error.kind, "connection");
        assert.equal(error.attempts, 2);
        assert.match(error.message, /failed after 2 attempt\(s\): connection to https:\/\/127/);
      },
    );
  });

  test("a certificate from outside caCerts is a tls error, not retried, pointing to caCerts", async () => {
    await withServer(createVectorVueEmulator(), async (server) => {
      const token = await createVectorVueEmulator().issueToken();
      await withClient({ baseUrl: server.url, token }, async (client) => {
        const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueTransportError);
        assert.equal(error.kind, "tls");
        assert.equal(error.attempts, 1);
        assert.match(
          error.message,
          /^POST https:\/\/[^/ ]+\/api\/v1\/integrations\/spectrastrike\/events failed after 1 attempt\(s\): TLS\/certificate verification with https:\/\/127\.0\.0\.1:\d+ failed \(.+\); if the server uses a private CA, pass it with caCerts$/,
        );
      });
    }, { cert: UNTRUSTED_CERT, key: UNTRUSTED_KEY });
  });

  test("a client without caCerts does not trust the private test CA", async () => {
    await withServer(createVectorVueEmulator(), async (server) => {
      const client = new VectorVueClient({
        baseUrl: server.url,
        token: await createVectorVueEmulator().issueToken(),
        http2: false, // its own connection pool, so close() below releases it
      });
      try {
        const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueTransportError);
        assert.equal(error.kind, "tls");
      } finally {
        await client.close();
      }
    });
  });
});
