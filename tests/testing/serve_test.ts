// `emulator.serve()` over real HTTPS on loopback, with certificate verification on (the client
// trusts only tests/fixtures/ca.pem). The node:https client runs in Deno and Node alike; the
// fetch tests use Deno's HTTP client and are skipped on Node.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect as http2Connect } from "node:http2";
import { Agent, request as httpsRequest } from "node:https";
import { createVectorVueEmulator, type VectorVueEmulator } from "../../src/testing/mod.ts";
import { EVENTS, LOGIN, SAMPLE_EVENT, SAMPLE_EVENT_ID, T0 } from "./_helpers.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const CA = fixture("ca.pem");
const CERT = fixture("server.pem");
const KEY = fixture("server-key.pem");
const LOGIN_BODY = JSON.stringify({ username: "operator", password: "operator-password" });

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTPS request with node:https, trusting only the test CA. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; agent?: Agent } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      method: options.method ?? "GET",
      headers: options.headers,
      ca: CA,
      agent: options.agent ?? false,
    }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      res.on("error", reject);
      res.on("aborted", () => reject(new Error("response aborted")));
      res.on("end", () => {
        if (!res.complete) return reject(new Error("response incomplete"));
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

async function withServer(
  emulator: VectorVueEmulator,
  options: { http2?: boolean; cert?: string; key?: string },
  run: (url: string) => Promise<void>,
): Promise<void> {
  const server = await emulator.serve({
    cert: options.cert ?? CERT,
    key: options.key ?? KEY,
    http2: options.http2,
  });
  try {
    await run(server.url);
  } finally {
    await server.close();
  }
}

const jsonHeaders = { "content-type": "application/json" };

describe("serve() over HTTPS (HTTP/1.1)", () => {
  test("logs in and ingests an event with verification on, Date from the emulator clock", async () => {
    const emulator = createVectorVueEmulator({ now: () => T0 });
    await withServer(emulator, { http2: false }, async (url) => {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const login = await send(`${url}${LOGIN}`, {
        method: "POST",
        headers: jsonHeaders,
        body: LOGIN_BODY,
      });
      assert.equal(login.status, 200);
      assert.equal(login.headers.date, "Sun, 22 Feb 2026 10:00:00 GMT");
      const token = JSON.parse(login.body).access_token;
      const sent = await send(`${url}${EVENTS}`, {
        method: "POST",
        headers: { ...jsonHeaders, authorization: `Bearer ${token}` },
        body: JSON.stringify(SAMPLE_EVENT),
      });
      assert.equal(sent.status, 202);
      assert.equal(JSON.parse(sent.body).data.event_id, SAMPLE_EVENT_ID);
      assert.equal(emulator.events().length, 1);
    });
  });

  test("turns a before-response drop into a socket error, not an HTTP status", async () => {
    const emulator = createVectorVueEmulator();
    emulator.inject({ drop: "before-response" });
    await withServer(emulator, { http2: false }, async (url) => {
      await assert.rejects(send(`${url}/anything`), (error: Error & { code?: string }) => {
        assert.ok(
          ["ECONNRESET", "EPIPE"].includes(error.code ?? "") ||
            /hang up|reset/i.test(error.message),
          String(error),
        );
        return true;
      });
      assert.equal((await send(`${url}/anything`)).status, 404, "the server keeps serving");
    });
  });

  test("turns a mid-body drop into an incomplete body after the status and headers", async () => {
    const emulator = createVectorVueEmulator();
    emulator.inject({ drop: "mid-body" });
    await withServer(emulator, { http2: false }, async (url) => {
      const outcome = await new Promise<{ status?: number; complete: boolean }>((resolve) => {
        const req = httpsRequest(`${url}/nope`, { ca: CA, agent: false }, (res) => {
          const done = () => resolve({ status: res.statusCode, complete: res.complete });
          res.on("data", () => {});
          res.on("end", done);
          res.on("error", done);
          res.on("aborted", done);
        });
        req.on("error", () => resolve({ complete: false }));
        req.end();
      });
      assert.deepEqual(outcome, { status: 404, complete: false });
    });
  });

  test("close() ends idle keep-alive connections and pending delays", async () => {
    const emulator = createVectorVueEmulator();
    const agent = new Agent({ keepAlive: true, ca: CA });
    try {
      const server = await emulator.serve({ cert: CERT, key: KEY, http2: false });
      assert.equal((await send(`${server.url}/nope`, { agent })).status, 404);
      emulator.inject({ delayMs: 600_000 });
      const pending = send(`${server.url}/nope`, { agent });
      // The delayed request is logged once the emulator holds it.
      while (emulator.requests.length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
      const rejected = assert.rejects(pending);
      await server.close();
      await rejected;
    } finally {
      agent.destroy();
    }
  });

  test("is rejected by a client trusting the test CA when serving the untrusted certificate", async () => {
    const emulator = createVectorVueEmulator();
    await withServer(emulator, {
      http2: false,
      cert: fixture("untrusted.pem"),
      key: fixture("untrusted-key.pem"),
    }, async (url) => {
      await assert.rejects(send(`${url}/nope`), (error: Error & { code?: string }) => {
        assert.match(
          `${error.code} ${error.message}`,
          /SELF_SIGNED|self.signed|certificate|UnknownIssuer/i,
        );
        return true;
      });
    });
  });

  test("counts the rate limit per connecting IP", async () => {
    const emulator = createVectorVueEmulator({ rateLimit: { requests: 1 } });
    await withServer(emulator, { http2: false }, async (url) => {
      const poll = () => send(`${url}${EVENTS}`, { method: "POST" });
      assert.equal((await poll()).status, 401);
      assert.equal((await poll()).status, 429);
    });
  });
});

describe("serve({ http2: true })", () => {
  /** One HTTP/2 request with node:http2, trusting only the test CA. */
  async function sendH2(url: string, path: string): Promise<number> {
    const session = http2Connect(url, { ca: CA });
    try {
      return await new Promise<number>((resolve, reject) => {
        session.on("error", reject);
        const stream = session.request({ ":path": path, ":method": "GET" });
        stream.on("response", (headers) => resolve(Number(headers[":status"])));
        stream.on("error", reject);
        stream.on("close", () => reject(new Error("stream closed without a response")));
        stream.resume();
        stream.end();
      });
    } finally {
      await new Promise<void>((resolve) => session.close(() => resolve()));
    }
  }

  test("speaks HTTP/2 and resets the stream on a before-response drop", async () => {
    const emulator = createVectorVueEmulator();
    await withServer(emulator, { http2: true }, async (url) => {
      assert.equal(await sendH2(url, "/nope"), 404);
      emulator.inject({ drop: "before-response" });
      await assert.rejects(sendH2(url, "/nope"));
    });
  });
});

interface DenoLike {
  createHttpClient(options: { caCerts: string[]; http2?: boolean }): { close(): void };
}
const deno = (globalThis as unknown as { Deno?: DenoLike }).Deno;

describe(
  "serve() with fetch (Deno's HTTP client, HTTP/2 by ALPN)",
  { skip: deno === undefined },
  () => {
    async function withClient(run: (fetchIt: typeof fetch) => Promise<void>): Promise<void> {
      const client = deno!.createHttpClient({ caCerts: [CA] });
      try {
        await run((input, init) => fetch(input, { ...init, client } as unknown as RequestInit));
      } finally {
        client.close();
      }
    }

    test("answers fetch with the emulator's Date header", async () => {
      const emulator = createVectorVueEmulator({ now: () => T0 });
      await withServer(emulator, {}, (url) =>
        withClient(async (fetchIt) => {
          const response = await fetchIt(`${url}${LOGIN}`, {
            method: "POST",
            headers: jsonHeaders,
            body: LOGIN_BODY,
          });
          assert.equal(response.status, 200);
          assert.equal(response.headers.get("date"), "Sun, 22 Feb 2026 10:00:00 GMT");
          assert.equal((await response.json()).token_type, "bearer");
        }));
    });

    test("makes fetch reject with a TypeError on a before-response drop", async () => {
      const emulator = createVectorVueEmulator();
      emulator.inject({ drop: "before-response" });
      await withServer(emulator, {}, (url) =>
        withClient(async (fetchIt) => {
          await assert.rejects(fetchIt(`${url}/nope`), TypeError);
          const after = await fetchIt(`${url}/nope`);
          assert.equal(after.status, 404);
          await after.body?.cancel();
        }));
    });

    test("makes reading the body reject with a TypeError on a mid-body drop", async () => {
      const emulator = createVectorVueEmulator();
      emulator.inject({ drop: "mid-body" });
      await withServer(emulator, {}, (url) =>
        withClient(async (fetchIt) => {
          const response = await fetchIt(`${url}/nope`);
          assert.equal(response.status, 404);
          await assert.rejects(response.text(), TypeError);
        }));
    });

    test("fails the TLS handshake against the untrusted certificate", async () => {
      const emulator = createVectorVueEmulator();
      await withServer(emulator, {
        cert: fixture("untrusted.pem"),
        key: fixture("untrusted-key.pem"),
      }, (url) =>
        withClient(async (fetchIt) => {
          await assert.rejects(fetchIt(`${url}/nope`), TypeError);
        }));
    });
  },
);

test("serve() reports every problem with its options at once, with a did-you-mean, before listening", async () => {
  const emulator = createVectorVueEmulator();
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    emulator.serve({ hostnme: "::1", port: 70_000, cert: "", key: 1 } as any),
    (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.equal(
        error.message,
        "Cannot serve the VectorVue emulator: unknown option 'hostnme' (did you mean 'hostname'?); " +
          "'port' must be an integer from 0 to 65535: current value is 70000; " +
          "'cert' must be a PEM string: current value is \"\"; " +
          "'key' must be a PEM string: current value is 1",
      );
      return true;
    },
  );
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    emulator.serve(undefined as any),
    /Cannot serve the VectorVue emulator: options must be an object/,
  );
});
