import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type AttemptLimits,
  type AttemptRequest,
  classifyNetworkError,
  sendAttempt,
  TransportFailure,
} from "../../src/transport/attempt.ts";
import { withTimerSpy } from "../_fake.ts";

const URL_ = "https://vv.example:8443/api/v1/integrations/spectrastrike/events";
const REQUEST: AttemptRequest = {
  url: URL_,
  method: "POST",
  headers: { "content-type": "application/json", authorization: "Bearer abc.def.ghi" },
  body: new TextEncoder().encode('{"event_type":"PROCESS_ANOMALY"}'),
};
const LIMITS: AttemptLimits = { timeoutMs: 5_000, maxResponseBytes: 1_024 };

/** A fetch that records its calls and answers with `reply`. */
function fakeFetch(reply: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>) {
  const calls: { input: RequestInfo | URL; init?: RequestInit }[] = [];
  const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ input, init });
    return reply(input, init);
  }) as typeof fetch;
  return { fetch: fetchImpl, calls };
}

/** A body stream that never delivers a byte; records whether it was cancelled. */
function stalledBody() {
  const state = { cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

/** A body stream of `chunkSize`-byte chunks, up to `maxChunks`, counting what was pulled. */
function countingBody(chunkSize: number, maxChunks: number) {
  const state = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (state.pulled >= maxChunks) {
        controller.close();
        return;
      }
      state.pulled++;
      controller.enqueue(new Uint8Array(chunkSize).fill(0x61));
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

/** Records the abort listeners added to and removed from `signal`. */
function listenerSpy(signal: AbortSignal) {
  const added = new Set<unknown>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, listener: EventListener, options?: unknown) => {
    if (type === "abort") added.add(listener);
    add(type, listener, options as AddEventListenerOptions);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, listener: EventListener) => {
    if (type === "abort") added.delete(listener);
    remove(type, listener);
  }) as typeof signal.removeEventListener;
  return { attached: () => added.size };
}

async function failure(promise: Promise<unknown>): Promise<TransportFailure> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TransportFailure, `expected TransportFailure, got ${error}`);
    assert.equal(error.name, "TransportFailure");
    return error;
  }
  assert.fail("expected the attempt to fail");
}

function networkError(message: string, cause?: unknown): TypeError {
  return new TypeError(message, cause === undefined ? undefined : { cause });
}

describe("sendAttempt()", () => {
  test("sendAttempt() returns status, lower-case headers and the whole body text", async () => {
    const { fetch } = fakeFetch(() =>
      Promise.resolve(
        new Response('{"status":"accepted"}', {
          status: 202,
          headers: { "Content-Type": "application/json", "X-Request-ID": "req-1" },
        }),
      )
    );
    const answer = await sendAttempt(fetch, REQUEST, LIMITS);
    assert.equal(answer.status, 202);
    assert.equal(answer.text, '{"status":"accepted"}');
    assert.equal(answer.headers["content-type"], "application/json");
    assert.equal(answer.headers["x-request-id"], "req-1");
  });

  test("sendAttempt() passes url, method, headers, body, redirect: manual and a signal to fetch", async () => {
    const { fetch, calls } = fakeFetch(() => Promise.resolve(new Response("")));
    await sendAttempt(fetch, REQUEST, LIMITS);
    assert.equal(calls.length, 1);
    const [{ input, init }] = calls;
    assert.equal(input, URL_);
    assert.equal(init?.method, "POST");
    assert.deepEqual(init?.headers, REQUEST.headers);
    assert.equal(init?.body, REQUEST.body);
    assert.equal(init?.redirect, "manual");
    assert.ok(init?.signal instanceof AbortSignal);
    assert.equal(init?.signal?.aborted, false);
  });

  test("sendAttempt() hands a redirect back as it is instead of following it", async () => {
    const { fetch, calls } = fakeFetch(() =>
      Promise.resolve(
        new Response(null, { status: 302, headers: { location: "https://elsewhere.example/" } }),
      )
    );
    const answer = await sendAttempt(fetch, REQUEST, LIMITS);
    assert.equal(answer.status, 302);
    assert.equal(answer.headers.location, "https://elsewhere.example/");
    assert.equal(answer.text, "");
    assert.equal(calls.length, 1);
  });

  test("sendAttempt() decodes UTF-8 split across chunks", async () => {
    const bytes = new TextEncoder().encode('{"message":"café ✓"}');
    const split = bytes.indexOf(0xc3) + 1; // inside "é"
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, split));
        controller.enqueue(bytes.slice(split));
        controller.close();
      },
    });
    const { fetch } = fakeFetch(() => Promise.resolve(new Response(stream)));
    const answer = await sendAttempt(fetch, REQUEST, LIMITS);
    assert.equal(answer.text, '{"message":"café ✓"}');
  });

  test("sendAttempt() times out on a body that never finishes", async () => {
    const { stream } = stalledBody();
    const { fetch } = fakeFetch(() => Promise.resolve(new Response(stream, { status: 200 })));
    const error = await failure(sendAttempt(fetch, REQUEST, { ...LIMITS, timeoutMs: 50 }));
    assert.equal(error.kind, "timeout");
    assert.match(error.message, /^no complete answer within timeoutMs \(50 ms\)$/);
  });

  test("sendAttempt() aborts the fetch signal when the deadline passes", async () => {
    let seen: AbortSignal | undefined;
    const { fetch } = fakeFetch((_input, init) =>
      new Promise((_resolve, reject) => {
        seen = init?.signal ?? undefined;
        seen?.addEventListener("abort", () => reject(seen?.reason));
      })
    );
    const error = await failure(sendAttempt(fetch, REQUEST, { ...LIMITS, timeoutMs: 50 }));
    assert.equal(error.kind, "timeout");
    assert.equal(seen?.aborted, true);
  });

  test("sendAttempt() still times out when fetch ignores its signal", async () => {
    const { fetch } = fakeFetch(() => new Promise<Response>(() => {}));
    const error = await failure(sendAttempt(fetch, REQUEST, { ...LIMITS, timeoutMs: 50 }));
    assert.equal(error.kind, "timeout");
    assert.match(error.message, /timeoutMs \(50 ms\)/);
  });

  test("sendAttempt() rejects with the caller's reason when aborted during fetch, not a TransportFailure", async () => {
    const controller = new AbortController();
    const reason = new Error("caller cancelled");
    const { fetch } = fakeFetch(() => {
      queueMicrotask(() => controller.abort(reason));
      return new Promise<Response>(() => {});
    });
    await assert.rejects(
      sendAttempt(fetch, REQUEST, { ...LIMITS, signal: controller.signal }),
      (error) => {
        assert.equal(error, reason);
        assert.ok(!(error instanceof TransportFailure));
        return true;
      },
    );
  });

  test("sendAttempt() rejects with the caller's reason when aborted while reading the body", async () => {
    const controller = new AbortController();
    const reason = new DOMException("user pressed stop", "AbortError");
    const { stream } = stalledBody();
    const { fetch } = fakeFetch(() => {
      setTimeout(() => controller.abort(reason), 0);
      return Promise.resolve(new Response(stream));
    });
    await assert.rejects(
      sendAttempt(fetch, REQUEST, { ...LIMITS, signal: controller.signal }),
      (error) => {
        assert.equal(error, reason);
        return true;
      },
    );
  });

  test("sendAttempt() rejects at once with the reason of an already aborted signal, without fetching", async () => {
    const reason = new Error("already gone");
    const { fetch, calls } = fakeFetch(() => Promise.resolve(new Response("")));
    await assert.rejects(
      sendAttempt(fetch, REQUEST, { ...LIMITS, signal: AbortSignal.abort(reason) }),
      (error) => {
        assert.equal(error, reason);
        return true;
      },
    );
    assert.equal(calls.length, 0);
  });

  test("sendAttempt() clears its deadline timer and caller listener after an answer", async () => {
    await withTimerSpy(async ({ pending }) => {
      const controller = new AbortController();
      const listeners = listenerSpy(controller.signal);
      const { fetch } = fakeFetch(() => Promise.resolve(new Response("ok")));
      await sendAttempt(fetch, REQUEST, {
        ...LIMITS,
        timeoutMs: 60_000,
        signal: controller.signal,
      });
      assert.equal(pending(), 0, "the 60 s deadline timer must be cleared");
      assert.equal(listeners.attached(), 0, "the abort listener must be removed");
    });
  });

  test("sendAttempt() clears its deadline timer and caller listener after a failure", async () => {
    await withTimerSpy(async ({ pending }) => {
      const controller = new AbortController();
      const listeners = listenerSpy(controller.signal);
      const { fetch } = fakeFetch(() => Promise.reject(networkError("fetch failed")));
      await failure(
        sendAttempt(fetch, REQUEST, { ...LIMITS, timeoutMs: 60_000, signal: controller.signal }),
      );
      assert.equal(pending(), 0);
      assert.equal(listeners.attached(), 0);
    });
  });

  test("sendAttempt() clears its deadline timer when the caller aborts", async () => {
    await withTimerSpy(async ({ pending }) => {
      const controller = new AbortController();
      const { fetch } = fakeFetch(() => {
        queueMicrotask(() => controller.abort(new Error("stop")));
        return new Promise<Response>(() => {});
      });
      await assert.rejects(
        sendAttempt(fetch, REQUEST, { ...LIMITS, timeoutMs: 60_000, signal: controller.signal }),
        /stop/,
      );
      assert.equal(pending(), 0);
    });
  });

  test("sendAttempt() refuses a response whose content-length exceeds maxResponseBytes, without reading it", async () => {
    const { stream, state } = countingBody(512, 10);
    const { fetch } = fakeFetch(() =>
      Promise.resolve(new Response(stream, { headers: { "content-length": "5120" } }))
    );
    const error = await failure(
      sendAttempt(fetch, REQUEST, { ...LIMITS, maxResponseBytes: 1_000 }),
    );
    assert.equal(error.kind, "response_too_large");
    assert.match(error.message, /^response body of 5120 bytes exceeds maxResponseBytes \(1000\)$/);
    assert.equal(state.pulled, 0, "no chunk should have been read");
    assert.equal(state.cancelled, true, "the body should have been cancelled");
  });

  test("sendAttempt() refuses a streamed response without content-length once it passes maxResponseBytes", async () => {
    const { stream, state } = countingBody(100, 1_000);
    const { fetch } = fakeFetch(() => Promise.resolve(new Response(stream)));
    const error = await failure(sendAttempt(fetch, REQUEST, { ...LIMITS, maxResponseBytes: 250 }));
    assert.equal(error.kind, "response_too_large");
    assert.match(
      error.message,
      /^response body exceeds maxResponseBytes \(250\); refused without buffering the rest$/,
    );
    assert.equal(state.pulled, 3, "reading should stop at the chunk that crosses the limit");
    assert.equal(state.cancelled, true, "the rest of the body should have been cancelled");
  });

  test("sendAttempt() streams a compressed answer, whose Content-Length counts compressed bytes, and refuses it past the limit", async () => {
    const { stream, state } = countingBody(100, 1_000);
    const { fetch } = fakeFetch(() =>
      Promise.resolve(
        new Response(stream, { headers: { "content-length": "80", "content-encoding": "gzip" } }),
      )
    );
    const error = await failure(sendAttempt(fetch, REQUEST, { ...LIMITS, maxResponseBytes: 250 }));
    assert.equal(error.kind, "response_too_large");
    assert.equal(state.cancelled, true);
  });

  test("sendAttempt() refuses a body longer than its own Content-Length claims", async () => {
    const { fetch } = fakeFetch(() =>
      Promise.resolve(new Response("a".repeat(500), { headers: { "content-length": "10" } }))
    );
    const error = await failure(sendAttempt(fetch, REQUEST, { ...LIMITS, maxResponseBytes: 250 }));
    assert.equal(error.kind, "response_too_large");
  });

  test("sendAttempt() accepts a body of exactly maxResponseBytes", async () => {
    const { stream } = countingBody(100, 3);
    const { fetch } = fakeFetch(() => Promise.resolve(new Response(stream)));
    const answer = await sendAttempt(fetch, REQUEST, { ...LIMITS, maxResponseBytes: 300 });
    assert.equal(answer.text, "a".repeat(300));
  });

  test("sendAttempt() turns a refused connection into a connection failure with the cause", async () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 10.0.0.5:8443"), {
      code: "ECONNREFUSED",
    });
    const rejection = networkError("fetch failed", cause);
    const { fetch } = fakeFetch(() => Promise.reject(rejection));
    const error = await failure(sendAttempt(fetch, REQUEST, LIMITS));
    assert.equal(error.kind, "connection");
    assert.equal(error.cause, rejection);
    assert.match(
      error.message,
      /^connection to https:\/\/vv\.example:8443 failed \(ECONNREFUSED: fetch failed: connect ECONNREFUSED/,
    );
  });

  test("sendAttempt() turns a certificate failure into a TLS failure", async () => {
    const { fetch } = fakeFetch(() =>
      Promise.reject(networkError("fetch failed", { code: "SELF_SIGNED_CERT_IN_CHAIN" }))
    );
    const error = await failure(sendAttempt(fetch, REQUEST, LIMITS));
    assert.equal(error.kind, "tls");
  });
});

describe("classifyNetworkError()", () => {
  test("classifyNetworkError() calls a Node certificate code TLS and points to caCerts", () => {
    const error = networkError("fetch failed", { code: "SELF_SIGNED_CERT_IN_CHAIN" });
    const failure = classifyNetworkError(error, URL_);
    assert.equal(failure.kind, "tls");
    assert.match(
      failure.message,
      /TLS\/certificate verification with https:\/\/vv\.example:8443 failed/,
    );
    assert.match(failure.message, /SELF_SIGNED_CERT_IN_CHAIN/);
    assert.match(failure.message, /pass it with caCerts$/);
    assert.equal(failure.cause, error);
  });

  test("classifyNetworkError() calls other Node certificate codes TLS", () => {
    for (
      const code of [
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        "DEPTH_ZERO_SELF_SIGNED_CERT",
        "ERR_TLS_CERT_ALTNAME_INVALID",
        "CERT_HAS_EXPIRED",
      ]
    ) {
      const cause = Object.assign(new Error("certificate problem"), { code });
      assert.equal(
        classifyNetworkError(networkError("fetch failed", cause), URL_).kind,
        "tls",
        code,
      );
    }
  });

  test("classifyNetworkError() calls Deno's 'invalid peer certificate: UnknownIssuer' TLS", () => {
    const error = networkError(
      "error sending request for url (https://vv.example:8443/api): client error (Connect): " +
        "invalid peer certificate: UnknownIssuer",
    );
    const failure = classifyNetworkError(error, URL_);
    assert.equal(failure.kind, "tls");
    assert.match(failure.message, /TLS\/certificate/);
    assert.match(failure.message, /caCerts/);
  });

  test("classifyNetworkError() finds the TLS reason deep in the cause chain", () => {
    const root = new Error("invalid peer certificate: NotValidForName");
    const error = networkError(
      "fetch failed",
      new Error("client error (Connect)", { cause: root }),
    );
    assert.equal(classifyNetworkError(error, URL_).kind, "tls");
  });

  test("classifyNetworkError() calls ECONNREFUSED a connection failure", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8443"), {
      code: "ECONNREFUSED",
    });
    const failure = classifyNetworkError(networkError("fetch failed", cause), URL_);
    assert.equal(failure.kind, "connection");
    assert.match(failure.message, /^connection to https:\/\/vv\.example:8443 failed \(/);
    assert.match(failure.message, /ECONNREFUSED/);
    assert.doesNotMatch(failure.message, /TLS|certificate/);
  });

  test("classifyNetworkError() calls Deno's 'Connection refused (os error 111)' a connection failure", () => {
    const error = networkError(
      "fetch failed",
      new Error(
        "error sending request for url (https://vv.example:8443/api): client error (Connect): " +
          "tcp connect error: Connection refused (os error 111)",
      ),
    );
    assert.equal(classifyNetworkError(error, URL_).kind, "connection");
  });

  test("classifyNetworkError() names the origin only, never the path or query", () => {
    const failure = classifyNetworkError(
      networkError("fetch failed"),
      "https://vv.example/api/v1/ingest/status/req-1?x=y",
    );
    assert.match(failure.message, /^connection to https:\/\/vv\.example failed \(fetch failed\)$/);
  });

  test("classifyNetworkError() copes with a non-Error rejection and with nothing at all", () => {
    assert.match(classifyNetworkError("socket hang up", URL_).message, /\(socket hang up\)$/);
    assert.match(classifyNetworkError(undefined, URL_).message, /\(unknown error\)$/);
  });

  test("classifyNetworkError() calls Deno's 'Connection reset by peer' a connection failure", () => {
    const error = networkError(
      "fetch failed",
      new Error("Connection reset by peer (os error 104)"),
    );
    const failure = classifyNetworkError(error, URL_);
    assert.equal(failure.kind, "connection");
    assert.doesNotMatch(failure.message, /TLS|certificate/);
  });

  test("classifyNetworkError() ignores TLS-like words in the URL inside Deno's message", () => {
    const error = networkError(
      "fetch failed",
      new Error(
        "error sending request for url (https://ssl-gateway.internal/api/v1/client/events): " +
          "client error (Connect): tcp connect error: Connection refused (os error 111)",
      ),
    );
    const failure = classifyNetworkError(
      error,
      "https://ssl-gateway.internal/api/v1/client/events",
    );
    assert.equal(failure.kind, "connection");
  });
});
