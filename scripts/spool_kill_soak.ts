/**
 * `deno task spool-soak`: a spooled batcher SIGKILLed at random moments, restarted on the same
 * spool each time, then left to drain; every event whose `add()` resolved must end up stored
 * exactly once.
 *
 * ```sh
 * deno run -A scripts/spool_kill_soak.ts [--kills 50] [--seed N] [--runtime deno|node|bun]
 *     [--max-bytes 4194304] [--window 64] [--final-events 2000] [--reuse-build] [--keep] [--json]
 * ```
 *
 * The emulator runs in this process over HTTPS on 127.0.0.1 (no rate limit), so it outlives every
 * producer. Each producer (`_spool_soak_child.mjs`, under the runtime asked: Deno runs the source,
 * Node and Bun the npm build) adds events with ids never used before (`soak-r<run>-<i>`) through
 * `createBatcher({ spool: { dir, maxBytes } })`, `--window` `add()` calls at a time, and prints
 * each id once its `add()` has resolved; an id counts as acknowledged only once this process has
 * read it. Each of the `--kills` runs is SIGKILLed at a moment drawn from `--seed` (the same seed
 * gives the same plans; timing still varies): 15% at start-up (0-300 ms after the spawn), 20%
 * during recovery (0-40 ms after it starts taking the lock and scanning), 15% while the backlog is
 * read back and sent (0-300 ms after `ready()`), 50% in full flow (after 200-6,000 adds of the
 * run). A final run adds `--final-events` more and closes the batcher, which drains the spool.
 * `--max-bytes` (default 4 MiB, so 512 KiB segment files) keeps segment rollover, reclaiming and
 * back-pressure in play.
 *
 * Checks (exit code 1 if one fails): every acknowledged event stored exactly once (by
 * `event_id`), no event stored twice (acknowledged or not), no stored id that no producer added,
 * every run ended by its SIGKILL (none crashed, none stalled), the final run closed cleanly, no
 * lock lost or dead-lettered item logged, and the directory left with no `*.tmp`, no lock file
 * and no segment file. It reports the `damaged/` folder (a SIGKILL may tear the last write, which
 * recovery skips without loss; it should damage no file), events sent more than once (at least
 * once on the wire), kills by phase and durations. `--keep` keeps the spool directory; `--json` adds the
 * summary as one JSON line at the end.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createVectorVueEmulator } from "../src/testing/mod.ts";
import { ensureNpmBuild, type RuntimeName, RUNTIMES } from "./_runtimes.ts";
import {
  type ChildSetup,
  drawPlan,
  type KillPlan,
  runChild,
  type RunResult,
  runtimeCommand,
  seededRandom,
} from "./_spool_soak_run.ts";

const BATCH_PATH = "/api/v1/integrations/spectrastrike/events/batch";
const fixture = (name: string) =>
  fileURLToPath(new URL(`../tests/fixtures/${name}`, import.meta.url));

const args = parseArgs({
  args: Deno.args,
  options: {
    kills: { type: "string", default: "50" },
    seed: { type: "string" },
    runtime: { type: "string", default: "deno" },
    "max-bytes": { type: "string", default: String(4 * 1024 * 1024) },
    window: { type: "string", default: "64" },
    "final-events": { type: "string", default: "2000" },
    "reuse-build": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
  },
}).values;
const kills = Number(args.kills);
const seed = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.seed);
const runtime = args.runtime as RuntimeName;
const maxBytes = Number(args["max-bytes"]);
const window = Number(args.window);
const finalEvents = Number(args["final-events"]);
for (const [name, value] of Object.entries({ kills, seed, maxBytes, window, finalEvents })) {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name}: an integer >= 0`);
}
if (!RUNTIMES.includes(runtime)) throw new Error(`--runtime: one of ${RUNTIMES.join(", ")}`);

/** What the directory holds once everything has ended. */
interface Leftovers {
  tmp: string[];
  locks: string[];
  segments: string[];
  damaged: { name: string; bytes: number }[];
}

async function leftovers(dir: string): Promise<Leftovers> {
  const names = await readdir(dir, { recursive: true });
  const damaged = [];
  for (const name of names.filter((n) => n.startsWith("damaged/"))) {
    damaged.push({ name, bytes: (await stat(join(dir, name))).size });
  }
  const base = (name: string) => name.split("/").pop()!;
  return {
    tmp: names.filter((n) => n.endsWith(".tmp")),
    locks: names.filter((n) => /^spool\.lock\.\d+$/.test(base(n))),
    segments: names.filter((n) => !n.startsWith("damaged/") && base(n).startsWith("segment-")),
    damaged,
  };
}

/** How often each id went out in a batch, and under how many keys and by how many processes. */
function wireCounts(
  requests: readonly { path: string; body: string; headers: Record<string, string> }[],
) {
  const sent = new Map<string, { times: number; keys: Set<string>; agents: Set<string> }>();
  let batches = 0;
  for (const request of requests) {
    if (request.path !== BATCH_PATH) continue;
    batches++;
    for (const [, id] of request.body.matchAll(/"event_id":"([^"]+)"/g)) {
      const entry = sent.get(id) ?? { times: 0, keys: new Set(), agents: new Set() };
      entry.times++;
      entry.keys.add(request.headers["idempotency-key"] ?? "");
      entry.agents.add(request.headers["user-agent"] ?? "");
      sent.set(id, entry);
    }
  }
  const again = [...sent.values()].filter((e) => e.times > 1);
  return {
    batches,
    idsSentAgain: again.length,
    idsUnderTwoKeys: again.filter((e) => e.keys.size > 1).length,
    idsSentTwiceByOneProcess: again.filter((e) => e.times > e.agents.size).length,
  };
}

const describePlan = (plan: KillPlan) =>
  plan.kind === "delivery"
    ? `delivery after ${plan.acked} acks`
    : plan.kind === "final"
    ? `final, ${plan.limit} events then close`
    : `${plan.kind} +${plan.delayMs} ms`;

function describeRun(result: RunResult): string {
  const at = result.phase === "ready"
    ? `ready (backlog ${result.backlog}), ${result.acked.length} acked`
    : result.phase;
  const ms = (n?: number) => n === undefined ? "-" : `${Math.round(n)} ms`;
  return `run ${String(result.run).padStart(3)}: ${describePlan(result.plan).padEnd(28)} ` +
    `ended ${String(result.ended).padEnd(7)} at ${at}; ready after ${ms(result.msToReady)}, ` +
    `run ${ms(result.ms)}`;
}

/** The commit measured (with "+changes" when the work tree differs from it). */
const commit = async () => {
  const git = (...args: string[]) =>
    new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output()
      .then((out) => new TextDecoder().decode(out.stdout).trim(), () => "");
  const head = await git("rev-parse", "--short", "HEAD");
  return (await git("status", "--porcelain", "--untracked-files=no")) ? `${head}+changes` : head;
};

const runtimeVersion = async () => {
  if (runtime === "deno") return `deno ${Deno.version.deno}`;
  const [command] = await runtimeCommand(runtime);
  const out = await new Deno.Command(command, { args: ["--version"], stdout: "piped" }).output();
  return `${runtime} ${new TextDecoder().decode(out.stdout).trim().replace(/^v/, "")}`;
};

async function main(): Promise<boolean> {
  await ensureNpmBuild([runtime], args["reuse-build"]);
  const emulator = createVectorVueEmulator({ rateLimit: false });
  const server = await emulator.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: readFileSync(fixture("server.pem"), "utf8"),
    key: readFileSync(fixture("server-key.pem"), "utf8"),
  });
  const dir = await mkdtemp(join(tmpdir(), "vv-spool-soak-"));
  const setup: ChildSetup = {
    command: await runtimeCommand(runtime),
    runtime,
    baseUrl: server.url,
    ...emulator.defaults,
    caPath: fixture("ca.pem"),
    dir,
    maxBytes,
    window,
    timeoutMs: 120_000,
  };
  const version = `${await runtimeVersion()}, commit ${await commit() || "unknown"}`;
  console.log(
    `spool soak: ${kills} kills, seed ${seed}, ${version}, spool ${dir} (maxBytes ${maxBytes})`,
  );
  const random = seededRandom(seed);
  const results: RunResult[] = [];
  const started = performance.now();
  let passed = false;
  try {
    for (let run = 0; run <= kills; run++) {
      const plan: KillPlan = run < kills ? drawPlan(random) : { kind: "final", limit: finalEvents };
      const result = await runChild(setup, run, plan);
      results.push(result);
      console.log(describeRun(result));
      for (const line of result.other.slice(0, 20)) console.log(`    ${line}`);
    }
    const seconds = (performance.now() - started) / 1000;
    passed = report(results, emulator, await leftovers(dir), seconds, version);
  } finally {
    await server.close();
    if (passed && !args.keep) await rm(dir, { recursive: true, force: true });
    else console.log(`spool directory kept: ${dir}`);
  }
  return passed;
}

/** What the soak found, in numbers. */
function summarize(
  results: RunResult[],
  emulator: ReturnType<typeof createVectorVueEmulator>,
  left: Leftovers,
  seconds: number,
) {
  const acked = new Set(results.flatMap((r) => r.acked));
  const storedIds = emulator.events().map((e) => e.event_id);
  const stored = new Set(storedIds);
  const lost = [...acked].filter((id) => !stored.has(id));
  const logs = results.flatMap((r) => r.logs);
  const count = (pattern: RegExp) => logs.filter((l) => pattern.test(l.message)).length;
  const final = results.at(-1)!;
  const killed = results.slice(0, -1);
  const phases: Record<string, number> = {};
  for (const r of killed) {
    const key = `${r.plan.kind} → killed at ${r.phase}`;
    phases[key] = (phases[key] ?? 0) + 1;
  }
  const readies = killed.flatMap((r) => r.msToReady === undefined ? [] : [r.msToReady]);
  const backlogs = killed.flatMap((r) => r.backlog === undefined ? [] : [r.backlog]);
  const mean = (xs: number[]) => xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
  return {
    kills: killed.length,
    phases,
    badEnds: killed.filter((r) => r.ended !== "SIGKILL" || r.stalled).length,
    final: { phase: final.phase, ended: final.ended, acked: final.acked.length, ms: final.ms },
    acknowledged: acked.size,
    stored: stored.size,
    storedUnacknowledged: [...stored].filter((id) => !acked.has(id)).length,
    lost: lost.length,
    lostExamples: lost.slice(0, 5),
    storedTwice: storedIds.length - stored.size,
    foreign: [...stored].filter((id) => !/^soak-r\d+-\d+$/.test(id)).length,
    ...wireCounts(emulator.requests),
    logs: {
      all: logs.length,
      takeovers: count(/took over a stale lock/),
      tornTails: count(/torn or corrupt tail/),
      damaged: count(/damaged segment;/),
      writeFailures: count(/write failed/),
      lockLost: count(/lost the lock/),
      deadLettered: count(/dead-lettered/),
      other: logs.filter((l) => !/took over a stale lock|torn or corrupt tail/.test(l.message))
        .slice(0, 10),
    },
    left,
    seconds,
    msToReady: { mean: mean(readies), max: Math.max(0, ...readies) },
    backlogAtReady: { mean: mean(backlogs), max: Math.max(0, ...backlogs) },
  };
}

type Summary = ReturnType<typeof summarize>;

/** The checks, each with what it found. */
function checksOf(s: Summary): [string, boolean][] {
  const { final, logs, left } = s;
  return [
    [`every run killed by SIGKILL (${s.badEnds} not)`, s.badEnds === 0],
    [
      `the final run closed and exited 0 (${final.phase}, ${final.ended})`,
      final.phase === "closed" && final.ended === 0,
    ],
    [`acknowledged events lost: ${s.lost}`, s.lost === 0],
    [`events stored twice: ${s.storedTwice}`, s.storedTwice === 0],
    [`stored ids no producer added: ${s.foreign}`, s.foreign === 0],
    [`locks lost: ${logs.lockLost}`, logs.lockLost === 0],
    [`items dead-lettered: ${logs.deadLettered}`, logs.deadLettered === 0],
    [`*.tmp left: ${left.tmp.length}`, left.tmp.length === 0],
    [`lock files left: ${left.locks.length}`, left.locks.length === 0],
    [`segment files left: ${left.segments.length}`, left.segments.length === 0],
  ];
}

function printReport(s: Summary, checks: [string, boolean][], version: string): void {
  const n = (x: number) => x.toFixed(0);
  const damaged = s.left.damaged.map((d) => `${d.name} (${d.bytes} B)`).join(", ") || "empty";
  const rows = [
    ["kills", `${s.kills}: ${Object.entries(s.phases).map(([k, c]) => `${c} ${k}`).join(", ")}`],
    ["acknowledged", `${s.acknowledged} (${s.final.acked} by the final run)`],
    [
      "stored",
      `${s.stored} (${s.stored - s.storedUnacknowledged} acknowledged, ` +
      `${s.storedUnacknowledged} never acknowledged, each at most once)`,
    ],
    ["lost", `${s.lost}${s.lost ? ` e.g. ${s.lostExamples.join(", ")}` : ""}`],
    [
      "duplicates",
      `${s.storedTwice} stored twice; on the wire ${s.idsSentAgain} ids sent again ` +
      `(${s.idsUnderTwoKeys} under a new key, ${s.idsSentTwiceByOneProcess} by one process) ` +
      `in ${s.batches} batches`,
    ],
    [
      "recovery logs",
      `${s.logs.takeovers} stale-lock takeovers, ${s.logs.tornTails} torn tails skipped, ` +
      `${s.logs.damaged} damaged segments, ${s.logs.writeFailures} write failures, ` +
      `${s.logs.all} warnings/errors in all`,
    ],
    ["damaged/", damaged],
    [
      "durations",
      `${s.seconds.toFixed(1)} s in all (${n(s.acknowledged / s.seconds)} acknowledged/s); ` +
      `ready() after the spawn: mean ${n(s.msToReady.mean)} ms, max ${n(s.msToReady.max)} ms; ` +
      `backlog at ready: mean ${n(s.backlogAtReady.mean)}, max ${s.backlogAtReady.max} items; ` +
      `final run ${(s.final.ms / 1000).toFixed(1)} s`,
    ],
  ];
  console.log(`\nspool soak report (${version}, seed ${seed}, ${new Date().toISOString()})`);
  for (const [name, text] of rows) console.log(`  ${name.padEnd(20)} ${text}`);
  console.log();
  for (const [text, ok] of checks) console.log(`  ${ok ? "ok  " : "FAIL"} ${text}`);
  for (const line of s.logs.other) console.log(`  log: ${JSON.stringify(line)}`);
}

/** Prints the report (and the JSON line with `--json`); whether every check passed. */
function report(
  results: RunResult[],
  emulator: ReturnType<typeof createVectorVueEmulator>,
  left: Leftovers,
  seconds: number,
  version: string,
): boolean {
  const summary = summarize(results, emulator, left, seconds);
  const checks = checksOf(summary);
  printReport(summary, checks, version);
  const passed = checks.every(([, ok]) => ok);
  if (args.json) {
    // One line for a test or a CI job to read.
    const failed = checks.filter(([, ok]) => !ok).map(([text]) => text);
    console.log(JSON.stringify({ passed, failed, version, seed, ...summary }));
  }
  return passed;
}

if (!(await main())) Deno.exit(1);
