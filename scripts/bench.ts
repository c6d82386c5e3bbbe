// `deno task bench`: measures the client against its physical limit, a bare `fetch` of the same
// request to the same server, side by side in one run so that the ratio holds on a noisy machine,
// under every runtime: Deno (the source), Node and Bun (the npm build). The server is the emulator
// in a separate process, over HTTPS on 127.0.0.1, rate limiting off; each scenario runs in a
// worker process of its runtime (`scripts/_runtime_worker.mjs`, which holds the scenarios).
//
//   deno run -A scripts/bench.ts [--quick] [--out PATH] [--reuse-build] [--scenario ID[,ID...]]
//
//   --quick        every scenario with small counts, in seconds; exits non-zero if any scenario
//                  fails, and writes no file unless --out is given (the test task runs it)
//   --out PATH     where to write the JSON results (default bench/results.json; none with --quick)
//   --scenario IDS only these scenarios (e.g. spooled-batcher; rate-limited for scenario 6);
//                  writes no file unless --out is given
//   --reuse-build  run the npm build in npm/ as it is (the test task builds it just before);
//                  without it, Node and Bun run a fresh `build_npm.ts --skip-tests --skip-pack`
//
// Scenarios:
//   1. sequential single events: sendEvent() vs bare fetch
//   2. batches of 100 at concurrency 4: sendEventsBatch() vs bare fetch
//   3. as 1, with signatureSecret (client and server): signed client vs unsigned client
//   4. background batcher, add() to close(): batcher vs bare fetch of the same batches
//   5. spooled batcher (durable: write + fsync before add() resolves) vs the in-memory batcher,
//      1,024 add() calls outstanding; bytes on disk per event; the HTTP/1.1 nodelay target only
// each against three targets (see TARGETS): HTTP/1.1 and HTTP/2 to the emulator's default server,
// which offers both by ALPN, and HTTP/1.1 to its `--http1` server, which sets TCP_NODELAY. Node and
// Bun run 1, 2 and 4 on that last target, against their own bare `fetch` (and on Node bare undici
// `request` too, the physical limit there). Each runtime's run of a scenario gets fresh emulator
// processes of the same kinds (a batcher run leaves hundreds of thousands of events stored).
import { benchContention, benchRateLimit } from "./_bench_rate_limit.ts";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { closeAllEmulators, type EmulatorProcess, startEmulator } from "./_bench_emulator.ts";
import {
  cpuModel,
  formatCpuTable,
  formatSmokeTable,
  formatTable,
  type Row,
  type Sample,
} from "./_bench_report.ts";
import { ensureNpmBuild, type RuntimeName, RUNTIMES, runWorker } from "./_runtimes.ts";

const USAGE =
  "usage: scripts/bench.ts [--quick] [--out PATH] [--reuse-build] [--scenario ID[,ID...]]";

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
      "reuse-build": { type: "boolean", default: false },
      scenario: { type: "string" },
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
const REUSE_BUILD = args["reuse-build"];
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
    spoolEvents: 5_000,
    spoolRounds: 2,
    fast: { batches: 3, batcherRounds: 2 },
  }
  : {
    rounds: 7,
    events: 1_000,
    batches: 80,
    batcherEvents: 100_000,
    batcherRounds: 3,
    spoolEvents: 50_000,
    spoolRounds: 3,
    fast: { batches: 400, batcherRounds: 5 },
  };
const BATCH_SIZE = 100;
const CONCURRENCY = 4;
const SIGNATURE_SECRET = "benchmark-signature-secret";
/** add() calls a producer keeps outstanding in scenario 5: group commit needs company. */
const SPOOL_WINDOW = 1_024;
/** `--scenario`: run only these scenarios (ids as in SCENARIOS); their results are not written. */
/** The `--scenario` id of the rate-limited runs (alone and with a neighbour). */
const RATE_LIMITED = "rate-limited";
const ONLY = args.scenario?.split(",").map((id) => id.trim()).filter((id) => id !== "");
const OUT = args.out ?? (QUICK || ONLY !== undefined ? undefined : "bench/results.json");

const CA_PATH = fileURLToPath(new URL("../tests/fixtures/ca.pem", import.meta.url));

/**
 * Where each scenario runs. The client gets `http2`; Deno's baseline gets the Deno.createHttpClient
 * settings that `src/platform/network_deno.ts` makes of it, so both sides speak the same protocol.
 * `runtimes`: who runs there (Node's and Bun's bare `fetch` speak HTTP/1.1).
 *
 * Why two servers: the emulator's default server (Deno.serve, HTTP/1.1 and HTTP/2 by ALPN) leaves
 * Nagle's algorithm on, so an answer written as head then body waits for the client's delayed
 * ACK (40 ms on Linux). uvicorn, the real server, sets TCP_NODELAY, and so does the emulator's
 * `--http1` server (node:https). The same-server pair compares the protocols; the `nodelay`
 * target is the one where the client's own costs are not hidden behind 40 ms timers.
 */
const TARGETS = [
  { name: "HTTP/1.1", server: "deno", http2: false, runtimes: ["deno"] },
  { name: "HTTP/2", server: "deno", http2: true, runtimes: ["deno"] },
  { name: "HTTP/1.1 nodelay", server: "node", http2: false, runtimes: RUNTIMES },
] as const;
type Protocol = (typeof TARGETS)[number];
type ServerKind = Protocol["server"];
const SERVERS: Record<ServerKind, { label: string; args: string[] }> = {
  deno: { label: "emulator, Deno.serve (HTTP/1.1 + HTTP/2, Nagle on)", args: [] },
  node: { label: "emulator --http1, node:https (HTTP/1.1, TCP_NODELAY)", args: ["--http1"] },
};

// ---- scenarios -----------------------------------------------------------------------------

/** A scenario: its worker id, its title, and the runtimes that run it (on their targets). */
interface Scenario {
  readonly id: string;
  readonly title: string;
  readonly runtimes: readonly RuntimeName[];
  /** Only on these targets (by name); every target by default. */
  readonly targets?: readonly string[];
}

// Adding a scenario: a function in `_runtime_worker.mjs`'s SCENARIOS and a line here.
const SCENARIOS: readonly Scenario[] = [
  { id: "sequential-events", title: "1. sequential sendEvent", runtimes: RUNTIMES },
  {
    id: "batches",
    title: `2. sendEventsBatch ×${BATCH_SIZE}, concurrency ${CONCURRENCY}`,
    runtimes: RUNTIMES,
  },
  { id: "signed-events", title: "3. sequential sendEvent, signed", runtimes: ["deno"] },
  {
    id: "batcher",
    title: `4. batcher add()→close(), ${COUNTS.batcherEvents.toLocaleString("en-US")} events`,
    runtimes: RUNTIMES,
  },
  {
    id: "spooled-batcher",
    title: `5. spooled batcher add()→close(), ${COUNTS.spoolEvents.toLocaleString("en-US")} events`,
    runtimes: RUNTIMES,
    // The disk is the same whatever the protocol; this target hides least behind the network.
    targets: ["HTTP/1.1 nodelay"],
  },
];

/** The emulator processes of a run: a plain one per server kind, and a signing one for scenario 3. */
type Emulators = Record<ServerKind, { plain: EmulatorProcess; signed?: EmulatorProcess }>;

/** Runs one scenario on one target under one runtime, in that runtime's worker. */
async function runScenario(
  scenario: Scenario,
  target: Protocol,
  runtime: RuntimeName,
  emulators: Emulators,
): Promise<Row> {
  const fast = target.server === "node";
  const counts = {
    events: COUNTS.events,
    batches: fast ? COUNTS.fast.batches : COUNTS.batches,
    batcherEvents: COUNTS.batcherEvents,
    batcherRounds: fast ? COUNTS.fast.batcherRounds : COUNTS.batcherRounds,
    spoolEvents: COUNTS.spoolEvents,
    spoolRounds: COUNTS.spoolRounds,
  };
  const [result] = await runWorker(runtime, "bench", {
    scenario: scenario.id,
    url: emulators[target.server].plain.url,
    signedUrl: emulators[target.server].signed?.url,
    signatureSecret: SIGNATURE_SECRET,
    caPath: CA_PATH,
    http2: target.http2,
    rounds: COUNTS.rounds,
    counts,
    batchSize: BATCH_SIZE,
    concurrency: CONCURRENCY,
    spoolWindow: SPOOL_WINDOW,
  }, runtime === "node" ? { NODE_EXTRA_CA_CERTS: CA_PATH } : {}) as unknown as [WorkerResult];
  const [label, ...otherLabels] = result.labels;
  const [baseline, ...others] = result.baselines;
  return {
    id: scenario.id,
    scenario: scenario.title,
    runtime: result.runtime,
    protocol: target.name,
    server: SERVERS[target.server].label,
    unit: "events/s",
    baselineLabel: label,
    client: result.client,
    baseline,
    ratio: result.client.median / baseline.median,
    ...(others.length > 0
      ? {
        otherBaselines: others.map((sample, i) => ({
          label: otherLabels[i],
          sample,
          ratio: result.client.median / sample.median,
        })),
      }
      : {}),
    notes: scenario.id === "signed-events" ? signingNotes(result) : result.notes,
  };
}

/** What a worker prints for a scenario. */
interface WorkerResult {
  readonly runtime: string;
  readonly labels: readonly string[];
  readonly client: Sample;
  readonly baselines: readonly Sample[];
  readonly notes: Record<string, unknown>;
}

/**
 * Scenario 3's baseline is the unsigned client, so its ratio includes the server's own check;
 * signed requests to the plain server, which ignores the headers, give the client's share alone.
 * Percentages of time per request: 1 / throughput is time, so cost = unsigned/signed - 1.
 */
function signingNotes(result: WorkerResult): Record<string, unknown> {
  const unsigned = result.baselines[0].median;
  const cost = (signedRate: number) => round1((unsigned / signedRate - 1) * 100);
  const signedToPlain = result.notes.signedToPlain as Sample;
  return {
    ...result.notes,
    signingCostPercent: cost(result.client.median),
    clientShareCostPercent: cost(signedToPlain.median),
  };
}

// ---- the run -----------------------------------------------------------------------------

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Runs one scenario; a failure becomes a row with `error`, and the run goes on. */
async function attempt(
  scenario: Scenario,
  protocol: Protocol,
  runtime: RuntimeName,
  work: () => Promise<Row>,
): Promise<Row> {
  const started = performance.now();
  console.error(`  ${scenario.title} over ${protocol.name}, ${runtime} ...`);
  try {
    const result = await work();
    console.error(`    ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`    FAILED: ${message}`);
    return {
      id: scenario.id,
      scenario: scenario.title,
      runtime,
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

/** HTTP/1.1 against HTTP/2 for the client (Deno), on the same server. */
function compareProtocols(rows: readonly Row[], id: string) {
  const of = (name: string) =>
    rows.find((r) => r.id === id && r.protocol === name && r.runtime.startsWith("deno"))?.client;
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
  console.error(
    `VectorVue client benchmark (${QUICK ? "quick" : "full"}): building for Node and Bun`,
  );
  await ensureNpmBuild(RUNTIMES, REUSE_BUILD);
  const rows: Row[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (ONLY !== undefined && !ONLY.includes(scenario.id)) continue;
      for (const runtime of scenario.runtimes) {
        const targets = TARGETS.filter((t) =>
          (t.runtimes as readonly string[]).includes(runtime) &&
          (scenario.targets === undefined || scenario.targets.includes(t.name))
        );
        // Fresh emulator processes for each runtime's run of a scenario, shared by its targets:
        // what earlier runs stored (a batcher run stores hundreds of thousands of events) neither
        // fills the server's memory nor slows its answers for whoever comes later.
        const emulators = {} as Emulators;
        for (const kind of new Set(targets.map((t) => t.server))) {
          const { args } = SERVERS[kind];
          emulators[kind] = {
            plain: await startEmulator(args),
            signed: scenario.id === "signed-events"
              ? await startEmulator([...args, "--signature-secret", SIGNATURE_SECRET])
              : undefined,
          };
        }
        try {
          for (const target of targets) {
            rows.push(
              await attempt(
                scenario,
                target,
                runtime,
                () => runScenario(scenario, target, runtime, emulators),
              ),
            );
          }
        } finally {
          await closeAllEmulators();
        }
      }
    }
  } finally {
    await closeAllEmulators();
  }

  if (QUICK) {
    console.log(formatSmokeTable(rows));
    console.log("");
  } else {
    console.log(formatTable(rows));
    console.log("");
    console.log(formatCpuTable(rows));
    console.log("");
  }
  for (const kind of Object.keys(SERVERS) as ServerKind[]) {
    const names = TARGETS.filter((t) => t.server === kind).map((t) => t.name).join(", ");
    console.log(`${names}: ${SERVERS[kind].label}`);
  }
  // A smoke run's figures mean nothing: no notes and no protocol comparison either.
  for (const r of QUICK ? [] : rows) {
    if (r.id === "signed-events" && r.notes && !r.error) {
      const percent = (value: unknown) => `${Number(value) >= 0 ? "+" : ""}${value}%`;
      console.log(
        `signing (${r.protocol}): ${percent(r.notes.signingCostPercent)} time per request; ` +
          `the client's share alone ${percent(r.notes.clientShareCostPercent)} (signed requests ` +
          `to a server that does not verify them)`,
      );
    }
    if (r.id === "spooled-batcher" && r.notes && !r.error) {
      console.log(
        `spooled batcher (${r.runtime}): ${r.ratio?.toFixed(2)}× the in-memory batcher's ` +
          `events/s with ${r.notes.window} add() calls outstanding (target >= 0.8); ` +
          `${r.notes.bytesOnDiskPerEvent} bytes on disk per event of ${r.notes.jsonBytesPerEvent} ` +
          `bytes of JSON; ${r.notes.awaitedOneByOneEventsPerSecond} events/s awaiting each add() ` +
          `in turn (one fsync each)`,
      );
    }
    if (r.id === "batcher" && r.notes && !r.error) {
      console.log(
        `batcher (${r.runtime}, ${r.protocol}): peak queue ${r.notes.peakHeld} items, RSS ` +
          `${r.notes.rssGrowthMiB} MiB above its start at the peak`,
      );
    }
  }
  const protocols = (QUICK ? [] : ["sequential-events", "batches", "signed-events", "batcher"])
    .map((id) => compareProtocols(rows, id))
    .filter((entry) => entry !== undefined);
  for (const entry of protocols) {
    console.log(
      `${entry.scenario}: client faster over ${entry.faster} ` +
        `(HTTP/2 at ${entry.http2OverHttp1}× HTTP/1.1, same server)`,
    );
  }

  const rates = ONLY === undefined || ONLY.includes(RATE_LIMITED)
    ? await rateLimitedDelivery()
    : undefined;
  const failed = rows.filter((r) => r.error !== undefined);
  if (rates !== undefined && rates.problems.length > 0) {
    console.error(rates.problems.join("\n"));
    return 1;
  }
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
      runtimes: [...new Set(rows.map((r) => r.runtime))],
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
      rateLimit: rates?.rateLimit,
      contention: rates?.contention,
    };
    await Deno.writeTextFile(OUT, JSON.stringify(results, null, 2) + "\n");
    console.error(`results written to ${OUT}`);
  }
  return 0;
}

/**
 * Rate-limited delivery (Deno, in process): efficiency and the share of 429 answers, alone and
 * with a neighbour on the address (each on its own emulator, side by side). Its `--scenario` id
 * is {@linkcode RATE_LIMITED}.
 */
async function rateLimitedDelivery() {
  console.error("  rate-limited sendEvents(), alone and with a neighbour ...");
  const [rateLimit, contention] = await Promise.all([
    benchRateLimit(QUICK),
    benchContention(QUICK),
  ]);
  console.log(
    `rate-limited delivery (${rateLimit.limit.requests} per ${
      rateLimit.limit.windowMs / 1000
    } s, ` +
      `${rateLimit.events} events in ${rateLimit.requests} requests): ${rateLimit.seconds} s, ` +
      `ideal ${rateLimit.idealSeconds} s, efficiency ${rateLimit.efficiency} (target >= 0.9), ` +
      `429 share ${(rateLimit.share429 * 100).toFixed(1)}% (target <= 5%)`,
  );
  console.log(
    `contended delivery (${contention.limit.requests} per ${
      contention.limit.windowMs / 1000
    } s, a neighbour used ${contention.neighbourRequests} just before; ` +
      `${contention.events} events in ${contention.requests} requests): ${contention.seconds} s, ` +
      `ideal ${contention.idealSeconds} s (all granted requests), efficiency ${contention.efficiency} ` +
      `(target >= 0.77), 429 share ${(contention.share429 * 100).toFixed(1)}% (target <= 25%)`,
  );
  const problems = [
    ...rateLimit.problems.map((problem) => `rate-limited delivery: ${problem}`),
    ...contention.problems.map((problem) => `contended delivery: ${problem}`),
  ];
  return { rateLimit, contention, problems };
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
