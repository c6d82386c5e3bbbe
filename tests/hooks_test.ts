// Hooks: the runner, the redacted view of the headers, and what reaches the wire.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  type HookContext,
  PATHS,
  VectorVueAPIError,
  VectorVueClient,
  type VectorVueConfig,
  VectorVueConfigError,
  VectorVueHookError,
  VectorVueTransportError,
} from "../mod.ts";
import { createVectorVueEmulator, type ServedEmulator } from "../src/testing/mod.ts";
import { sampleEvent } from "./_fake.ts";
import { attemptContext, headersToSend, type Hook, hooksProblems, runHooks } from "../src/hooks.ts";

const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRfaWQiOiJ0In0.real-token-signature";
const SIGNATURE = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const OWN = {
  "accept": "application/json",
  "authorization": `Bearer ${TOKEN}`,
  "x-signature": SIGNATURE,
  "x-timestamp": "1764500000",
  "x-request-id": "6f1c1f2e-8d8e-4c57-9d0e-4e1f0b8c2a11",
  "user-agent": "vectorvue-client/0.1.0 (deno 2.9.6)",
};
const context = () =>
  attemptContext({
    method: "POST",
    route: "/api/v1/integrations/spectrastrike/events",
    url: "https://127.0.0.1/api/v1/integrations/spectrastrike/events",
    attempt: 1,
    requestId: OWN["x-request-id"],
  }, OWN);
const noScrub = (text: string) => text;

describe("hooks", () => {
  test("hooks see the token and signature redacted, the rest as sent", () => {
    const seen = context();
    assert.equal(seen.headers.get("authorization"), "Bearer [REDACTED]");
    assert.equal(seen.headers.get("x-signature"), "[REDACTED]");
    assert.equal(seen.headers.get("x-timestamp"), "1764500000");
    const all = JSON.stringify([...seen.headers]);
    assert.doesNotMatch(all, /real-token-signature|9f86d081/);
  });

  test("headers a hook adds are sent; the client's own keep their real values", async () => {
    const seen = context();
    await runHooks(
      "beforeRequest",
      [(c) => {
        c.headers.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        c.headers.set("user-agent", "custom");
      }],
      seen,
      noScrub,
    );
    const sent = headersToSend(OWN, seen);
    assert.equal(sent.traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    assert.equal(sent.authorization, `Bearer ${TOKEN}`);
    assert.equal(sent["x-signature"], SIGNATURE);
    assert.equal(sent["user-agent"], "custom");
  });

  test("hooks run in order, each awaited, on one context object", async () => {
    const order: string[] = [];
    const seen = context();
    const objects = new Set<unknown>();
    const slow: Hook = async (c) => {
      objects.add(c);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push("slow");
    };
    await runHooks(
      "afterResponse",
      [slow, (c) => {
        objects.add(c);
        order.push("fast");
      }],
      seen,
      noScrub,
    );
    assert.deepEqual(order, ["slow", "fast"]);
    assert.equal(objects.size, 1);
  });

  test("a hook that throws fails with VectorVueHookError naming the phase, position and function", async () => {
    const boom = new Error(`exporter down, token ${TOKEN}`);
    const fine: Hook = () => {};
    async function exportSpan() {
      await Promise.resolve();
      throw boom;
    }
    const scrub = (text: string) => text.replaceAll(TOKEN, "[REDACTED]");
    const error = await runHooks("afterResponse", [fine, exportSpan], context(), scrub).then(
      () => assert.fail("resolved"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof VectorVueHookError);
    assert.equal(error.hook, "afterResponse");
    assert.equal(error.position, 2);
    assert.equal(
      error.message,
      "afterResponse hook #2 (exportSpan) threw: exporter down, token [REDACTED]",
    );
    assert.equal(error.cause, boom);
  });

  for (const name of ["authorization", "x-signature", "x-request-id", "idempotency-key"]) {
    test(`a beforeRequest hook may not change ${name}`, async () => {
      const error = await runHooks(
        "beforeRequest",
        [(c) => c.headers.set(name, "mine")],
        context(),
        noScrub,
      )
        .then(() => assert.fail("resolved"), (e: unknown) => e);
      assert.ok(error instanceof VectorVueHookError);
      assert.equal(
        error.message,
        `beforeRequest hook #1 changed the ${name} header, which the client sets itself`,
      );
    });
  }

  test("hooksProblems() names every unusable entry", () => {
    assert.deepEqual(hooksProblems(undefined), []);
    assert.deepEqual(hooksProblems({ beforeRequest: [() => {}], afterResponse: undefined }), []);
    assert.deepEqual(hooksProblems([]), ["hooks must be an object like { beforeRequest: [fn] }"]);
    assert.deepEqual(hooksProblems({ beforeRequest: () => {}, onError: [] }), [
      "hooks.beforeRequest must be an array of functions",
      "hooks.onError is not a hook; use beforeRequest, afterResponse, beforeRetry",
    ]);
  });
});

// Hooks and per-call limits on a real client, against the emulator over HTTPS.
describe("hooks on a client", () => {
  const fixture = (name: string) =>
    readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
  const SIGNING_SECRET = "hooks-test-signing-secret-0123456789";
  const emulator = createVectorVueEmulator({ signatureSecret: SIGNING_SECRET });
  let server: ServedEmulator;
  const clients: VectorVueClient[] = [];
  const client = (extra: VectorVueConfig = {}) => {
    const made = new VectorVueClient({
      baseUrl: server.url,
      ...emulator.defaults,
      caCerts: [fixture("ca.pem")],
      signatureSecret: SIGNING_SECRET,
      backoffMs: 5,
      maxBackoffMs: 20,
      ...extra,
    });
    clients.push(made);
    return made;
  };
  before(async () => {
    server = await emulator.serve({ cert: fixture("server.pem"), key: fixture("server-key.pem") });
  });
  after(async () => {
    await Promise.all(clients.map((made) => made.close()));
    await server.close();
  });

  test("a beforeRequest hook propagates a W3C traceparent that the emulator receives", async () => {
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const traced = client({
      hooks: { beforeRequest: [(ctx) => ctx.headers.set("traceparent", traceparent)] },
    });
    const received = emulator.requests.length;
    await traced.sendEvent(sampleEvent());
    const seen = emulator.requests.slice(received);
    assert.deepEqual(seen.map((r) => r.path), [PATHS.login, PATHS.events]);
    for (const request of seen) assert.equal(request.headers.traceparent, traceparent);
  });

  test("hooks count the attempts and retries of a 503-503-202 call, one context per attempt", async () => {
    const log: string[] = [];
    const contexts: HookContext[][] = [];
    const remember = (ctx: HookContext) => {
      if (ctx.route !== PATHS.events) return;
      (contexts[ctx.attempt - 1] ??= []).push(ctx);
    };
    const counted = client({
      hooks: {
        beforeRequest: [(ctx) => {
          remember(ctx);
          log.push(`request ${ctx.route} #${ctx.attempt}`);
        }],
        afterResponse: [(ctx) => {
          remember(ctx);
          assert.ok(typeof ctx.durationMs === "number" && ctx.durationMs >= 0);
          log.push(`response ${ctx.status} #${ctx.attempt}`);
        }],
        beforeRetry: [(ctx) => {
          remember(ctx);
          assert.ok(ctx.error instanceof VectorVueAPIError);
          assert.equal(ctx.error.httpStatus, 503);
          assert.ok(typeof ctx.delayMs === "number" && ctx.delayMs >= 0 && ctx.delayMs <= 20);
          log.push(`retry #${ctx.attempt}`);
        }],
      },
    });
    await counted.login();
    log.length = 0;
    emulator.inject({ count: 2, path: PATHS.events, status: 503, body: "busy" });
    const result = await counted.sendEvent(sampleEvent());
    assert.equal(result.retryCount, 2);
    assert.deepEqual(log, [
      `request ${PATHS.events} #1`,
      "response 503 #1",
      "retry #1",
      `request ${PATHS.events} #2`,
      "response 503 #2",
      "retry #2",
      `request ${PATHS.events} #3`,
      "response 202 #3",
    ]);
    assert.deepEqual(contexts.map((perAttempt) => new Set(perAttempt).size), [1, 1, 1]);
    assert.deepEqual(contexts.map((perAttempt) => perAttempt.length), [3, 3, 2]);
  });

  test("hooks never see the token, the signing secret or a signature", async () => {
    const seen: string[] = [];
    const record = (ctx: HookContext) => {
      seen.push(JSON.stringify({ ...ctx, headers: [...ctx.headers], error: ctx.error?.message }));
    };
    const watched = client({
      hooks: { beforeRequest: [record], afterResponse: [record], beforeRetry: [record] },
    });
    const token = await watched.login();
    const received = emulator.requests.length;
    emulator.inject({ path: PATHS.events, status: 503, body: "busy" });
    await watched.sendEvent(sampleEvent());
    const signatures = emulator.requests.slice(received).map((r) => r.headers["x-signature"]);
    assert.equal(signatures.length, 2);
    const all = seen.join("\n");
    assert.match(all, /Bearer \[REDACTED\]/);
    for (const secret of [token, token.split(".")[2], SIGNING_SECRET, ...signatures]) {
      assert.ok(!all.includes(secret), `a hook saw ${secret}`);
    }
  });

  test("a throwing beforeRequest hook fails the call with VectorVueHookError before anything is sent", async () => {
    async function startSpan() {
      await Promise.resolve();
      throw new Error("tracer not initialised");
    }
    const broken = client({ hooks: { beforeRequest: [startSpan] } });
    const received = emulator.requests.length;
    await assert.rejects(
      broken.getIngestStatus("00000000-0000-4000-8000-000000000000"),
      (error: unknown) =>
        error instanceof VectorVueHookError && error.hook === "beforeRequest" &&
        error.message === "beforeRequest hook #1 (startSpan) threw: tracer not initialised",
    );
    assert.equal(emulator.requests.length, received);
  });

  test("a status poll with { maxRetries: 0, timeoutMs: 200 } fails after one attempt in about 200 ms", async () => {
    const poller = client({ timeoutMs: 10_000, maxRetries: 3 });
    const sent = await poller.sendEvent(sampleEvent());
    let attempts = 0;
    const counting = client({
      timeoutMs: 10_000,
      maxRetries: 3,
      hooks: { beforeRequest: [(ctx) => void (ctx.route === PATHS.ingestStatus && attempts++)] },
    });
    await counting.login();
    emulator.inject({ count: 4, path: /\/ingest\/status\//, delayMs: 5_000 });
    const started = performance.now();
    const error = await counting.getIngestStatus(sent.requestId!, { maxRetries: 0, timeoutMs: 200 })
      .then(() => assert.fail("resolved"), (e: unknown) => e);
    const elapsed = performance.now() - started;
    assert.ok(error instanceof VectorVueTransportError, String(error));
    assert.equal(error.kind, "timeout");
    assert.equal(error.attempts, 1);
    assert.equal(attempts, 1);
    assert.ok(elapsed >= 190 && elapsed < 1_500, `took ${Math.round(elapsed)} ms`);
    emulator.reset();
  });

  test("bad per-call limits are a VectorVueConfigError before anything is sent", async () => {
    const strict = client();
    const received = emulator.requests.length;
    await assert.rejects(
      strict.getIngestStatus("x", { timeoutMs: 0, maxRetries: 1.5 }),
      (error: unknown) =>
        error instanceof VectorVueConfigError &&
        error.problems.join("; ") ===
          "getIngestStatus: timeoutMs must be a positive number, got 0; " +
            "getIngestStatus: maxRetries must be a non-negative integer, got 1.5",
    );
    assert.equal(emulator.requests.length, received);
  });
});
