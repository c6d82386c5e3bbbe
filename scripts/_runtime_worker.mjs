// The client under one runtime, driven by a Deno script (`scripts/concurrency.ts`,
// `scripts/bench.ts`) that starts it as a child process: `deno run -A`, `node` or `bun`. Plain
// JavaScript so that every runtime runs it as it is; the client comes from the module named on the
// command line (the source's `mod.ts` under Deno, the npm build's `esm/mod.js` on Node and Bun).
//
//   <runtime> scripts/_runtime_worker.mjs <task> <JSON arguments>
//
// It prints one JSON line per result on stdout and exits non-zero on a failure.
//
// Tasks:
//   burst  {module, url, caPath, counts, maxConnections}: for each count, that many parallel
//          sendEvent() calls with caCerts; elapsed time, RSS growth, every result accepted.
//   bench  {module, url, caPath, scenario, rounds, counts, ...}: one scenario of `scripts/bench.ts`,
//          the client against its runtime's bare `fetch` (and on Node bare undici `request`),
//          alternating; the samples of every side.
import process from "node:process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { alternate, measure, pool } from "./_bench_measure.mjs";

const [task, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs ?? "{}");
const { VectorVueClient } = await import(args.module);
const { EMULATOR_DEFAULTS } = await import(args.testingModule);

/** The runtime and its version. */
export function runtimeLabel() {
  const versions = /** @type {Record<string, string | undefined>} */ (process.versions);
  if (typeof globalThis.Deno !== "undefined") return `deno ${globalThis.Deno.version.deno}`;
  if (versions.bun !== undefined) return `bun ${versions.bun}`;
  return `node ${versions.node}`;
}

const RUN_ID = crypto.randomUUID().slice(0, 8);
const OCCURRED_AT = new Date().toISOString();
let sequence = 0;

/** A valid, realistic event with an id never sent before, so the server stores every one. */
function makeEvent() {
  const n = sequence++;
  return {
    event_id: `${task}-${RUN_ID}-${n}`,
    source_system: `spectrastrike-${task}`,
    event_type: "PROCESS_ANOMALY",
    occurred_at: OCCURRED_AT,
    severity: "high",
    asset_ref: `host-${n % 64}`,
    message: "Unexpected parent-child process chain: explorer.exe > cmd.exe > powershell.exe",
    metadata: { pid: 4000 + (n % 1000), technique: "T1059.001", sensor: task },
  };
}

const makeEvents = (count) => Array.from({ length: count }, makeEvent);

/** Samples RSS every 20 ms while `work` runs; the growth is the peak above the start. */
async function withRss(work) {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, rssGrowthMiB: Math.round(((peak - before) / 1024 / 1024) * 10) / 10 };
  } finally {
    clearInterval(sampler);
  }
}

async function burst() {
  const { username, password, tenantId } = EMULATOR_DEFAULTS;
  // PEM bytes, as `readFileSync(path)` gives them: the form Node users pass.
  const ca = readFileSync(args.caPath);
  for (const count of args.counts) {
    const client = new VectorVueClient({
      baseUrl: args.url,
      username,
      password,
      tenantId,
      caCerts: [ca],
      maxConnections: args.maxConnections,
      // The emulator runs without a rate limit here, so the client paces nothing either.
      rateLimit: false,
      ...args.clientOptions,
    });
    try {
      await client.login();
      const events = Array.from({ length: count }, makeEvent);
      const started = performance.now();
      const { result, rssGrowthMiB } = await withRss(() =>
        Promise.allSettled(events.map((event) => client.sendEvent(event)))
      );
      const seconds = (performance.now() - started) / 1000;
      const accepted = result.filter((r) => r.status === "fulfilled" && r.value.ok).length;
      const failures = result.flatMap((r) => r.status === "rejected" ? [String(r.reason)] : []);
      console.log(JSON.stringify({
        runtime: runtimeLabel(),
        count,
        accepted,
        seconds: Math.round(seconds * 1000) / 1000,
        rssGrowthMiB,
        failures: [...new Set(failures)].slice(0, 3),
      }));
    } finally {
      await client.close();
    }
  }
}

// ---- bench --------------------------------------------------------------------------------

const EVENTS_PATH = "/api/v1/integrations/spectrastrike/events";
const BATCH_PATH = "/api/v1/integrations/spectrastrike/events/batch";
const LOGIN_PATH = "/api/v1/client/auth/login";
const IS_DENO = typeof globalThis.Deno !== "undefined";
const IS_BUN = process.versions.bun !== undefined;

/** A sent request that did not do what the benchmark asked: the scenario fails. */
class BenchError extends Error {}

function expectAccepted(result, what) {
  // A retry would hide a failure inside a longer time; count it as one.
  if (result.status !== "accepted" || result.retryCount !== 0) {
    throw new BenchError(`${what}: status ${result.status}, ${result.retryCount} retries`);
  }
}

function newClient(url, signatureSecret) {
  const { username, password, tenantId } = EMULATOR_DEFAULTS;
  return new VectorVueClient({
    baseUrl: url,
    username,
    password,
    tenantId,
    caCerts: [readFileSync(args.caPath)],
    ...(args.http2 ? { http2: true } : {}),
    signatureSecret,
    rateLimit: false, // the emulator runs without a rate limit here
    ...args.clientOptions,
  });
}

/**
 * What a caller writes with this runtime's `fetch` alone, trusting the private CA the way the
 * runtime offers: a `Deno.HttpClient` like the client's, Bun's `tls` option, and on Node the
 * global `fetch` with the CA in `NODE_EXTRA_CA_CERTS` (set by the driver).
 */
function bareFetch(url) {
  const ca = readFileSync(args.caPath, "utf8");
  const extra = IS_DENO
    ? {
      client: globalThis.Deno.createHttpClient(
        args.http2 ? { caCerts: [ca], http1: false, http2: true } : { caCerts: [ca], http2: false },
      ),
    }
    : IS_BUN
    ? { tls: { ca } }
    : {};
  const send = async (path, body, headers) => {
    const response = await fetch(url + path, { method: "POST", headers, body, ...extra });
    return { status: response.status, text: await response.text() };
  };
  return bareSide("bare fetch", send, () => extra.client?.close());
}

/** On Node, undici's `Agent.request` with the CA: the physical limit there. */
async function bareUndici(url) {
  const undici = await import(new URL("../node_modules/undici/index.js", args.module).href);
  const agent = new undici.Agent({ connect: { ca: readFileSync(args.caPath, "utf8") } });
  const { origin } = new URL(url);
  const send = async (path, body, headers) => {
    const response = await agent.request({ origin, path, method: "POST", headers, body });
    return { status: response.statusCode, text: await response.body.text() };
  };
  return bareSide("bare undici request", send, () => agent.close());
}

function bareSide(label, send, close) {
  const { username, password, tenantId } = EMULATOR_DEFAULTS;
  let token = "";
  return {
    label,
    async login() {
      const answer = await send(
        LOGIN_PATH,
        JSON.stringify({ username, password, tenant_id: tenantId }),
        { "content-type": "application/json" },
      );
      if (answer.status !== 200) throw new BenchError(`${label} login: ${answer.status}`);
      const body = JSON.parse(answer.text);
      token = body.access_token ?? body.data?.access_token;
    },
    /** POSTs one body and reads the whole answer, as the client does. */
    async post(path, body, idempotencyKey) {
      const headers = { "authorization": `Bearer ${token}`, "content-type": "application/json" };
      if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
      const answer = await send(path, body, headers);
      if (answer.status !== 202) {
        throw new BenchError(`${label} ${path}: ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    },
    close,
  };
}

/** The bare sides of this runtime. */
async function baselines(url) {
  const sides = [bareFetch(url)];
  if (!IS_DENO && !IS_BUN) sides.push(await bareUndici(url));
  return sides;
}

function sendSequential(client, count) {
  const events = makeEvents(count);
  return measure(count, async () => {
    for (const event of events) expectAccepted(await client.sendEvent(event), "sendEvent");
  });
}

function fetchSequential(bare, count) {
  const events = makeEvents(count);
  // The client makes a UUID Idempotency-Key per call; so does the baseline.
  return measure(count, async () => {
    for (const event of events) {
      await bare.post(EVENTS_PATH, JSON.stringify(event), crypto.randomUUID());
    }
  });
}

function sendBatches(client, batches) {
  const all = Array.from({ length: batches }, () => makeEvents(args.batchSize));
  return measure(batches * args.batchSize, async () => {
    await pool(batches, args.concurrency, async (index) => {
      expectAccepted(await client.sendEventsBatch(all[index]), "sendEventsBatch");
    });
  });
}

function fetchBatches(bare, batches) {
  const all = Array.from({ length: batches }, () => makeEvents(args.batchSize));
  return measure(batches * args.batchSize, async () => {
    await pool(batches, args.concurrency, async (index) => {
      await bare.post(BATCH_PATH, JSON.stringify(all[index]));
    });
  });
}

/** Events are made as they are added, as a producer would, so memory is the batcher's. */
async function runBatcher(client, count) {
  const failures = [];
  const batcher = client.createBatcher({
    kind: "events",
    maxBatchSize: args.batchSize,
    concurrency: args.concurrency,
    onDeadLetter: (items, error) => void failures.push(`${items.length} dead: ${error.message}`),
    onRejected: (items) => void failures.push(`${items.length} rejected: ${items[0].errorCode}`),
  });
  const { result, rssGrowthMiB } = await withRss(() =>
    measure(count, async () => {
      for (let i = 0; i < count; i++) await batcher.add(makeEvent());
      await batcher.close();
    })
  );
  const stats = batcher.stats();
  if (failures.length > 0 || stats.accepted !== count) {
    throw new BenchError(
      `batcher: ${stats.accepted} of ${count} accepted; ${failures.slice(0, 3).join("; ")}`,
    );
  }
  return { measure: result, peakHeld: stats.peakHeld, rssGrowthMiB };
}

/** The baseline ships the same events in the same batches, made as they go out. */
function fetchAllBatched(bare, count) {
  const batches = Math.ceil(count / args.batchSize);
  return measure(count, async () => {
    await pool(batches, args.concurrency, async (index) => {
      const size = Math.min(args.batchSize, count - index * args.batchSize);
      await bare.post(BATCH_PATH, JSON.stringify(makeEvents(size)));
    });
  });
}

/**
 * One producer run through a batcher with `args.spoolWindow` add() calls outstanding (group
 * commit needs company); with `spooled`, a durable batcher on a fresh directory.
 */
async function runWindowed(client, count, spooled) {
  const dir = spooled ? await mkdtemp(join(tmpdir(), "vv-bench-spool-")) : undefined;
  try {
    const batcher = client.createBatcher({
      kind: "events",
      maxBatchSize: args.batchSize,
      concurrency: args.concurrency,
      ...(dir === undefined ? {} : { spool: { dir } }),
    });
    const result = await measure(count, async () => {
      let next = 0;
      await pool(args.spoolWindow, args.spoolWindow, async () => {
        while (next < count) {
          next++;
          await batcher.add(makeEvent());
        }
      });
      await batcher.close();
    });
    const { accepted, spool } = batcher.stats();
    if (accepted !== count || (spool !== undefined && spool.items !== 0)) {
      throw new BenchError(`batcher: ${accepted} of ${count} accepted, ${spool?.items} on disk`);
    }
    return result;
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Bytes the spool holds per event while the server does not answer (records, batch keys,
 * framing, measured on disk), and events/s when each add() is awaited before the next: one
 * fsync per event, the floor a producer without concurrency sees.
 */
async function spoolFootprint(client) {
  const events = 2_000;
  const dir = await mkdtemp(join(tmpdir(), "vv-bench-spool-"));
  const { username, password, tenantId } = EMULATOR_DEFAULTS;
  const stalled = new VectorVueClient({
    username,
    password,
    tenantId,
    fetch: (_input, init) =>
      new Promise((_, reject) =>
        init?.signal?.addEventListener("abort", () => reject(init.signal.reason))
      ),
  });
  try {
    const held = stalled.createBatcher({ kind: "events", spool: { dir } });
    await pool(events, args.spoolWindow, () => held.add(makeEvent()));
    const bytesOnDiskPerEvent = Math.round(held.stats().spool.bytes / events);
    await held.close({ signal: AbortSignal.abort() });
    await rm(dir, { recursive: true, force: true });
    const awaitedCount = args.counts.spoolEvents >= 10_000 ? 1_000 : 100;
    const awaited = client.createBatcher({ kind: "events", spool: { dir } });
    const oneByOne = await measure(awaitedCount, async () => {
      for (let i = 0; i < awaitedCount; i++) await awaited.add(makeEvent());
      await awaited.close();
    });
    return {
      bytesOnDiskPerEvent,
      jsonBytesPerEvent: new TextEncoder().encode(JSON.stringify(makeEvent())).length,
      awaitedOneByOneEventsPerSecond: Math.round(oneByOne.perSecond),
    };
  } finally {
    await stalled.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The scenarios: each returns its sides' labels, their samples (client first) and notes. Adding
 * one is a function here and a line in `scripts/bench.ts`'s list.
 */
const SCENARIOS = {
  /** The durable batcher against the in-memory one, same producer, same server. */
  async "spooled-batcher"(client) {
    const { spoolEvents, spoolRounds } = args.counts;
    // The untimed first run of each side is as long as a timed one: after a fifth of one, the
    // first timed spooled run was still warming up (most likely the JIT: the spool's per-group
    // code runs a few hundred times a run), 25% slower than the two after it in each of eight
    // runs, while the in-memory side was not (decision 94).
    const samples = await alternate(spoolRounds, [
      () => runWindowed(client, spoolEvents, true),
      () => runWindowed(client, spoolEvents, false),
    ]);
    return {
      samples,
      labels: ["in-memory batcher"],
      notes: {
        events: spoolEvents,
        rounds: spoolRounds,
        window: args.spoolWindow,
        ...await spoolFootprint(client),
      },
    };
  },
  async "sequential-events"(client, bares) {
    const { events } = args.counts;
    const samples = await alternate(args.rounds, [
      () => sendSequential(client, events),
      ...bares.map((bare) => () => fetchSequential(bare, events)),
    ]);
    return { samples, notes: { events } };
  },
  async batches(client, bares) {
    const { batches } = args.counts;
    const samples = await alternate(args.rounds, [
      () => sendBatches(client, batches),
      ...bares.map((bare) => () => fetchBatches(bare, batches)),
    ]);
    return { samples, notes: { batches } };
  },
  /**
   * The client against itself (the bare-fetch limit is scenario 1's): signed to the signing server
   * against unsigned to the plain one, and signed to the plain one, which ignores the signature
   * headers: the client's share of the cost alone.
   */
  async "signed-events"(unsigned) {
    const signed = newClient(args.signedUrl, args.signatureSecret);
    const signedToPlain = newClient(args.url, args.signatureSecret);
    try {
      await signed.login();
      await signedToPlain.login();
      const { events } = args.counts;
      const [a, b, c] = await alternate(args.rounds, [
        () => sendSequential(signed, events),
        () => sendSequential(unsigned, events),
        () => sendSequential(signedToPlain, events),
      ]);
      return { samples: [a, b], labels: ["client unsigned"], notes: { events, signedToPlain: c } };
    } finally {
      await signed.close();
      await signedToPlain.close();
    }
  },
  async batcher(client, bares) {
    const { batcherEvents, batcherRounds } = args.counts;
    const runs = [];
    // A fifth of the count warms up as well as the whole, at a fraction of the time.
    const count = (round) => round < 0 ? Math.ceil(batcherEvents / 5) : batcherEvents;
    const samples = await alternate(batcherRounds, [
      async (round) => {
        const run = await runBatcher(client, count(round));
        if (round >= 0) runs.push(run);
        return run.measure;
      },
      ...bares.map((bare) => (round) => fetchAllBatched(bare, count(round))),
    ]);
    return {
      samples,
      notes: {
        events: batcherEvents,
        rounds: batcherRounds,
        peakHeld: Math.max(...runs.map((run) => run.peakHeld)),
        rssGrowthMiB: Math.max(...runs.map((run) => run.rssGrowthMiB)),
      },
    };
  },
};

async function bench() {
  const scenario = SCENARIOS[args.scenario];
  if (!scenario) throw new Error(`unknown scenario '${args.scenario}'`);
  const client = newClient(args.url);
  const bares = args.scenario === "signed-events" || args.scenario === "spooled-batcher"
    ? []
    : await baselines(args.url);
  try {
    await client.login();
    for (const bare of bares) await bare.login();
    const { samples, labels, notes } = await scenario(client, bares);
    console.log(JSON.stringify({
      runtime: runtimeLabel(),
      labels: labels ?? bares.map((bare) => bare.label),
      client: samples[0],
      baselines: samples.slice(1),
      notes,
    }));
  } finally {
    await client.close();
    for (const bare of bares) await bare.close();
  }
}

const tasks = { burst, bench };
if (!(task in tasks)) {
  console.error(`unknown task '${task}'; one of ${Object.keys(tasks).join(", ")}`);
  process.exit(2);
}
await tasks[task]();
