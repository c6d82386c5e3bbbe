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

function report(
  results: RunResult[],
  emulator: ReturnType<typeof createVectorVueEmulator>,
  left: Leftovers,
  seconds: number,
  version: string,
): boolean {
  const acked = new Set(results.flatMap((r) => r.acked));
  const storedIds = emulator.events().map((e) => e.event_id);
  const stored = new Set(storedIds);
  const lost = [...acked].filter((id) => !stored.has(id));
  const foreign = [...stored].filter((id) => !/^soak-r\d+-\d+$/.test(id));
  const unackedStored = [...stored].filter((id) => !acked.has(id)).length;
  const wire = wireCounts(emulator.requests);
  const logs = results.flatMap((r) => r.logs);
  const count = (pattern: RegExp) => logs.filter((l) => pattern.test(l.message)).length;
  const final = results.at(-1)!;
  const killed = results.slice(0, -1);
  const badEnds = killed.filter((r) => r.ended !== "SIGKILL" || r.stalled);
  const byPhase = new Map<string, number>();
  for (const r of killed) {
    const key = `${r.plan.kind} → killed at ${r.phase}`;
    byPhase.set(key, (byPhase.get(key) ?? 0) + 1);
  }
  const readies = killed.filter((r) => r.msToReady !== undefined).map((r) => r.msToReady!);
  const backlogs = killed.filter((r) => r.backlog !== undefined).map((r) => r.backlog!);
  const checks: [string, boolean][] = [
    [`every run killed by SIGKILL (${badEnds.length} not)`, badEnds.length === 0],
    [
      `the final run closed and exited 0 (${final.phase}, ${final.ended})`,
      final.phase === "closed" && final.ended === 0,
    ],
    [`acknowledged events lost: ${lost.length}`, lost.length === 0],
    [`events stored twice: ${storedIds.length - stored.size}`, storedIds.length === stored.size],
    [`stored ids no producer added: ${foreign.length}`, foreign.length === 0],
    [`locks lost: ${count(/lost the lock/)}`, count(/lost the lock/) === 0],
    [`items dead-lettered: ${count(/dead-lettered/)}`, count(/dead-lettered/) === 0],
    [`*.tmp left: ${left.tmp.length}`, left.tmp.length === 0],
    [`lock files left: ${left.locks.length}`, left.locks.length === 0],
    [`segment files left: ${left.segments.length}`, left.segments.length === 0],
  ];
  const max = (xs: number[]) => xs.length ? Math.max(...xs) : 0;
  const mean = (xs: number[]) => xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
  console.log(`
spool soak report (${version}, seed ${seed}, ${new Date().toISOString()})
  kills                ${killed.length}: ${[...byPhase].map(([k, n]) => `${n} ${k}`).join(", ")}
  acknowledged         ${acked.size} (${final.acked.length} by the final run)
  stored               ${stored.size} (${
    stored.size - unackedStored
  } acknowledged, ${unackedStored} never acknowledged, each at most once)
  lost                 ${lost.length}${lost.length ? ` e.g. ${lost.slice(0, 5).join(", ")}` : ""}
  duplicates           ${
    storedIds.length - stored.size
  } stored twice; on the wire ${wire.idsSentAgain} ids sent again (${wire.idsUnderTwoKeys} under a new key, ${wire.idsSentTwiceByOneProcess} by one process) in ${wire.batches} batches
  recovery logs        ${count(/took over a stale lock/)} stale-lock takeovers, ${
    count(/torn or corrupt tail/)
  } torn tails skipped, ${count(/damaged segment;/)} damaged segments, ${
    count(/write failed/)
  } write failures, ${logs.length} warnings/errors in all
  damaged/             ${
    left.damaged.length === 0
      ? "empty"
      : left.damaged.map((d) => `${d.name} (${d.bytes} B)`).join(", ")
  }
  durations            ${seconds.toFixed(1)} s in all (${
    (acked.size / seconds).toFixed(0)
  } acknowledged/s); ready() after a kill: mean ${mean(readies).toFixed(0)} ms, max ${
    max(readies).toFixed(0)
  } ms; backlog at ready: mean ${mean(backlogs).toFixed(0)}, max ${
    max(backlogs)
  } items; final run ${(final.ms / 1000).toFixed(1)} s
`);
  for (const [text, ok] of checks) console.log(`  ${ok ? "ok  " : "FAIL"} ${text}`);
  const other = logs.filter((l) => !/took over a stale lock|torn or corrupt tail/.test(l.message));
  for (const line of other.slice(0, 10)) console.log(`  log: ${JSON.stringify(line)}`);
  const passed = checks.every(([, ok]) => ok);
  if (args.json) {
    // One line for a test or a CI job to read.
    console.log(JSON.stringify({
      passed,
      kills: killed.length,
      phases: Object.fromEntries(byPhase),
      acknowledged: acked.size,
      stored: stored.size,
      storedUnacknowledged: unackedStored,
      lost: lost.length,
      storedTwice: storedIds.length - stored.size,
      ...wire,
      damaged: left.damaged,
      seconds,
      failed: checks.filter(([, ok]) => !ok).map(([text]) => text),
    }));
  }
  return passed;
}

if (!(await main())) Deno.exit(1);
