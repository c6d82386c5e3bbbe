// Clients of one server in one process share one pacer (src/delivery/pacer_sharing.ts): what
// one sends, the others count; clients of another origin, another limit or another injected
// fetch pace apart; the pacer is forgotten when the last client closes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { VectorVueClient, type VectorVueConfig, VectorVueRateLimitError } from "../../mod.ts";
import { accepted, capturingLogger, json, sampleEvent, validJwt } from "../_fake.ts";

/** A fetch that accepts everything (or answers `status` to the first `refuse` requests). */
function countingFetch(refuse = 0, status = 429) {
  let count = 0;
  const fetchImpl = (() => {
    count++;
    return Promise.resolve(
      count <= refuse ? json(status, { detail: "Rate limit exceeded" }) : accepted(),
    );
  }) as typeof fetch;
  return { fetch: fetchImpl, sent: () => count };
}

const LIMIT = { requests: 3, windowMs: 60_000 };

function client(fetchImpl: typeof fetch, extra: VectorVueConfig = {}): VectorVueClient {
  return new VectorVueClient({
    baseUrl: "https://vectorvue.test",
    token: validJwt(),
    fetch: fetchImpl,
    rateLimit: LIMIT,
    rateLimitWaitMs: 200,
    backoffMs: 1,
    maxBackoffMs: 5,
    ...extra,
  });
}

async function sendTimes(made: VectorVueClient, times: number) {
  for (let i = 0; i < times; i++) await made.sendEvent(sampleEvent());
}

const waitsOut = (made: VectorVueClient) =>
  assert.rejects(made.sendEvent(sampleEvent()), VectorVueRateLimitError);

test("two clients of one server share the window: the second waits for what the first used", async () => {
  const fake = countingFetch();
  const first = client(fake.fetch);
  const second = client(fake.fetch);
  try {
    await sendTimes(first, 3);
    await waitsOut(second);
    assert.equal(fake.sent(), 3, "the second client sent into a window the first had filled");
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});

test("clients of another origin, limit or fetch pace apart", async () => {
  const fake = countingFetch();
  const first = client(fake.fetch);
  const others = [
    client(fake.fetch, { baseUrl: "https://other.vectorvue.test" }),
    client(fake.fetch, { rateLimit: { requests: 3, windowMs: 30_000 } }),
    client(countingFetch().fetch),
  ];
  try {
    await sendTimes(first, 3);
    for (const other of others) await sendTimes(other, 1);
    assert.equal(fake.sent(), 5);
  } finally {
    await Promise.all([first, ...others].map((made) => made.close()));
  }
});

test("the shared pacer is forgotten when the last client closes, not before", async () => {
  const fake = countingFetch();
  const first = client(fake.fetch);
  const second = client(fake.fetch);
  await sendTimes(first, 3);
  await first.close();
  await first.close(); // twice: releases once
  await waitsOut(second);
  await second.close();
  const third = client(fake.fetch);
  try {
    await sendTimes(third, 3);
    assert.equal(fake.sent(), 6);
  } finally {
    await third.close();
  }
});

test("a 429 one client gets holds the others back, and the pause is logged once per logger", async () => {
  const fake = countingFetch(1);
  const shared = capturingLogger();
  const own = capturingLogger();
  // A short window, so the probe after the 429 comes soon (others are estimated to hold it all).
  const quick = { rateLimit: { requests: 20, windowMs: 1_000 }, rateLimitWaitMs: 5_000 };
  const clients = [
    client(fake.fetch, { ...quick, logger: shared.logger }),
    client(fake.fetch, { ...quick, logger: shared.logger }),
    client(fake.fetch, { ...quick, logger: own.logger }),
  ];
  try {
    await clients[0].sendEvent(sampleEvent());
    await Promise.all(clients.slice(1).map((made) => made.sendEvent(sampleEvent())));
    const paused = (records: { message: string }[]) =>
      records.filter((record) => record.message === "vectorvue rate limit").length;
    assert.equal(paused(shared.records), 1);
    assert.equal(paused(own.records), 1);
    // The refused request, then one at a time: nobody sent into the blocked window blindly.
    assert.equal(fake.sent(), 4);
  } finally {
    await Promise.all(clients.map((made) => made.close()));
  }
});

test("clients that do not pace for a rate limit keep a pacer of their own", async () => {
  const fake = countingFetch();
  const paced = client(fake.fetch);
  const unpaced = client(fake.fetch, { rateLimit: false });
  try {
    await sendTimes(paced, 3);
    await sendTimes(unpaced, 2);
    assert.equal(fake.sent(), 5);
  } finally {
    await Promise.all([paced.close(), unpaced.close()]);
  }
});
