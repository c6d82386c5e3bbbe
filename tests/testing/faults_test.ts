// Fault injection through `emulator.fetch`: proxy answers, counts and path filters, dropped
// connections, redirects, delays and slow bodies.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createVectorVueEmulator, type Fault } from "../../src/testing/mod.ts";
import {
  BASE,
  call,
  EVENTS,
  LOGIN,
  SAMPLE_EVENT,
  STATUS,
  T0,
  TENANT,
  withToken,
} from "./_helpers.ts";

const LOGIN_BODY = { username: "operator", password: "operator-password" };

describe("fault injection", () => {
  test("answers the next request with the injected status, HTML body and Retry-After, then recovers", async () => {
    const { emulator, token } = await withToken({ now: () => T0 });
    emulator.inject({
      status: 503,
      body: "<html>Service Unavailable</html>",
      contentType: "text/html",
      retryAfter: "2",
    });
    const faulted = await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT });
    assert.equal(faulted.status, 503);
    assert.equal(faulted.text, "<html>Service Unavailable</html>");
    assert.equal(faulted.headers.get("content-type"), "text/html");
    assert.equal(faulted.headers.get("retry-after"), "2");
    assert.equal(faulted.headers.get("date"), "Sun, 22 Feb 2026 10:00:00 GMT");
    assert.equal(emulator.events().length, 0, "a replaced answer does not reach the server");
    assert.equal((await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT })).status, 202);
  });

  test("applies to `count` requests, in injection order", async () => {
    const { emulator, token } = await withToken();
    emulator.inject({ count: 2, status: 502, body: "" });
    emulator.inject({ status: 429, body: "", retryAfter: "Sun, 22 Feb 2026 10:00:05 GMT" });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await call(emulator, "GET", `${STATUS}${TENANT}`, { token })).status);
    }
    assert.deepEqual(statuses, [502, 502, 429, 404]);
  });

  test("`forMs` is an outage: every matching request fails until the time is up, then none", async () => {
    let now = T0;
    const { emulator, token } = await withToken({ now: () => now });
    emulator.inject({ forMs: 10_000, status: 503, body: "" });
    const status = async () =>
      (await call(emulator, "GET", `${STATUS}${TENANT}`, { token })).status;
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push(await status());
    now += 9_999;
    seen.push(await status());
    now += 1;
    seen.push(await status());
    assert.deepEqual(seen, [503, 503, 503, 503, 503, 503, 404]);
    emulator.inject({ forMs: 10_000, count: 1, status: 502, body: "" });
    assert.deepEqual([await status(), await status()], [502, 404], "count ends it first");
  });

  test("matches `path` as a string or a RegExp, and never the login route unless asked", async () => {
    const { emulator, token } = await withToken();
    emulator.inject({ status: 500, body: "" });
    emulator.inject({ path: /\/status\//, status: 504, body: "" });
    assert.equal((await call(emulator, "POST", LOGIN, { body: LOGIN_BODY })).status, 200);
    assert.equal((await call(emulator, "GET", `${STATUS}${TENANT}`, { token })).status, 500);
    assert.equal((await call(emulator, "GET", `${STATUS}${TENANT}`, { token })).status, 504);
    emulator.inject({ path: LOGIN, status: 503, body: "" });
    assert.equal((await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT })).status, 202);
    assert.equal((await call(emulator, "POST", LOGIN, { body: LOGIN_BODY })).status, 503);
  });

  test("lets extra headers override the real response's, Date included", async () => {
    const { emulator, token } = await withToken();
    emulator.inject({ headers: { date: "Mon, 01 Jan 2001 00:00:00 GMT", "x-extra": "1" } });
    const res = await call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT });
    assert.deepEqual(
      [res.status, res.headers.get("date"), res.headers.get("x-extra")],
      [202, "Mon, 01 Jan 2001 00:00:00 GMT", "1"],
    );
  });

  test("redirects with the given status and Location", async () => {
    const emulator = createVectorVueEmulator();
    emulator.inject({ redirect: { status: 308, location: "https://elsewhere.example/" } });
    const res = await emulator.fetch(
      new Request(`${BASE}${EVENTS}`, { method: "POST", redirect: "manual" }),
    );
    assert.deepEqual([res.status, res.headers.get("location")], [
      308,
      "https://elsewhere.example/",
    ]);
  });

  test("drops before responding with a TypeError and without handling the request", async () => {
    const { emulator, token } = await withToken();
    emulator.inject({ drop: "before-response" });
    await assert.rejects(call(emulator, "POST", EVENTS, { token, body: SAMPLE_EVENT }), TypeError);
    assert.equal(emulator.events().length, 0);
    assert.equal(emulator.requests.length, 1, "the request still reached the emulator");
  });

  test("drops mid-body after handling the request, so the event is stored but the answer lost", async () => {
    const { emulator, token } = await withToken();
    emulator.inject({ drop: "mid-body" });
    const response = await emulator.fetch(
      new Request(`${BASE}${EVENTS}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(SAMPLE_EVENT),
      }),
    );
    assert.equal(response.status, 202);
    await assert.rejects(response.text(), TypeError);
    assert.equal(emulator.events().length, 1);
  });

  test("trickles the body one byte per chunk and delivers it whole", async () => {
    const emulator = createVectorVueEmulator();
    emulator.inject({ status: 502, body: "slow", trickleMs: 1 });
    const response = await emulator.fetch(new Request(`${BASE}${EVENTS}`, { method: "POST" }));
    const chunks: number[] = [];
    const reader = response.body!.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      chunks.push(next.value.byteLength);
    }
    assert.deepEqual(chunks, [1, 1, 1, 1]);
  });

  test("delays the answer until the request is aborted, then rejects with the abort reason", async () => {
    const emulator = createVectorVueEmulator();
    emulator.inject({ delayMs: 600_000 });
    const controller = new AbortController();
    const pending = emulator.fetch(new Request(`${BASE}/nope`, { signal: controller.signal }));
    const reason = new Error("client timeout");
    controller.abort(reason);
    await assert.rejects(pending, (error: unknown) => error === reason);
  });

  test("delays and then answers normally when not aborted", async () => {
    const emulator = createVectorVueEmulator();
    emulator.inject({ delayMs: 1 });
    assert.equal((await call(emulator, "GET", "/nope")).status, 404);
  });

  test("rejects an invalid fault with a TypeError naming every problem", () => {
    const emulator = createVectorVueEmulator();
    const bad = { count: 0, status: 99, drop: "sometimes", colour: "red" } as unknown as Fault;
    assert.throws(() => emulator.inject(bad), (error: unknown) => {
      assert.ok(error instanceof TypeError);
      for (const part of ["'count'", "'status'", "'drop'", "'colour'"]) {
        assert.ok(error.message.includes(part), part);
      }
      return true;
    });
  });

  test("reset() drops queued faults", async () => {
    const emulator = createVectorVueEmulator();
    emulator.inject({ count: 5, status: 503, body: "" });
    emulator.reset();
    assert.equal((await call(emulator, "GET", "/nope")).status, 404);
  });
});
