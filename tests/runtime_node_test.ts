// The Node side of the runtime seam against real TLS on loopback. These run only under
// `node --test` on the npm build: under Deno, undici is not installed and
// `_runtime_deno.ts` is the file in use.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer, type ServerOptions } from "node:https";
import { createSecureServer } from "node:http2";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { readFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  canDisableTlsVerification,
  createTlsFetch,
  readEnvironment,
  readTextFile,
  runtimeName,
  unrefTimer,
} from "../src/_runtime_node.ts";

const nodeOnly = { skip: typeof Deno !== "undefined" && "Node runtime only" };

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const pem = (name: string) => readFileSync(fixture(name), "utf8");

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** An HTTPS server on 127.0.0.1 that answers every request with `handler`. */
async function serve(
  options: ServerOptions,
  handler: Handler,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(options, handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const echo: Handler = (request, response) => {
  if (request.url === "/redirect") {
    response.writeHead(302, { location: "/elsewhere" }).end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    const peer = (request.socket as TLSSocket).getPeerCertificate();
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
      method: request.method,
      header: request.headers["x-probe"],
      body: Buffer.concat(chunks).toString("utf8"),
      peer: peer?.subject?.CN ?? null,
    }));
  });
};

/** `err.code`s along the `cause` chain, where undici puts the TLS error. */
function causeCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code } = current as { code?: unknown };
    if (typeof code === "string") codes.push(code);
  }
  return codes;
}

test("runtimeName is node and verification can be switched off", nodeOnly, () => {
  assert.equal(runtimeName, "node");
  assert.equal(canDisableTlsVerification, true);
});

test(
  "createTlsFetch() trusts caCerts and sends method, headers and body as the client does",
  nodeOnly,
  async () => {
    const server = await serve({ cert: pem("server.pem"), key: pem("server-key.pem") }, echo);
    const client = await createTlsFetch({ verifyTls: true, caCerts: [pem("ca.pem")] });
    try {
      const response = await client.fetch(`${server.url}/echo`, {
        method: "POST",
        headers: { "x-probe": "yes", "content-type": "application/json" },
        body: new TextEncoder().encode('{"a":1}'),
        redirect: "manual",
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        method: "POST",
        header: "yes",
        body: '{"a":1}',
        peer: null,
      });
    } finally {
      client.close();
      await server.close();
    }
  },
);

test("createTlsFetch() leaves a redirect unfollowed with redirect: manual", nodeOnly, async () => {
  const server = await serve({ cert: pem("server.pem"), key: pem("server-key.pem") }, echo);
  const client = await createTlsFetch({ verifyTls: true, caCerts: [pem("ca.pem")] });
  try {
    const response = await client.fetch(`${server.url}/redirect`, { redirect: "manual" });
    assert.equal(response.status, 302);
    assert.equal(response.headers.get("location"), "/elsewhere");
    await response.body?.cancel();
  } finally {
    client.close();
    await server.close();
  }
});

test(
  "createTlsFetch() without caCerts rejects a certificate from the private CA",
  nodeOnly,
  async () => {
    const server = await serve({ cert: pem("server.pem"), key: pem("server-key.pem") }, echo);
    const client = await createTlsFetch({ verifyTls: true });
    try {
      await assert.rejects(client.fetch(server.url), (error) => {
        assert.match(causeCodes(error).join(" "), /UNABLE_TO_VERIFY|CERT/);
        return true;
      });
    } finally {
      client.close();
      await server.close();
    }
  },
);

test(
  "createTlsFetch() with verifyTls: false accepts a self-signed certificate",
  nodeOnly,
  async () => {
    const server = await serve(
      { cert: pem("untrusted.pem"), key: pem("untrusted-key.pem") },
      echo,
    );
    const trusting = await createTlsFetch({ verifyTls: true, caCerts: [pem("ca.pem")] });
    const unverified = await createTlsFetch({ verifyTls: false });
    try {
      await assert.rejects(trusting.fetch(server.url));
      const response = await unverified.fetch(server.url);
      assert.equal(response.status, 200);
      await response.body?.cancel();
    } finally {
      trusting.close();
      unverified.close();
      await server.close();
    }
  },
);

test("createTlsFetch() presents cert and key for mutual TLS", nodeOnly, async () => {
  // The server only records what it was shown; it does not need to trust it.
  const server = await serve({
    cert: pem("server.pem"),
    key: pem("server-key.pem"),
    requestCert: true,
    rejectUnauthorized: false,
  }, echo);
  const client = await createTlsFetch({
    verifyTls: true,
    caCerts: [pem("ca.pem")],
    cert: pem("untrusted.pem"),
    key: pem("untrusted-key.pem"),
  });
  try {
    const response = await client.fetch(server.url);
    assert.equal((await response.json()).peer, "localhost");
  } finally {
    client.close();
    await server.close();
  }
});

test(
  "createTlsFetch() negotiates HTTP/2 unless http2 is false, as Deno does",
  nodeOnly,
  async () => {
    const server = createSecureServer(
      { cert: pem("server.pem"), key: pem("server-key.pem"), allowHTTP1: true },
      (request, response) => response.end(request.httpVersion),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      for (const [http2, version] of [[undefined, "2.0"], [true, "2.0"], [false, "1.1"]] as const) {
        const client = await createTlsFetch({ verifyTls: true, caCerts: [pem("ca.pem")], http2 });
        try {
          assert.equal(await (await client.fetch(url)).text(), version, `http2: ${http2}`);
        } finally {
          client.close();
        }
      }
    } finally {
      server.close();
    }
  },
);

test("close() shuts the agent: a later request is refused", nodeOnly, async () => {
  const server = await serve({ cert: pem("server.pem"), key: pem("server-key.pem") }, echo);
  const client = await createTlsFetch({ verifyTls: true, caCerts: [pem("ca.pem")] });
  try {
    await (await client.fetch(server.url)).body?.cancel();
    client.close();
    await assert.rejects(client.fetch(server.url), (error) => {
      assert.match(causeCodes(error).join(" "), /UND_ERR_(CLOSED|DESTROYED)/);
      return true;
    });
  } finally {
    await server.close();
  }
});

test("unrefTimer() stops a pending timer from keeping Node alive", nodeOnly, () => {
  const id = setTimeout(() => {}, 60_000);
  try {
    unrefTimer(id);
    assert.equal((id as unknown as { hasRef(): boolean }).hasRef(), false);
  } finally {
    clearTimeout(id);
  }
});

test(
  "readEnvironment() and readTextFile() read the process environment and files",
  nodeOnly,
  () => {
    process.env.VECTORVUE_RUNTIME_NODE_TEST = "set";
    try {
      const read = readEnvironment(["VECTORVUE_RUNTIME_NODE_TEST", "VECTORVUE_UNSET_IN_TEST"]);
      assert.deepEqual(read.values, {
        VECTORVUE_RUNTIME_NODE_TEST: "set",
        VECTORVUE_UNSET_IN_TEST: undefined,
      });
      assert.deepEqual(read.unreadable, []);
      assert.equal(read.all?.VECTORVUE_RUNTIME_NODE_TEST, "set");
    } finally {
      delete process.env.VECTORVUE_RUNTIME_NODE_TEST;
    }
    assert.equal(readTextFile(fixture("ca.pem")), pem("ca.pem"));
    assert.match(readTextFile(fixture("ca.pem")), /^-----BEGIN CERTIFICATE-----/);
  },
);
