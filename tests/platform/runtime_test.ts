// The platform's network, process and files capabilities against real TLS on loopback, in every
// runtime: under `deno test` these are the `src/platform/*_deno.ts` files; the npm build swaps in
// the `*_node.ts` ones, which run under Node and, handing over to the `*_bun.ts` ones, under Bun.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer, type ServerOptions } from "node:https";
import { createSecureServer } from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { readTextFile } from "../../src/platform/files.ts";
import {
  createHttpTransport,
  runtime,
  type TransportSettings,
} from "../../src/platform/network.ts";
import { readEnvironment, unrefTimer } from "../../src/platform/process.ts";
import { type AttemptRequest, TransportFailure } from "../../src/transport/attempt.ts";
import { startConnectProxy } from "../_connect_proxy.ts";

const RUNTIME = "Bun" in globalThis ? "bun" : typeof Deno !== "undefined" ? "deno" : "node";
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const pem = (name: string) => readFileSync(fixture(name), "utf8");
const LIMITS = { timeoutMs: 10_000, maxResponseBytes: 1_000_000 };
const TRUSTING: TransportSettings = {
  verifyTls: true,
  caCerts: [pem("ca.pem")],
  maxConnections: 4,
};

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An HTTPS server on 127.0.0.1 that answers every request with `handler`, counting sockets. */
async function serve(options: ServerOptions, handler: Handler) {
  const server = createServer(options, handler);
  const sockets = new Set<Socket>();
  const state = { opened: 0, open: 0, peakOpen: 0 };
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    state.opened++;
    state.peakOpen = Math.max(state.peakOpen, ++state.open);
    socket.on("close", () => {
      sockets.delete(socket);
      state.open--;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    state,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const SERVER_TLS = { cert: pem("server.pem"), key: pem("server-key.pem") };

const echo: Handler = (request, response) => {
  if (request.url === "/redirect") {
    response.writeHead(302, { location: "/elsewhere" }).end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const socket = request.socket as TLSSocket;
    // Bun's node:https server reports no peer certificate, only why it would refuse it.
    const peer = socket.getPeerCertificate?.()?.subject?.CN ??
      (String(socket.authorizationError) === "UNABLE_TO_VERIFY_LEAF_SIGNATURE"
        ? "an untrusted leaf"
        : null);
    response.writeHead(200, { "content-type": "application/json", "x-answer": "yes" }).end(
      JSON.stringify({
        method: request.method,
        header: request.headers["x-probe"],
        body: Buffer.concat(chunks).toString("utf8"),
        peer,
        version: request.httpVersion,
      }),
    );
  });
};

const get = (url: string): AttemptRequest => ({ url, method: "GET", headers: {} });

async function failureOf(promise: Promise<unknown>): Promise<TransportFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TransportFailure, `expected a TransportFailure, got ${error}`);
    return error;
  }
  assert.fail("expected a TransportFailure");
}

test(`runtime is ${RUNTIME}, with what it can do`, () => {
  assert.equal(runtime.name, RUNTIME);
  assert.equal(runtime.canDisableTlsVerification, RUNTIME !== "deno");
  assert.equal(runtime.canUseHttp2, RUNTIME !== "bun");
});

test("send() trusts caCerts and sends method, headers and body; answers status, headers, text", async () => {
  const server = await serve(SERVER_TLS, echo);
  const transport = await createHttpTransport(TRUSTING);
  try {
    const answer = await transport.send({
      url: `${server.url}/echo?x=1`,
      method: "POST",
      headers: { "x-probe": "yes", "content-type": "application/json" },
      body: new TextEncoder().encode('{"a":1}'),
    }, LIMITS);
    assert.equal(answer.status, 200);
    assert.equal(answer.headers["x-answer"], "yes");
    assert.deepEqual(JSON.parse(answer.text), {
      method: "POST",
      header: "yes",
      body: '{"a":1}',
      peer: null,
      version: "1.1",
    });
  } finally {
    await transport.close();
    await server.close();
  }
});

test("send() hands a redirect back unfollowed", async () => {
  const server = await serve(SERVER_TLS, echo);
  const transport = await createHttpTransport(TRUSTING);
  try {
    const answer = await transport.send(get(`${server.url}/redirect`), LIMITS);
    assert.equal(answer.status, 302);
    assert.equal(answer.headers["location"], "/elsewhere");
  } finally {
    await transport.close();
    await server.close();
  }
});

test("send() without caCerts refuses a certificate from the private CA as a TLS failure", async () => {
  const server = await serve(SERVER_TLS, echo);
  const transport = await createHttpTransport({ verifyTls: true, maxConnections: 2 });
  try {
    const failure = await failureOf(transport.send(get(server.url), LIMITS));
    assert.equal(failure.kind, "tls");
    assert.match(failure.message, /caCerts/);
  } finally {
    await transport.close();
    await server.close();
  }
});

test(
  "send() with verifyTls: false accepts a self-signed certificate",
  { skip: RUNTIME === "deno" && "Deno cannot switch verification off per client" },
  async () => {
    const server = await serve({ cert: pem("untrusted.pem"), key: pem("untrusted-key.pem") }, echo);
    const trusting = await createHttpTransport(TRUSTING);
    const unverified = await createHttpTransport({ verifyTls: false, maxConnections: 2 });
    try {
      assert.equal((await failureOf(trusting.send(get(server.url), LIMITS))).kind, "tls");
      assert.equal((await unverified.send(get(server.url), LIMITS)).status, 200);
    } finally {
      await trusting.close();
      await unverified.close();
      await server.close();
    }
  },
);

test("send() presents cert and key for mutual TLS", async () => {
  // The server only records what it was shown; it does not need to trust it.
  const server = await serve(
    { ...SERVER_TLS, requestCert: true, rejectUnauthorized: false },
    echo,
  );
  const transport = await createHttpTransport({
    ...TRUSTING,
    cert: pem("untrusted.pem"),
    key: pem("untrusted-key.pem"),
  });
  const anonymous = await createHttpTransport(TRUSTING);
  try {
    const answer = await transport.send(get(server.url), LIMITS);
    const seen = JSON.parse(answer.text).peer;
    assert.ok(
      seen === "localhost" || (RUNTIME === "bun" && seen === "an untrusted leaf"),
      `the server saw ${seen}`,
    );
    assert.equal(JSON.parse((await anonymous.send(get(server.url), LIMITS)).text).peer, null);
  } finally {
    await transport.close();
    await anonymous.close();
    await server.close();
  }
});

test("send() through a CONNECT proxy keeps the private CA and the client certificate for the origin", async () => {
  const server = await serve(
    { ...SERVER_TLS, requestCert: true, rejectUnauthorized: false },
    echo,
  );
  const proxy = await startConnectProxy({ credentials: { username: "svc", password: "pw" } });
  const transport = await createHttpTransport({
    ...TRUSTING,
    cert: pem("untrusted.pem"),
    key: pem("untrusted-key.pem"),
    proxy: {
      url: proxy.url,
      username: "svc",
      password: "pw",
      display: "http://[REDACTED]@proxy",
      source: "test",
    },
  });
  try {
    const answer = await transport.send(get(server.url), LIMITS);
    const seen = JSON.parse(answer.text).peer;
    assert.ok(
      seen === "localhost" || (RUNTIME === "bun" && seen === "an untrusted leaf"),
      `the server saw ${seen}`,
    );
    assert.deepEqual(proxy.log, [`CONNECT 127.0.0.1:${new URL(server.url).port} HTTP/1.1`]);
  } finally {
    await transport.close();
    await server.close();
    await proxy.close();
  }
});

test(
  "send() speaks HTTP/2 when http2 is true and HTTP/1.1 otherwise",
  { skip: RUNTIME === "bun" && "Bun's fetch speaks HTTP/1.1 only" },
  async () => {
    const server = createSecureServer(
      { ...SERVER_TLS, allowHTTP1: true },
      (request, response) => response.end(request.httpVersion),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const [http2, version] of [[true, "2.0"], [false, "1.1"], [undefined, "1.1"]] as const) {
        const transport = await createHttpTransport({ ...TRUSTING, http2 });
        try {
          assert.equal((await transport.send(get(url), LIMITS)).text, version, `http2: ${http2}`);
        } finally {
          await transport.close();
        }
      }
    } finally {
      server.close();
    }
  },
);

test("send() keeps at most maxConnections requests in flight and connections opened", async () => {
  let inFlight = 0;
  let peakInFlight = 0;
  const server = await serve(SERVER_TLS, (_request, response) => {
    peakInFlight = Math.max(peakInFlight, ++inFlight);
    // Answers a moment later, so that the calls pile up behind the bound.
    setTimeout(() => {
      inFlight--;
      response.end("ok");
    }, 5);
  });
  const transport = await createHttpTransport({ ...TRUSTING, maxConnections: 3 });
  try {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => transport.send(get(`${server.url}/${i}`), LIMITS)),
    );
    assert.ok(answers.every((answer) => answer.status === 200 && answer.text === "ok"));
    assert.equal(peakInFlight, 3);
    assert.ok(server.state.opened <= 3, `${server.state.opened} connections opened`);
  } finally {
    await transport.close();
    await server.close();
  }
});

test("each transport has its own pool: two never share a connection", async () => {
  const server = await serve(SERVER_TLS, echo);
  const first = await createHttpTransport(TRUSTING);
  const second = await createHttpTransport(TRUSTING);
  try {
    for (const transport of [first, second, first, second]) {
      assert.equal((await transport.send(get(server.url), LIMITS)).status, 200);
    }
    assert.equal(server.state.opened, 2);
  } finally {
    await first.close();
    await second.close();
    await server.close();
  }
});

test("send() of a call waiting for a connection rejects at once when its signal aborts", async () => {
  const held: ServerResponse[] = [];
  const server = await serve(SERVER_TLS, (_request, response) => void held.push(response));
  const transport = await createHttpTransport({ ...TRUSTING, maxConnections: 1 });
  try {
    const first = transport.send(get(server.url), LIMITS);
    const controller = new AbortController();
    const waiting = transport.send(get(server.url), { ...LIMITS, signal: controller.signal });
    const reason = new Error("caller gave up");
    controller.abort(reason);
    await assert.rejects(waiting, (error) => error === reason);
    // The held request still completes, and only it reached the server.
    while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    held[0].end("first");
    assert.equal((await first).text, "first");
    assert.equal(held.length, 1);
  } finally {
    await transport.close();
    await server.close();
  }
});

test("send() times out on a body that never finishes, and refuses a body over maxResponseBytes", async () => {
  const server = await serve(SERVER_TLS, (request, response) => {
    if (request.url === "/big") response.end("x".repeat(2_000));
    else response.writeHead(200, { "content-length": "10" }).write("abc");
  });
  const transport = await createHttpTransport(TRUSTING);
  try {
    const slow = await failureOf(
      transport.send(get(`${server.url}/slow`), { ...LIMITS, timeoutMs: 200 }),
    );
    assert.equal(slow.kind, "timeout");
    const big = await failureOf(
      transport.send(get(`${server.url}/big`), { ...LIMITS, maxResponseBytes: 1_000 }),
    );
    assert.equal(big.kind, "response_too_large");
  } finally {
    await transport.close();
    await server.close();
  }
});

test("close() refuses later requests as connection failures", async () => {
  const server = await serve(SERVER_TLS, echo);
  const transport = await createHttpTransport(TRUSTING);
  try {
    assert.equal((await transport.send(get(server.url), LIMITS)).status, 200);
    await transport.close();
    assert.equal((await failureOf(transport.send(get(server.url), LIMITS))).kind, "connection");
  } finally {
    await server.close();
  }
});

test("unrefTimer() stops a pending timer from keeping the process alive", () => {
  const id = setTimeout(() => {}, 60_000);
  try {
    unrefTimer(id);
    if (typeof id === "object") {
      assert.equal((id as unknown as { hasRef(): boolean }).hasRef(), false);
    }
  } finally {
    clearTimeout(id);
  }
});

test("readEnvironment() and readTextFile() read the process environment and files", () => {
  process.env.VECTORVUE_RUNTIME_TEST = "set";
  try {
    const read = readEnvironment(["VECTORVUE_RUNTIME_TEST", "VECTORVUE_UNSET_IN_TEST"]);
    assert.deepEqual(read.values, {
      VECTORVUE_RUNTIME_TEST: "set",
      VECTORVUE_UNSET_IN_TEST: undefined,
    });
    assert.deepEqual(read.unreadable, []);
    assert.equal(read.all?.VECTORVUE_RUNTIME_TEST, "set");
  } finally {
    delete process.env.VECTORVUE_RUNTIME_TEST;
  }
  assert.equal(readTextFile(fixture("ca.pem")), pem("ca.pem"));
  assert.match(readTextFile(fixture("ca.pem")), /^-----BEGIN CERTIFICATE-----/);
});
