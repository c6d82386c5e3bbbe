// The steps of the call pipeline (src/client/), each alone: what the client tests check through
// the whole client, checked here one step at a time.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { resolveConfig } from "../../src/config.ts";
import { Pacer, type SlotResult } from "../../src/delivery/pacer.ts";
import { parseBody } from "../../src/envelope.ts";
import { VectorVueNotFoundError, VectorVueTokenError } from "../../src/errors.ts";
import { Scrubber } from "../../src/logger.ts";
import { serializeObject } from "../../src/serialize.ts";
import { importHmacKey, signRequest } from "../../src/signing.ts";
import { TransportFailure } from "../../src/transport/attempt.ts";
import { AnswerErrors } from "../../src/client/answer_errors.ts";
import { AttemptHooks } from "../../src/client/attempt_hooks.ts";
import { exchange, type PipelineParts } from "../../src/client/call_run.ts";
import { ServerClock } from "../../src/client/clock.ts";
import { ClientConnection } from "../../src/client/connection.ts";
import type { ClientLog } from "../../src/client/log.ts";
import type { Exchange, Operation } from "../../src/client/operation.ts";
import { PATHS } from "../../src/client/paths.ts";
import { ClientSession } from "../../src/client/session.ts";
import {
  authorise,
  buildHeaders,
  readAnswer,
  RequestSigner,
  unavailableFailure,
} from "../../src/client/steps.ts";
import { json, makeJwt, TENANT, validJwt } from "../_fake.ts";

const BASE = "https://vectorvue.test";
const body = serializeObject({ event_type: "A" }, "event");
const post: Operation = {
  method: "POST",
  path: PATHS.events,
  endpoint: PATHS.events,
  body,
  auth: true,
  sign: true,
  idempotencyKey: "key-1",
  expect: "envelope",
};
const get: Operation = { ...post, method: "GET", body: undefined, idempotencyKey: undefined };

function recordingLog(): { log: ClientLog; records: string[] } {
  const records: string[] = [];
  return { log: (level, message) => records.push(`${level} ${message}`), records };
}

describe("call pipeline steps", () => {
  test("buildHeaders: content-type only with a body, the idempotency key only when given", () => {
    const withBody = buildHeaders("ua/1", "req-1", post);
    assert.deepEqual(withBody, {
      "accept": "application/json",
      "user-agent": "ua/1",
      "x-request-id": "req-1",
      "content-type": "application/json",
      "idempotency-key": "key-1",
    });
    const without = buildHeaders("ua/1", "req-2", get);
    assert.equal(without["content-type"], undefined);
    assert.equal(without["idempotency-key"], undefined);
  });

  test("authorise: a bearer token only for an operation that needs one", async () => {
    const asked: unknown[] = [];
    const session = {
      bearer: (limits?: unknown) => (asked.push(limits), Promise.resolve("tok")),
    };
    const headers: Record<string, string> = {};
    assert.equal(await authorise(headers, post, session, { timeoutMs: 5 }), "tok");
    assert.equal(headers["authorization"], "Bearer tok");
    assert.deepEqual(asked, [{ timeoutMs: 5 }]);
    const none: Record<string, string> = {};
    assert.equal(await authorise(none, { ...post, auth: false }, session, {}), undefined);
    assert.deepEqual(none, {});
    assert.equal(asked.length, 1);
  });

  test("RequestSigner: signs at the server's time, and the signature becomes a secret", async () => {
    const scrubber = new Scrubber();
    const signer = new RequestSigner("s3cret", scrubber);
    const clock = new ServerClock(() => {});
    clock.observe(new Date(Date.now() + 3_600_000).toUTCString()); // the server is an hour ahead
    const headers: Record<string, string> = {};
    await signer.sign(headers, post, clock);
    const timestamp = Number(headers["x-timestamp"]);
    assert.ok(Math.abs(timestamp - (Date.now() / 1000 + 3600)) < 5, `timestamp ${timestamp}`);
    const expected = await signRequest(await importHmacKey("s3cret"), timestamp, body.bytes);
    assert.equal(headers["x-signature"], expected["X-Signature"]);
    assert.ok(!scrubber.text(`sig ${headers["x-signature"]}`).includes(headers["x-signature"]));
    for (const operation of [{ ...post, sign: false }, get]) {
      const unsigned: Record<string, string> = {};
      await signer.sign(unsigned, operation, clock);
      assert.deepEqual(unsigned, {});
    }
    const noSecret: Record<string, string> = {};
    await new RequestSigner(undefined, scrubber).sign(noSecret, post, clock);
    assert.deepEqual(noSecret, {});
  });

  test("ServerClock: corrects beyond 30 s only, and says so once", () => {
    const { log, records } = recordingLog();
    const clock = new ServerClock(log);
    assert.equal(clock.measuredOffsetMs, undefined);
    clock.observe(new Date(Date.now() + 10_000).toUTCString());
    assert.equal(clock.offsetMs, 0);
    assert.ok(Math.abs(clock.measuredOffsetMs! - 10_000) < 2_000);
    clock.observe(new Date(Date.now() - 120_000).toUTCString());
    assert.ok(Math.abs(clock.offsetMs + 120_000) < 2_000);
    clock.observe(new Date(Date.now() - 120_000).toUTCString());
    clock.observe("not a date");
    assert.deepEqual(records, ["warn vectorvue clock correction"]);
    assert.ok(Math.abs(clock.now() - (Date.now() - 120_000)) < 2_000);
  });

  test("readAnswer: Retry-After in the server's time, capped for the pacer's slot", () => {
    const clock = new ServerClock(() => {});
    const settled: SlotResult[] = [];
    const slot = { settle: (result: SlotResult) => void settled.push(result) };
    const answer = {
      status: 429,
      headers: { "retry-after": "120", "date": new Date().toUTCString() },
      text: '{"request_id":"r"}',
    };
    const read = readAnswer(answer, clock, slot, 30_000);
    assert.equal(read.status, 429);
    assert.equal(read.retryAfterMs, 120_000);
    assert.deepEqual(read.parsed, parseBody(answer.text));
    assert.deepEqual(settled, [{ status: 429, retryAfterMs: 30_000 }]);
    assert.notEqual(clock.measuredOffsetMs, undefined);
  });

  test("unavailableFailure: only a connection failure or a timeout pauses the client", () => {
    assert.equal(unavailableFailure(new TransportFailure("connection", "refused")), "connection");
    assert.equal(unavailableFailure(new TransportFailure("timeout", "slow")), "timeout");
    assert.equal(unavailableFailure(new TransportFailure("tls", "bad cert")), undefined);
    assert.equal(unavailableFailure(new Error("aborted")), undefined);
  });

  test("AttemptHooks: none without hooks; the retry error is made only for beforeRetry", async () => {
    const facts = {
      method: "POST" as const,
      route: "/r",
      url: BASE + "/r",
      attempt: 1,
      requestId: "q",
    };
    assert.equal(AttemptHooks.start({}, (text) => text, facts, {}), undefined);
    let made = 0;
    const seen: unknown[] = [];
    const hooks = AttemptHooks.start(
      { afterResponse: [(context) => void seen.push(context.status)] },
      (text) => text,
      facts,
      { authorization: "Bearer tok" },
    )!;
    await hooks.afterResponse(503, 12);
    await hooks.beforeRetry(100, () => (made++, new VectorVueTokenError("x")));
    assert.deepEqual(seen, [503]);
    assert.equal(made, 0);
    assert.equal(
      hooks.headersToSend({ authorization: "Bearer tok" })["authorization"],
      "Bearer tok",
    );
  });

  test("AnswerErrors: the class by status, and the tenant hint for a status lookup", () => {
    const config = resolveConfig({ baseUrl: BASE, token: validJwt() });
    const errors = new AnswerErrors(config, new Scrubber());
    const text =
      '{"request_id":"srv-1","errors":[{"code":"not_found","message":"Request not found"}]}';
    const answered: Exchange = {
      url: BASE + "/x",
      answer: { status: 404, headers: {}, text },
      parsed: parseBody(text),
      retryCount: 0,
      sentRequestId: "sent-1",
    };
    const error = errors.apiError(PATHS.ingestStatus, "GET", answered);
    assert.ok(error instanceof VectorVueNotFoundError);
    assert.match(error.message, /belongs to another tenant/);
    assert.equal(error.requestId, "srv-1");
    assert.doesNotMatch(errors.apiError(PATHS.events, "POST", answered).message, /another tenant/);
  });
});

describe("session", () => {
  function session(exchangeAnswers: Array<() => Response>) {
    const config = resolveConfig({ baseUrl: BASE, username: "u", password: "p", tenantId: TENANT });
    const scrubber = new Scrubber();
    const logins: Operation[] = [];
    const clock = new ServerClock(() => {});
    return {
      logins,
      session: new ClientSession({
        config,
        clock,
        scrubber,
        errors: new AnswerErrors(config, scrubber),
        log: () => {},
        exchange: async (operation) => {
          logins.push(operation);
          const response = exchangeAnswers.shift()!();
          const text = await response.text();
          return {
            url: BASE + operation.path,
            answer: { status: response.status, headers: {}, text },
            parsed: parseBody(text),
            retryCount: 0,
            sentRequestId: "q",
          };
        },
      }),
    };
  }

  test("one login for concurrent callers, and a renewal before the token expires", async () => {
    const now = Math.floor(Date.now() / 1000);
    const soon = makeJwt({ tenant_id: TENANT, iat: now - 3000, exp: now + 30 });
    const later = validJwt();
    const { session: s, logins } = session([
      () => json(200, { access_token: soon }),
      () => json(200, { access_token: later }),
    ]);
    const [a, b] = await Promise.all([s.bearer(), s.bearer()]);
    assert.equal(a, soon);
    assert.equal(b, soon);
    assert.equal(logins.length, 1);
    assert.equal(logins[0].auth, false);
    // 30 s left, inside the 60 s margin: the next request logs in again.
    assert.equal(await s.bearer(), later);
    assert.equal(await s.bearer(), later);
    assert.equal(logins.length, 2);
    assert.equal(s.tenantId, TENANT);
  });

  test("forget() drops only the token the server refused", async () => {
    const first = validJwt({ n: 1 });
    const second = validJwt({ n: 2 });
    const { session: s, logins } = session([
      () => json(200, { access_token: first }),
      () => json(200, { access_token: second }),
    ]);
    assert.equal(await s.bearer(), first);
    s.forget("an older token");
    assert.equal(await s.bearer(), first);
    s.forget(first);
    assert.equal(await s.bearer(), second);
    assert.equal(logins.length, 2);
  });
});

describe("exchange", () => {
  function parts(replies: Array<Response | Error>): { parts: PipelineParts; sent: Request[] } {
    const sent: Request[] = [];
    const config = resolveConfig({
      baseUrl: BASE,
      token: validJwt(),
      backoffMs: 1,
      maxBackoffMs: 1,
      fetch: (input, init) => {
        sent.push(new Request(input, init));
        const reply = replies.shift()!;
        return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
      },
    });
    const scrubber = new Scrubber();
    const clock = new ServerClock(() => {});
    const errors = new AnswerErrors(config, scrubber);
    const session = new ClientSession({
      config,
      clock,
      scrubber,
      errors,
      log: () => {},
      exchange: () => Promise.reject(new Error("no login expected")),
    });
    return {
      sent,
      parts: {
        config,
        scrubber,
        pacer: new Pacer(config.rateLimit, { backoff: config }),
        clock,
        session,
        signer: new RequestSigner(undefined, scrubber),
        connection: new ClientConnection(config),
        errors,
        log: () => {},
      },
    };
  }

  test("retries a 503 and returns the last answer, an error status included", async () => {
    const { parts: p, sent } = parts([
      json(503, { errors: [{ code: "service_unavailable" }] }),
      json(404, { request_id: "r", errors: [{ code: "not_found" }] }),
    ]);
    const result = await exchange(p, get, { maxRetries: 1 });
    assert.equal(result.answer.status, 404);
    assert.equal(result.retryCount, 1);
    assert.equal(sent.length, 2);
    assert.notEqual(sent[0].headers.get("x-request-id"), sent[1].headers.get("x-request-id"));
    assert.equal(result.sentRequestId, sent[1].headers.get("x-request-id"));
  });

  test("retries a connection failure, counting it as a retry", async () => {
    const { parts: p, sent } = parts([new TypeError("fetch failed"), json(200, { ok: true })]);
    const result = await exchange(p, get, { maxRetries: 1 });
    assert.equal(result.answer.status, 200);
    assert.equal(result.retryCount, 1);
    assert.equal(sent.length, 2);
  });
});
