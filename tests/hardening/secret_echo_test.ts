// A hostile server over real HTTPS on 127.0.0.1, reached through a CONNECT proxy that wants
// credentials: it echoes every request header (Authorization, X-Signature) back as response
// headers and in its body, and writes every secret it could have learned (the password, the
// signing secret, the proxy's credentials, the token) in every encoding a server might use:
// raw, JSON-escaped, URL-encoded (%20 and +), HTML-escaped, base64, and base64 of user:password
// as Basic auth carries it. Passwords hold `\ " & < > % + /` and a space. Whatever the client
// throws or returns must hold none of them, in none of those forms: not in the message, the
// headers, the body, JSON.stringify, inspect output, or the cause chain.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { Buffer } from "node:buffer";
import process from "node:process";
import {
  type HookContext,
  PATHS,
  VectorVueClient,
  type VectorVueConfig,
  VectorVueTransportError,
} from "../../mod.ts";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import { type ConnectProxy, startConnectProxy } from "../_connect_proxy.ts";
import { capturingLogger } from "../_fake.ts";
import { CA, CERT, KEY, sampleEvent, sampleFinding, TENANT } from "./_helpers.ts";

const USERNAME = "echo-operator";
const PASSWORD = `pw \\ " & < > % + / end-7f3a`;
const SIGNATURE_SECRET = `sig \\"&<>%+/ secret-91c0`;
const PROXY_USER = "proxy-echo-user";
const PROXY_PASSWORD = `px \\ "&<>%+/ pass-5d2e`;

const denoInspect = (globalThis as {
  Deno?: { inspect(value: unknown, options?: Record<string, unknown>): string };
}).Deno?.inspect;

/** Every form of `secret` the server writes and the test looks for (its own encoders). */
function forms(secret: string): string[] {
  const html = (text: string) =>
    text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  return [
    secret,
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    html(secret),
    Buffer.from(secret).toString("base64"),
  ];
}

/** The secrets, each as itself and as user:password where Basic auth would pair it. */
const SECRETS: { name: string; forms: string[] }[] = [
  { name: "password", forms: forms(PASSWORD) },
  { name: "signing secret", forms: forms(SIGNATURE_SECRET) },
  { name: "proxy password", forms: forms(PROXY_PASSWORD) },
  {
    name: "login Basic",
    forms: [Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64")],
  },
  {
    name: "proxy Basic",
    forms: [Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64")],
  },
];

/** What the hostile server answers to anything but a successful login. */
interface Mode {
  status: number;
  contentType: string;
}

describe("a hostile server that echoes every secret in every encoding", () => {
  const emulator = createVectorVueEmulator({
    users: [{ username: USERNAME, password: PASSWORD, tenantId: TENANT, role: "operator" }],
    signatureSecret: SIGNATURE_SECRET,
  });
  let server: Server;
  let proxy: ConnectProxy;
  let baseUrl: string;
  /** Tokens and signatures the server saw: per-request secrets, in every form too. */
  const seen = new Set<string>();
  let mode: Mode = { status: 500, contentType: "application/json" };
  let failLogin = false;
  const saved = new Map<string, string | undefined>();

  before(async () => {
    for (const name of ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"]) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
    server = createServer({ cert: CERT, key: KEY }, async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(
        Object.entries(request.headers).map(([name, value]) => [name, String(value)]),
      );
      if (request.url === PATHS.login && !failLogin) {
        // A real login, so that calls carry a real token the server can echo.
        const answer = await emulator.fetch(
          new Request(`https://echo${request.url}`, { method: "POST", headers, body }),
        );
        response.writeHead(answer.status, { "content-type": "application/json" });
        response.end(await answer.text());
        return;
      }
      const authorization = headers["authorization"] ?? "";
      const token = authorization.replace(/^Bearer /, "");
      if (token) seen.add(token);
      if (headers["x-signature"]) seen.add(headers["x-signature"]);
      const known = [PASSWORD, SIGNATURE_SECRET, PROXY_PASSWORD, token].filter(Boolean);
      const blob = [
        ...known.flatMap(forms),
        Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64"),
        Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64"),
        `request body: ${body}`,
        `request headers: ${JSON.stringify(headers)}`,
      ].join(" | ");
      const echoed: Record<string, string> = {
        "content-type": mode.contentType,
        // Echoed as they came, and under names that do not say secret.
        "authorization": authorization,
        "x-echo-authorization": authorization,
        "x-echo-signature": headers["x-signature"] ?? "",
        "set-cookie": `session=${token}`,
        "www-authenticate": `Basic realm="${encodeURIComponent(PASSWORD)}"`,
        "x-echo-secrets": [
          ...known.flatMap(forms).filter((form) => /^[\x20-\x7e]*$/.test(form)),
          Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString("base64"),
        ].join(" | "),
      };
      response.writeHead(mode.status, echoed);
      response.end(
        mode.contentType === "application/json"
          ? JSON.stringify({ detail: blob, echo: { headers, body }, request_id: "req-echo" })
          : `<html><body><pre>${blob}</pre></body></html>`,
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    proxy = await startConnectProxy({
      credentials: { username: PROXY_USER, password: PROXY_PASSWORD },
    });
  });

  after(async () => {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
    await proxy.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const open = (extra: VectorVueConfig = {}) => {
    const { logger, records: logged } = capturingLogger();
    // What every hook saw (the context of each attempt, with the error a retry is for) is
    // checked with the logs.
    const records: unknown[] = logged;
    const seenByHook = (phase: string) => (context: HookContext) =>
      void records.push({
        phase,
        context: inspect(context, { depth: Infinity }),
        error: context.error === undefined ? undefined : shownForms(context.error),
      });
    const client = new VectorVueClient({
      baseUrl,
      username: USERNAME,
      password: PASSWORD,
      tenantId: TENANT,
      signatureSecret: SIGNATURE_SECRET,
      caCerts: [CA],
      proxy: proxy.url.replace(
        "//",
        `//${PROXY_USER}:${encodeURIComponent(PROXY_PASSWORD)}@`,
      ),
      backoffMs: 1,
      maxBackoffMs: 5,
      maxRetries: 1,
      logger,
      hooks: {
        beforeRequest: [seenByHook("beforeRequest")],
        afterResponse: [seenByHook("afterResponse")],
        beforeRetry: [seenByHook("beforeRetry")],
      },
      ...extra,
    });
    return { client, records };
  };

  /** Every way the outcome can be shown, the cause chain included. */
  function shownForms(outcome: unknown): Record<string, string> {
    const shown: Record<string, string> = {
      "JSON.stringify": JSON.stringify(outcome) ?? "",
      "util.inspect": inspect(outcome, { depth: Infinity, showHidden: true }),
    };
    if (denoInspect) shown["Deno.inspect"] = denoInspect(outcome, { depth: Infinity });
    let cause: unknown = outcome;
    for (let depth = 0; cause instanceof Error && depth < 10; depth++) {
      shown[`message (cause depth ${depth})`] = cause.message;
      shown[`stack (cause depth ${depth})`] = cause.stack ?? "";
      const headers = (cause as { headers?: unknown }).headers;
      if (headers !== undefined) shown[`headers (cause depth ${depth})`] = JSON.stringify(headers);
      const body = (cause as { body?: unknown }).body;
      if (body !== undefined) shown[`body (cause depth ${depth})`] = JSON.stringify(body);
      cause = cause.cause;
    }
    return shown;
  }

  function assertClean(what: string, outcome: unknown, records: readonly unknown[]) {
    const shown = { ...shownForms(outcome), logs: JSON.stringify(records) };
    const perRequest = [...seen].map((secret) => ({
      name: "token or signature",
      forms: forms(secret),
    }));
    for (const secret of [...SECRETS, ...perRequest]) {
      for (const form of secret.forms) {
        for (const [where, text] of Object.entries(shown)) {
          assert.ok(
            !text.includes(form),
            `${what}: the ${secret.name} as ${JSON.stringify(form)} is in ${where}`,
          );
        }
      }
    }
  }

  async function outcomeOf(promise: Promise<unknown>): Promise<unknown> {
    try {
      return await promise;
    } catch (error) {
      return error;
    }
  }

  const cases: [string, Mode, (client: VectorVueClient) => Promise<unknown>][] = [
    [
      "500 with JSON",
      { status: 500, contentType: "application/json" },
      (c) => c.sendEvent(sampleEvent()),
    ],
    [
      "500 with HTML",
      { status: 500, contentType: "text/html" },
      (c) => c.sendFinding(sampleFinding()),
    ],
    [
      "401 after re-login",
      { status: 401, contentType: "application/json" },
      (c) => c.sendEvent(sampleEvent()),
    ],
    ["403", { status: 403, contentType: "text/html" }, (c) => c.sendEvent(sampleEvent())],
    ["422", { status: 422, contentType: "application/json" }, (c) => c.sendEvent(sampleEvent())],
    ["503 retried", { status: 503, contentType: "text/html" }, (c) => c.sendEvent(sampleEvent())],
    [
      "429",
      { status: 429, contentType: "application/json" },
      (c) => c.sendEvent(sampleEvent(), { maxRetries: 0 }),
    ],
    ["200 with HTML", { status: 200, contentType: "text/html" }, (c) => c.sendEvent(sampleEvent())],
    [
      "a batch of 422",
      { status: 422, contentType: "application/json" },
      (c) => c.sendEventsBatch([sampleEvent()]),
    ],
    [
      "sendEvents() refused",
      { status: 500, contentType: "text/html" },
      (c) => c.sendEvents([sampleEvent(), sampleEvent()]),
    ],
  ];
  test("a retried 503: what beforeRetry hooks see holds no secret either", async () => {
    mode = { status: 503, contentType: "application/json" };
    const { client, records } = open();
    try {
      await outcomeOf(client.sendEvent(sampleEvent()));
      const retries = records.filter((r) => (r as { phase?: string }).phase === "beforeRetry");
      assert.ok(retries.length > 0, "a retry was announced to the hook");
      assert.ok(JSON.stringify(retries).includes("x-echo-authorization"), "echoed headers seen");
      assertClean("beforeRetry", null, records);
    } finally {
      await client.close();
    }
  });

  for (const [title, answer, call] of cases) {
    test(`${title}: no secret in any form in what the client gives back or logs`, async () => {
      mode = answer;
      const { client, records } = open({ rateLimitWaitMs: 1_000 });
      try {
        const outcome = await outcomeOf(call(client));
        assert.ok(seen.size > 0, "the server saw a token");
        assert.ok(proxy.tunnels > 0, "the calls went through the proxy");
        assertClean(title, outcome, records);
      } finally {
        await client.close();
      }
    });
  }

  test("a refused login echoing the password in every form: no secret in the error", async () => {
    mode = { status: 422, contentType: "text/html" };
    failLogin = true;
    const { client, records } = open();
    try {
      const outcome = await outcomeOf(client.login());
      assert.ok(outcome instanceof Error);
      assertClean("login", outcome, records);
    } finally {
      failLogin = false;
      await client.close();
    }
  });

  test("a proxy that cannot be reached: the transport error and its cause chain hold no secret", async () => {
    const { client, records } = open({
      // Nothing listens there once the server is closed: the proxy URL, with its credentials,
      // is what the runtime fails on.
      proxy: `http://${PROXY_USER}:${encodeURIComponent(PROXY_PASSWORD)}@127.0.0.1:1`,
      maxRetries: 0,
    });
    try {
      const outcome = await outcomeOf(client.sendEvent(sampleEvent()));
      assert.ok(outcome instanceof VectorVueTransportError, String(outcome));
      assert.ok(outcome.cause instanceof Error, "a cause to scan");
      assertClean("unreachable proxy", outcome, records);
    } finally {
      await client.close();
    }
  });

  test("a runtime error quoting secrets (an injected fetch): the transport error's cause chain is scrubbed", async () => {
    const { logger, records } = capturingLogger();
    const quoting = () =>
      Promise.reject(
        new TypeError(`connect to https://${USERNAME}:${encodeURIComponent(PASSWORD)}@x failed`, {
          cause: new Error(
            `socket said Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64")} and ${
              JSON.stringify(SIGNATURE_SECRET)
            }`,
          ),
        }),
      );
    const client = new VectorVueClient({
      baseUrl,
      username: USERNAME,
      password: PASSWORD,
      tenantId: TENANT,
      signatureSecret: SIGNATURE_SECRET,
      fetch: quoting,
      maxRetries: 0,
      logger,
    });
    try {
      const outcome = await outcomeOf(client.login());
      assert.ok(outcome instanceof VectorVueTransportError, String(outcome));
      let depth = 0;
      for (let cause: unknown = outcome; cause instanceof Error; cause = cause.cause) depth++;
      assert.ok(depth >= 3, `a cause chain to scan (${depth})`);
      assertClean("injected fetch", outcome, records);
    } finally {
      await client.close();
    }
  });

  test("a batcher's dead letters and the error it gives them hold no secret", async () => {
    mode = { status: 403, contentType: "text/html" };
    const { client, records } = open();
    const dead: unknown[] = [];
    try {
      const batcher = client.createBatcher({
        kind: "events",
        onDeadLetter: (items, error) => void dead.push(items, error),
      });
      await batcher.add(sampleEvent());
      await batcher.close();
      assert.equal(dead.length, 2);
      assertClean("batcher", dead, records);
    } finally {
      await client.close();
    }
  });
});
