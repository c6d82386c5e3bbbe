// `deno task bench`: measures the client against its physical limit, a bare `fetch` of the same
// request to the same server, side by side in one run so that the ratio holds on a noisy machine.
// The server is the emulator in a separate process, over HTTPS on 127.0.0.1, rate limiting off.
//
//   deno run -A scripts/bench.ts [--quick] [--out PATH]
//
//   --quick       every scenario with small counts, in seconds; exits non-zero if any scenario
//                 fails, and writes no file unless --out is given (the test task runs it)
//   --out PATH    where to write the JSON results (default bench/results.json; none with --quick)
//
// Scenarios:
//   1. sequential single events: sendEvent() vs bare fetch
//   2. batches of 100 at concurrency 4: sendEventsBatch() vs bare fetch
//   3. as 1, with signatureSecret (client and server): signed client vs unsigned client
//   4. background batcher, add() to close(): batcher vs bare fetch of the same batches
// each against three targets (see TARGETS): HTTP/1.1 and HTTP/2 to the emulator's default server,
// which offers both by ALPN, and HTTP/1.1 to its `--http1` server, which sets TCP_NODELAY.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { VectorVueClient, type VectorVueEvent } from "../mod.ts";
import { EMULATOR_DEFAULTS } from "../src/testing/mod.ts";
import { closeAllEmulators, type EmulatorProcess, startEmulator } from "./_bench_emulator.ts";
import {
  alternate,
  cpuModel,
  formatCpuTable,
  formatTable,
  type Measure,
  measure,
  mib,
  pool,
  type Row,
  type Sample,
} from "./_bench_report.ts";

const USAGE = "usage: scripts/bench.ts [--quick] [--out PATH]";

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}

let args;
try {
  args = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (args.help) {
  console.log(USAGE);
  Deno.exit(0);
}

const QUICK = args.quick;
// Full counts keep the whole run within about four minutes on 2 cores, quick counts within
// seconds. `fast` is for the TCP_NODELAY server, which answers batches ten times sooner: more
// operations per run keep its runs long enough (about a second) to rise above scheduling noise.
const COUNTS = QUICK
  ? {
    rounds: 2,
    events: 20,
    batches: 3,
    batcherEvents: 2_000,
    batcherRounds: 2,
    fast: { batches: 3, batcherRounds: 2 },
  }
  : {
    rounds: 7,
    events: 1_000,
    batches: 80,
    batcherEvents: 100_000,
    batcherRounds: 3,
    fast: { batches: 400, batcherRounds: 5 },
  };
const BATCH_SIZE = 100;
const CONCURRENCY = 4;
const SIGNATURE_SECRET = "benchmark-signature-secret";
const OUT = args.out ?? (QUICK ? undefined : "bench/results.json");

const fixtures = new URL("../tests/fixtures/", import.meta.url);
const CA = Deno.readTextFileSync(new URL("ca.pem", fixtures));
const { username, password, tenantId } = EMULATOR_DEFAULTS;
const EVENTS_PATH = "/api/v1/integrations/spectrastrike/events";
const BATCH_PATH = "/api/v1/integrations/spectrastrike/events/batch";
const LOGIN_PATH = "/api/v1/client/auth/login";

/**
 * Where each scenario runs. The client gets `http2`; the baseline gets the Deno.createHttpClient
 * settings that `src/transport/_runtime_deno.ts` makes of it, so both sides speak the same protocol.
 *
 * Why two servers: the emulator's default server (Deno.serve, HTTP/1.1 and HTTP/2 by ALPN) leaves
 * Nagle's algorithm on, so an answer written as head then body waits for the client's delayed
 * ACK (40 ms on Linux). uvicorn, the real server, sets TCP_NODELAY, and so does the emulator's
 * `--http1` server (node:https). The same-server pair compares the protocols; the `nodelay`
 * target is the one where the client's own costs are not hidden behind 40 ms timers.
 */
const TARGETS = [
  {
    name: "HTTP/1.1",
    server: "deno",
    http2: false,
    httpClient: { http2: false },
  },
  {
    name: "HTTP/2",
    server: "deno",
    http2: true,
    httpClient: { http1: false, http2: true },
  },
  {
    name: "HTTP/1.1 nodelay",
    server: "node",
    http2: false,
    httpClient: { http2: false },
  },
] as const;
type Protocol = (typeof TARGETS)[number];
type ServerKind = Protocol["server"];
const SERVERS: Record<ServerKind, { label: string; args: string[] }> = {
  deno: { label: "emulator, Deno.serve (HTTP/1.1 + HTTP/2, Nagle on)", args: [] },
  node: { label: "emulator --http1, node:https (HTTP/1.1, TCP_NODELAY)", args: ["--http1"] },
};

// ---- payloads ------------------------------------------------------------------------------

const RUN_ID = crypto.randomUUID().slice(0, 8);
const OCCURRED_AT = new Date().toISOString();
let sequence = 0;

/** A valid, realistic event with an id never sent before, so the server stores every one. */
function makeEvent(): VectorVueEvent {
  const n = sequence++;
  return {
    event_id: `bench-${RUN_ID}-${n}`,
    source_system: "spectrastrike-bench",
    event_type: "PROCESS_ANOMALY",
    occurred_at: OCCURRED_AT,
    severity: "high",
    asset_ref: `host-${n % 64}`,
    message: "Unexpected parent-child process chain: explorer.exe > cmd.exe > powershell.exe",
    metadata: { pid: 4000 + (n % 1000), technique: "T1059.001", sensor: "bench" },
  };
}

const makeEvents = (count: number) => Array.from({ length: count }, makeEvent);

// ---- the two sides ------------------------------------------------------------------------

function newClient(url: string, protocol: Protocol, signatureSecret?: string): VectorVueClient {
  return new VectorVueClient({
    baseUrl: url,
    username,
    password,
    tenantId,
    caCerts: [CA],
    http2: protocol.http2,
    signatureSecret,
  });
}

/** A sent request that did not do what the benchmark asked: the scenario fails. */
class BenchError extends Error {}

function expectAccepted(result: { status: string; retryCount: number }, what: string): void {
  // A retry would hide a failure inside a longer time; count it as one.
  if (result.status !== "accepted" || result.retryCount !== 0) {
    throw new BenchError(`${what}: status ${result.status}, ${result.retryCount} retries`);
  }
}

/** The baseline: what a caller writes with `fetch` alone, on an HTTP client like the client's. */
class BareFetch {
  readonly #http: Deno.HttpClient;
  readonly #url: string;
  #token = "";

  constructor(url: string, protocol: Protocol) {
    this.#url = url;
    this.#http = Deno.createHttpClient({ caCerts: [CA], ...protocol.httpClient });
  }

  async login(): Promise<void> {
    const response = await fetch(this.#url + LOGIN_PATH, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password, tenant_id: tenantId }),
      client: this.#http,
    });
    const body = await response.json();
    if (response.status !== 200) throw new BenchError(`login: ${response.status}`);
    this.#token = body.access_token ?? body.data?.access_token;
  }

  /** POSTs one body and reads the whole answer, as the client does. */
  async post(path: string, body: string, idempotencyKey?: string): Promise<void> {
    const headers: Record<string, string> = {
      "authorization": `Bearer ${this.#token}`,
      "content-type": "application/json",
    };
    if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
    const response = await fetch(this.#url + path, {
      method: "POST",
      headers,
      body,
      client: this.#http,
    });
    const text = await response.text();
    if (response.status !== 202) {
      throw new BenchError(`bare fetch ${path}: ${response.status} ${text.slice(0, 200)}`);
    }
  }

  close(): void {
    this.#http.close();
  }
}

// ---- scenarios ---------------------------------------------------------------------------

async function sendSequential(client: VectorVueClient, count: number): Promise<Measure> {
  const events = makeEvents(count);
  return await measure(count, async () => {
    for (const event of events) expectAccepted(await client.sendEvent(event), "sendEvent");
  });
}

async function fetchSequential(bare: BareFetch, count: number): Promise<Measure> {
  const events = makeEvents(count);
  return await measure(count, async () => {
    // The client makes a UUID Idempotency-Key per call; so does the baseline.
    for (const event of events) {
      await bare.post(EVENTS_PATH, JSON.stringify(event), crypto.randomUUID());
    }
  });
}

async function sendBatches(client: VectorVueClient, batches: number): Promise<Measure> {
  const all = Array.from({ length: batches }, () => makeEvents(BATCH_SIZE));
  return await measure(batches * BATCH_SIZE, async () => {
    await pool(batches, CONCURRENCY, async (index) => {
      expectAccepted(await client.sendEventsBatch(all[index]), "sendEventsBatch");
    });
  });
}

async function fetchBatches(bare: BareFetch, batches: number): Promise<Measure> {
  const all = Array.from({ length: batches }, () => makeEvents(BATCH_SIZE));
  return await measure(batches * BATCH_SIZE, async () => {
    await pool(batches, CONCURRENCY, async (index) => {
      await bare.post(BATCH_PATH, JSON.stringify(all[index]));
    });
  });
}

async function sequentialEvents(url: string, protocol: Protocol): Promise<Row> {
  const client = newClient(url, protocol);
  const bare = new BareFetch(url, protocol);
  try {
    await client.login();
    await bare.login();
    const { events, rounds } = COUNTS;
    const [a, b] = await alternate(rounds, [
      () => sendSequential(client, events),
      () => fetchSequential(bare, events),
    ]);
    return row("sequential-events", "1. sequential sendEvent", protocol, a, b, { events });
  } finally {
    await client.close();
    bare.close();
  }
}

async function batchedEvents(url: string, protocol: Protocol): Promise<Row> {
  const client = newClient(url, protocol);
  const bare = new BareFetch(url, protocol);
  try {
    await client.login();
    await bare.login();
    const { rounds } = COUNTS;
    const batches = protocol.server === "node" ? COUNTS.fast.batches : COUNTS.batches;
    const [a, b] = await alternate(rounds, [
      () => sendBatches(client, batches),
      () => fetchBatches(bare, batches),
    ]);
    return row(
      "batches",
      `2. sendEventsBatch ×${BATCH_SIZE}, concurrency ${CONCURRENCY}`,
      protocol,
      a,
      b,
      { batches },
    );
  } finally {
    await client.close();
    bare.close();
  }
}

/**
 * Scenario 3 compares the client with itself (the bare-fetch limit is scenario 1's): signed to
 * the signing server against unsigned to the plain one. That cost is the client's signing plus
 * the server's verification, so a third side sends signed requests to the plain server, which
 * ignores the signature headers: the client's share alone.
 */
async function signedEvents(
  plainUrl: string,
  signedUrl: string,
  protocol: Protocol,
): Promise<Row> {
  const signed = newClient(signedUrl, protocol, SIGNATURE_SECRET);
  const unsigned = newClient(plainUrl, protocol);
  const signedToPlain = newClient(plainUrl, protocol, SIGNATURE_SECRET);
  try {
    await signed.login();
    await unsigned.login();
    await signedToPlain.login();
    const { events, rounds } = COUNTS;
    const [a, b, c] = await alternate(rounds, [
      () => sendSequential(signed, events),
      () => sendSequential(unsigned, events),
      () => sendSequential(signedToPlain, events),
    ]);
    // Percentages of time per request: 1 / throughput is time, so cost = unsigned/signed - 1.
    const cost = (signedRate: number) => round1((b.median / signedRate - 1) * 100);
    return {
      ...row("signed-events", "3. sequential sendEvent, signed", protocol, a, b, { events }),
      baselineLabel: "client unsigned",
      notes: {
        events,
        signingCostPercent: cost(a.median),
        clientShareCostPercent: cost(c.median),
        signedToPlainServer: c,
      },
    };
  } finally {
    await signed.close();
    await unsigned.close();
    await signedToPlain.close();
  }
}

interface BatcherRun {
  readonly measure: Measure;
  readonly peakHeld: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  readonly rssPeakMiB: number;
}

/** Samples resident memory while `work` runs: the peak matters more than the end state. */
async function withRss(work: () => Promise<Measure>) {
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 50);
  try {
    const result = await work();
    const after = Deno.memoryUsage().rss;
    return {
      result,
      rssBeforeMiB: mib(before),
      rssAfterMiB: mib(after),
      rssPeakMiB: mib(Math.max(peak, after)),
    };
  } finally {
    clearInterval(sampler);
  }
}

/** Events are made as they are added, as a producer would, so memory is the batcher's. */
async function runBatcher(client: VectorVueClient, count: number): Promise<BatcherRun> {
  let peakHeld = 0;
  const measured = await withRss(async () => {
    const failures: string[] = [];
    const batcher = client.createBatcher({
      kind: "events",
      maxBatchSize: BATCH_SIZE,
      concurrency: CONCURRENCY,
      onDeadLetter: (items, error) => void failures.push(`${items.length} dead: ${error.message}`),
      onRejected: (items) => void failures.push(`${items.length} rejected: ${items[0].errorCode}`),
    });
    const result = await measure(count, async () => {
      for (let i = 0; i < count; i++) await batcher.add(makeEvent());
      await batcher.close();
    });
    const stats = batcher.stats();
    if (failures.length > 0 || stats.accepted !== count) {
      throw new BenchError(
        `batcher: ${stats.accepted} of ${count} accepted; ${failures.slice(0, 3).join("; ")}`,
      );
    }
    peakHeld = stats.peakHeld;
    return result;
  });
  return {
    measure: measured.result,
    peakHeld,
    rssBeforeMiB: measured.rssBeforeMiB,
    rssAfterMiB: measured.rssAfterMiB,
    rssPeakMiB: measured.rssPeakMiB,
  };
}

/** The baseline ships the same events in the same batches, made as they go out. */
async function fetchAllBatched(bare: BareFetch, count: number): Promise<Measure> {
  const batches = Math.ceil(count / BATCH_SIZE);
  return await measure(count, async () => {
    await pool(batches, CONCURRENCY, async (index) => {
      const size = Math.min(BATCH_SIZE, count - index * BATCH_SIZE);
      await bare.post(BATCH_PATH, JSON.stringify(makeEvents(size)));
    });
  });
}

async function backgroundBatcher(url: string, protocol: Protocol): Promise<Row> {
  const client = newClient(url, protocol);
  const bare = new BareFetch(url, protocol);
  const runs: BatcherRun[] = [];
  try {
    await client.login();
    await bare.login();
    const { batcherEvents } = COUNTS;
    const rounds = protocol.server === "node" ? COUNTS.fast.batcherRounds : COUNTS.batcherRounds;
    // A fifth of the count warms up as well as the whole, at a fraction of the time.
    const count = (round: number) => round < 0 ? Math.ceil(batcherEvents / 5) : batcherEvents;
    const [a, b] = await alternate(rounds, [
      async (round) => {
        const run = await runBatcher(client, count(round));
        if (round >= 0) runs.push(run);
        return run.measure;
      },
      (round) => fetchAllBatched(bare, count(round)),
    ]);
    return row(
      "batcher",
      `4. batcher add()→close(), ${batcherEvents.toLocaleString("en-US")} events`,
      protocol,
      a,
      b,
      {
        events: batcherEvents,
        rounds,
        peakHeld: Math.max(...runs.map((run) => run.peakHeld)),
        // Around the first timed run; every run's figures are under `runs`.
        rssBeforeMiB: runs[0].rssBeforeMiB,
        rssAfterMiB: runs[0].rssAfterMiB,
        rssPeakMiB: Math.max(...runs.map((run) => run.rssPeakMiB)),
        runs,
      },
    );
  } finally {
    await client.close();
    bare.close();
  }
}

// ---- the run -----------------------------------------------------------------------------

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function row(
  id: string,
  scenario: string,
  protocol: Protocol,
  client: Sample,
  baseline: Sample,
  notes: Record<string, unknown>,
): Row {
  return {
    id,
    scenario,
    protocol: protocol.name,
    server: SERVERS[protocol.server].label,
    unit: "events/s",
    baselineLabel: "bare fetch",
    client,
    baseline,
    ratio: client.median / baseline.median,
    notes,
  };
}

/** Runs one scenario on one target; a failure becomes a row with `error`, and the run goes on. */
async function attempt(
  id: string,
  scenario: string,
  protocol: Protocol,
  work: () => Promise<Row>,
): Promise<Row> {
  const started = performance.now();
  console.error(`  ${scenario} over ${protocol.name} ...`);
  try {
    const result = await work();
    console.error(`    ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`    FAILED: ${message}`);
    return {
      id,
      scenario,
      protocol: protocol.name,
      server: SERVERS[protocol.server].label,
      unit: "events/s",
      baselineLabel: "",
      error: message,
    };
  }
}

/** The commit measured, and whether the client's code differed from it; null without git. */
async function gitState(): Promise<{ commit: string; dirty: boolean } | null> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "null" })
      .output();
    if (!out.success) throw new Error(`git ${args[0]} failed`);
    return new TextDecoder().decode(out.stdout).trim();
  };
  try {
    const commit = await git("rev-parse", "HEAD");
    const changes = await git("status", "--porcelain", "--", "mod.ts", "src", "deno.json");
    return { commit, dirty: changes !== "" };
  } catch {
    return null;
  }
}

/** HTTP/1.1 against HTTP/2 for the client, on the same server. */
function compareProtocols(rows: readonly Row[], id: string) {
  const of = (name: string) => rows.find((r) => r.id === id && r.protocol === name)?.client;
  const h1 = of("HTTP/1.1")?.median;
  const h2 = of("HTTP/2")?.median;
  if (h1 === undefined || h2 === undefined) return undefined;
  return {
    scenario: id,
    http1EventsPerSecond: Math.round(h1),
    http2EventsPerSecond: Math.round(h2),
    faster: h1 >= h2 ? "HTTP/1.1" : "HTTP/2",
    http2OverHttp1: Math.round((h2 / h1) * 100) / 100,
  };
}

async function main(): Promise<number> {
  const startedAt = new Date();
  console.error(`VectorVue client benchmark (${QUICK ? "quick" : "full"}): starting the emulators`);
  // One plain and one signing emulator per server kind, each its own process.
  const emulators = {} as Record<ServerKind, { plain: EmulatorProcess; signed: EmulatorProcess }>;
  const rows: Row[] = [];
  try {
    for (const kind of Object.keys(SERVERS) as ServerKind[]) {
      const { args } = SERVERS[kind];
      emulators[kind] = {
        plain: await startEmulator(args),
        signed: await startEmulator([...args, "--signature-secret", SIGNATURE_SECRET]),
      };
    }
    const scenarios: [string, string, (target: Protocol) => Promise<Row>][] = [
      [
        "sequential-events",
        "1. sequential sendEvent",
        (t) => sequentialEvents(emulators[t.server].plain.url, t),
      ],
      ["batches", "2. sendEventsBatch", (t) => batchedEvents(emulators[t.server].plain.url, t)],
      [
        "signed-events",
        "3. signed sendEvent",
        (t) => signedEvents(emulators[t.server].plain.url, emulators[t.server].signed.url, t),
      ],
      ["batcher", "4. batcher", (t) => backgroundBatcher(emulators[t.server].plain.url, t)],
    ];
    for (const [id, name, run] of scenarios) {
      for (const target of TARGETS) rows.push(await attempt(id, name, target, () => run(target)));
    }
  } finally {
    await closeAllEmulators();
  }

  console.log(formatTable(rows));
  console.log("");
  console.log(formatCpuTable(rows));
  console.log("");
  for (const kind of Object.keys(SERVERS) as ServerKind[]) {
    const names = TARGETS.filter((t) => t.server === kind).map((t) => t.name).join(", ");
    console.log(`${names}: ${SERVERS[kind].label}`);
  }
  for (const r of rows) {
    if (r.id === "signed-events" && r.notes) {
      const percent = (value: unknown) => `${Number(value) >= 0 ? "+" : ""}${value}%`;
      console.log(
        `signing (${r.protocol}): ${percent(r.notes.signingCostPercent)} time per request; ` +
          `the client's share alone ${percent(r.notes.clientShareCostPercent)} (signed requests ` +
          `to a server that does not verify them)`,
      );
    }
    if (r.id === "batcher" && r.notes) {
      console.log(
        `batcher (${r.protocol}): peak queue ${r.notes.peakHeld} items, RSS ` +
          `${r.notes.rssBeforeMiB} MiB before, ${r.notes.rssAfterMiB} MiB after, ` +
          `${r.notes.rssPeakMiB} MiB peak`,
      );
    }
  }
  const protocols = ["sequential-events", "batches", "signed-events", "batcher"]
    .map((id) => compareProtocols(rows, id))
    .filter((entry) => entry !== undefined);
  for (const entry of protocols) {
    console.log(
      `${entry.scenario}: client faster over ${entry.faster} ` +
        `(HTTP/2 at ${entry.http2OverHttp1}× HTTP/1.1, same server)`,
    );
  }

  const failed = rows.filter((r) => r.error !== undefined);
  if (failed.length > 0) {
    console.error(`${failed.length} scenario(s) failed; no results written.`);
    return 1;
  }
  if (OUT !== undefined) {
    const results = {
      date: startedAt.toISOString(),
      mode: QUICK ? "quick" : "full",
      git: await gitState(),
      deno: Deno.version,
      os: `${Deno.build.os}/${Deno.build.arch}`,
      cpu: { model: cpuModel(), cores: navigator.hardwareConcurrency },
      counts: { ...COUNTS, batchSize: BATCH_SIZE, concurrency: CONCURRENCY },
      durationSeconds: round1((Date.now() - startedAt.getTime()) / 1000),
      ratio: "client median / baseline median, in events per second (>= 1: client as fast)",
      servers: Object.fromEntries(
        TARGETS.map((
          t,
        ) => [t.name, { server: SERVERS[t.server].label, client: { http2: t.http2 } }]),
      ),
      rows,
      protocols,
    };
    await Deno.writeTextFile(OUT, JSON.stringify(results, null, 2) + "\n");
    console.error(`results written to ${OUT}`);
  }
  return 0;
}

// Ctrl+C must not leave emulator processes behind.
const interrupt = async () => {
  await closeAllEmulators();
  Deno.exit(130);
};
Deno.addSignalListener("SIGINT", interrupt);
let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error);
  await closeAllEmulators();
}
Deno.removeSignalListener("SIGINT", interrupt);
Deno.exit(code);
