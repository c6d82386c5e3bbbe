// The batching core on its own: packing, keys, halving, outcomes, the transient/stop rules and
// waiting out the client's pause, with a scripted sender (no client, no network).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  BatchDelivery,
  classifyFailure,
  type DeliveryOptions,
  type Packed,
  type SendContext,
  takeBatch,
} from "../../src/delivery/batch_delivery.ts";
import type { ItemOutcome } from "../../src/delivery/batch_outcome.ts";
import type { ResponseEnvelope } from "../../src/envelope.ts";
import {
  apiErrorFor,
  VectorVueAuthError,
  VectorVueConfigError,
  VectorVueRateLimitError,
  VectorVueSerializationError,
  VectorVueTransportError,
  VectorVueValidationError,
} from "../../src/errors.ts";
import type { SerializedBody } from "../../src/serialize.ts";

const init = (httpStatus: number, errorCode = "x") => ({
  httpStatus,
  errorCode,
  requestId: null,
  retryCount: 0,
  body: null,
  headers: {},
});
const entries = (n: number, from = 0): Packed[] =>
  Array.from({ length: n }, (_, i) => ({ position: from + i, text: `{"i":${from + i}}`, size: 9 }));

/** An envelope accepting every item of the body. */
function acceptAll(body: SerializedBody): ResponseEnvelope {
  const items = JSON.parse(body.text) as unknown[];
  return {
    requestId: crypto.randomUUID(),
    status: "accepted",
    data: {
      results: items.map((_, index) => ({ index, item_id: `id${index}`, status: "accepted" })),
    },
    errors: [],
    ok: true,
  } as unknown as ResponseEnvelope;
}

/** A sender that throws the scripted errors first, then accepts; records what it was given. */
function sender(...script: unknown[]) {
  const sent: { size: number; key: string | undefined }[] = [];
  const send = (body: SerializedBody, context: SendContext) => {
    sent.push({ size: (JSON.parse(body.text) as unknown[]).length, key: context.idempotencyKey });
    const next = script.shift();
    if (next !== undefined) return Promise.reject(next);
    return Promise.resolve(acceptAll(body));
  };
  return { send, sent };
}

function run(send: DeliveryOptions["send"], extra: Partial<DeliveryOptions> = {}) {
  const delivery = new BatchDelivery({
    send,
    deliveryBudgetMs: 60_000,
    backoff: { backoffMs: 1, maxBackoffMs: 2 },
    stopOnSharedError: true,
    ...extra,
  });
  const settled: { positions: number[]; outcomes: ItemOutcome[]; error?: Error }[] = [];
  const deliver = (batch: Packed[]) =>
    delivery.deliver(delivery.batch(batch), (done, outcomes, error) => {
      settled.push({ positions: done.map((e) => e.position), outcomes: [...outcomes], error });
    });
  return { delivery, settled, deliver };
}

describe("takeBatch()", () => {
  test("packs up to maxItems and maxBytes of JSON; a single larger item goes alone", () => {
    const queue = [
      { position: 0, text: "a", size: 40 },
      { position: 1, text: "b", size: 40 },
      { position: 2, text: "c", size: 500 },
      ...entries(5, 3),
    ];
    const take = () => takeBatch(() => queue[0], () => queue.shift(), 3, 100);
    assert.deepEqual(take().map((e) => e.position), [0, 1], "a third would pass 100 bytes");
    assert.deepEqual(take().map((e) => e.position), [2], "larger than maxBytes: alone");
    assert.deepEqual(take().map((e) => e.position), [3, 4, 5], "maxItems");
    assert.deepEqual(take().map((e) => e.position), [6, 7]);
    assert.deepEqual(take(), []);
  });
});

describe("classifyFailure()", () => {
  const table: [string, unknown, string][] = [
    ["batch_too_large", new VectorVueValidationError("m", init(422, "batch_too_large")), "halve"],
    ["a proxy's 413", apiErrorFor("m", init(413)), "halve"],
    ["429 after the call's budget", new VectorVueRateLimitError("m", init(429)), "transient"],
    ["503", apiErrorFor("m", init(503)), "transient"],
    ["502", apiErrorFor("m", init(502)), "transient"],
    [
      "connection failure",
      new VectorVueTransportError("m", { kind: "connection", attempts: 4 }),
      "transient",
    ],
    ["timeout", new VectorVueTransportError("m", { kind: "timeout", attempts: 4 }), "transient"],
    ["TLS", new VectorVueTransportError("m", { kind: "tls", attempts: 1 }), "stop"],
    ["401 after logging in again", new VectorVueAuthError("m", init(401)), "stop"],
    ["403", new VectorVueAuthError("m", init(403)), "stop"],
    ["configuration", new VectorVueConfigError(["bad"]), "stop"],
    ["422 validation_failed", new VectorVueValidationError("m", init(422)), "batch"],
    ["500", apiErrorFor("m", init(500)), "batch"],
    [
      "an oversized answer",
      new VectorVueTransportError("m", { kind: "response_too_large", attempts: 1 }),
      "batch",
    ],
    ["a bad key", new VectorVueSerializationError("m", "idempotencyKey"), "batch"],
    ["a bug (TypeError)", new TypeError("boom"), "batch"],
  ];
  for (const [title, error, expected] of table) {
    test(`classifyFailure(): ${title} is ${expected}`, () => {
      assert.equal(classifyFailure(error), expected);
    });
  }
});

describe("BatchDelivery", () => {
  test("a batch's key is made before its first send and reused by every retry", async () => {
    const unavailable = apiErrorFor("m", init(503));
    const { send, sent } = sender(unavailable, unavailable);
    const keys: unknown[] = [];
    const { deliver, settled } = run(send, {
      idempotencyKey: (batch) => {
        keys.push(batch);
        return `run-7-${batch.firstIndex}-${batch.count}`;
      },
    });
    await deliver(entries(4, 10));
    assert.deepEqual(keys, [{ firstIndex: 10, count: 4 }]);
    assert.deepEqual(sent.map((s) => s.key), ["run-7-10-4", "run-7-10-4", "run-7-10-4"]);
    assert.ok(settled[0].outcomes.every((o) => o.status === "accepted"));
  });

  test("batch_too_large halves the batch; each half gets its own key from its own position", async () => {
    const tooLarge = new VectorVueValidationError("m", init(422, "batch_too_large"));
    const { send, sent } = sender(tooLarge);
    const { deliver, settled } = run(send, {
      idempotencyKey: ({ firstIndex, count }) => `k${firstIndex}+${count}`,
    });
    await deliver(entries(5));
    assert.deepEqual(sent.map((s) => [s.size, s.key]), [[5, "k0+5"], [3, "k0+3"], [2, "k3+2"]]);
    assert.deepEqual(settled.map((s) => s.positions), [[0, 1, 2], [3, 4]]);
  });

  test("while the server is failing, one batch at a time is sent; the others wait for its answer, then all go", async () => {
    const down = new VectorVueTransportError("down", { kind: "connection", attempts: 1 });
    let probing = 0;
    let mostAtOnce = 0;
    const failures = [down, down, down, down, down, down];
    let firstFailed = false;
    const send = async (body: SerializedBody) => {
      // Sends already on their way when the first failure came back may fail on their own;
      // every send started after it, while the server still fails, must be alone.
      const probe = firstFailed && failures.length > 0;
      if (probe) mostAtOnce = Math.max(mostAtOnce, ++probing);
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (probe) probing--;
      const failure = failures.shift();
      if (failure) {
        firstFailed = true;
        throw failure;
      }
      return acceptAll(body);
    };
    const { deliver, settled } = run(send, { stopOnSharedError: false });
    await Promise.all([0, 1, 2, 3].map((batch) => deliver(entries(2, batch * 2))));
    assert.equal(failures.length, 0, "every scripted failure was met");
    assert.equal(mostAtOnce, 1, "one send at a time while failing");
    assert.equal(
      settled.flatMap((s) => s.outcomes).filter((o) => o.status === "accepted").length,
      8,
    );
  });

  test("a transient failure outlasting the budget fails the batch and stops the run", async () => {
    const down = new VectorVueTransportError("down", { kind: "connection", attempts: 4 });
    const { send, sent } = sender(down, down, down, down);
    // The client's pause (60 s) would outlast the 1 s budget: no retry.
    const { deliver, settled, delivery } = run(send, {
      deliveryBudgetMs: 1_000,
      clientPause: () => ({ reason: "unavailable", until: Date.now() + 60_000 }),
    });
    await deliver(entries(2));
    await deliver(entries(2, 2));
    assert.equal(sent.length, 1, "the second batch is not sent once the run stopped");
    assert.equal(delivery.stopped, down);
    for (const { outcomes, error } of settled) {
      assert.equal(error, down);
      assert.deepEqual(outcomes.map((o) => [o.status, o.errorCode]), [
        ["failed", "connection"],
        ["failed", "connection"],
      ]);
    }
  });

  test("an error waiting cannot fix stops the run without retrying; a batch-local one does not", async () => {
    const local = run(sender(new VectorVueValidationError("m", init(422))).send);
    await local.deliver(entries(1));
    await local.deliver(entries(1, 1));
    assert.equal(local.delivery.stopped, undefined);
    assert.deepEqual(local.settled.map((s) => s.outcomes[0].status), ["failed", "accepted"]);

    const forbidden = new VectorVueAuthError("m", init(403, "forbidden"));
    const { send, sent } = sender(forbidden);
    const shared = run(send);
    await shared.deliver(entries(1));
    await shared.deliver(entries(1, 1));
    assert.equal(sent.length, 1);
    assert.deepEqual(shared.settled.map((s) => s.outcomes[0].errorCode), [
      "forbidden",
      "forbidden",
    ]);
  });

  test("the batcher's rule: an error waiting cannot fix fails only its batch", async () => {
    const { send, sent } = sender(new VectorVueAuthError("m", init(401)));
    const { deliver, settled } = run(send, { stopOnSharedError: false });
    await deliver(entries(1));
    await deliver(entries(1, 1));
    assert.equal(sent.length, 2);
    assert.deepEqual(settled.map((s) => s.outcomes[0].status), ["failed", "accepted"]);
  });

  test("a transient failure waits out the client's pause, once, and adds no back-off of its own", async () => {
    const down = apiErrorFor("m", init(503));
    const { send, sent } = sender(down);
    const until = Date.now() + 150;
    const { deliver, settled } = run(send, {
      clientPause: () => (Date.now() < until ? { reason: "unavailable", until } : undefined),
    });
    const started = performance.now();
    await deliver(entries(1));
    const waited = performance.now() - started;
    assert.equal(sent.length, 2);
    assert.ok(waited >= 140 && waited < 1_000, `waited ${waited} ms`);
    assert.equal(settled[0].outcomes[0].status, "accepted");
  });

  test("aborting while waiting out the client's pause fails the batch with aborted at once", async () => {
    const controller = new AbortController();
    const down = apiErrorFor("m", init(503));
    const { send } = sender(down, down, down, down, down, down, down, down);
    const { deliver, settled, delivery } = run(send, {
      signal: controller.signal,
      deliveryBudgetMs: 600_000,
      clientPause: () => ({ reason: "unavailable", until: Date.now() + 60_000 }),
    });
    const done = deliver(entries(3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(delivery.pause?.reason, "unavailable");
    const started = performance.now();
    controller.abort(new Error("operator stopped it"));
    await done;
    assert.ok(performance.now() - started < 1_000);
    assert.deepEqual(settled[0].outcomes.map((o) => o.errorCode), [
      "aborted",
      "aborted",
      "aborted",
    ]);
  });

  test("aborting while waiting for the probing batch's answer fails the waiting batch at once", async () => {
    const controller = new AbortController();
    const down = new VectorVueTransportError("down", { kind: "connection", attempts: 1 });
    let calls = 0;
    let answer = () => {};
    const send = async (body: SerializedBody) => {
      if (++calls === 1) throw down;
      // The probe's answer is slow and does not heed the signal: only the wait itself can end.
      await new Promise<void>((resolve) => (answer = resolve));
      return acceptAll(body);
    };
    const { deliver, settled } = run(send, { signal: controller.signal });
    const probing = deliver(entries(1));
    for (let i = 0; i < 1_000 && calls < 2; i++) await new Promise((r) => setTimeout(r, 1));
    assert.equal(calls, 2, "the first batch probes the failing server");
    const waiting = deliver(entries(1, 1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(calls, 2, "the second batch waits for the probe's answer");
    controller.abort(new Error("operator stopped it"));
    await waiting;
    assert.deepEqual(settled.map((s) => [s.positions, s.outcomes[0].errorCode]), [[
      [1],
      "aborted",
    ]]);
    answer();
    await probing;
  });

  test("a key that is not 1-255 visible ASCII characters fails the batch before any send", async () => {
    const { send, sent } = sender();
    const { deliver, settled } = run(send, { idempotencyKey: () => "has space" });
    await deliver(entries(2));
    assert.equal(sent.length, 0);
    assert.equal(settled[0].outcomes[0].errorCode, "VectorVueConfigError");
  });
});
