// One producer process of `scripts/spool_kill_soak.ts` (`_spool_soak_child.mjs`): started on the
// spool directory, SIGKILLed at the moment its plan says (or, for the final run, left to close),
// with what it acknowledged, when, and what its client logged.
import { fileURLToPath } from "node:url";
import { BUN_VERSION, clientModules, type RuntimeName } from "./_runtimes.ts";

const CHILD = fileURLToPath(new URL("./_spool_soak_child.mjs", import.meta.url));

/** When to kill a run: the moments a crash can come. */
export type KillPlan =
  /** `delayMs` after the spawn: in the runtime's start, module loading, or the lock. */
  | { readonly kind: "start-up"; readonly delayMs: number }
  /** `delayMs` after "opening": taking the lock, scanning the segments. */
  | { readonly kind: "recovery"; readonly delayMs: number }
  /** `delayMs` after "ready": while the backlog the last process left is read back and sent. */
  | { readonly kind: "backlog"; readonly delayMs: number }
  /** Once `acked` adds of this run have resolved: writes, batches and answers in full flow. */
  | { readonly kind: "delivery"; readonly acked: number }
  /** The final run: no kill; it adds `limit` events and closes (the spool drains). */
  | { readonly kind: "final"; readonly limit: number };

/** A seeded generator (mulberry32): the same seed gives the same kill plans. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A kill plan drawn from `random`: 15% start-up, 20% recovery, 15% backlog, 50% delivery. */
export function drawPlan(random: () => number): KillPlan {
  const pick = random();
  const between = (low: number, high: number) => Math.floor(low + random() * (high - low));
  if (pick < 0.15) return { kind: "start-up", delayMs: between(0, 300) };
  if (pick < 0.35) return { kind: "recovery", delayMs: between(0, 40) };
  if (pick < 0.5) return { kind: "backlog", delayMs: between(0, 300) };
  return { kind: "delivery", acked: between(200, 6_000) };
}

/** The command line that runs a script under a runtime (Bun's binary found through npx once). */
export async function runtimeCommand(runtime: RuntimeName): Promise<readonly string[]> {
  if (runtime === "deno") return [Deno.execPath(), "run", "--quiet", "-A"];
  if (runtime === "node") return ["node"];
  // npx would stand between us and Bun: a SIGKILL would then end npx and leave Bun running.
  const output = await new Deno.Command("npx", {
    args: ["-y", `bun@${BUN_VERSION}`, "-e", "console.log(process.execPath)"],
    stdout: "piped",
    stderr: "inherit",
    env: { npm_config_update_notifier: "false" },
  }).output();
  return [new TextDecoder().decode(output.stdout).trim()];
}

/** What the soak tells every child. */
export interface ChildSetup {
  readonly command: readonly string[];
  readonly runtime: RuntimeName;
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly tenantId: string;
  readonly caPath: string;
  readonly dir: string;
  readonly maxBytes: number;
  readonly window: number;
  /** The longest a run may take before it counts as stalled. */
  readonly timeoutMs: number;
}

/** A line the child's client logged (warn or error). */
export interface ChildLog {
  readonly level: string;
  readonly message: string;
  readonly fields?: Record<string, unknown>;
}

/** What one run did. */
export interface RunResult {
  readonly run: number;
  readonly plan: KillPlan;
  /** What the child had reported when it was killed (or ended). */
  readonly phase: "spawned" | "opening" | "ready" | "closed";
  /** Ids whose add() resolved, as read from the child. */
  readonly acked: string[];
  /** Items on disk when `ready()` resolved (what the killed processes left). */
  readonly backlog?: number;
  readonly msToOpening?: number;
  readonly msToReady?: number;
  /** Spawn to exit. */
  readonly ms: number;
  /** The signal or exit code it ended with. */
  readonly ended: string | number;
  readonly stalled: boolean;
  readonly logs: ChildLog[];
  /** stderr lines that are not the logger's. */
  readonly other: string[];
}

async function lines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let partial = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    for (const line of parts) onLine(line);
  }
  if (partial) onLine(partial);
}

/** Runs one child to its kill (or, for the final plan, to its end). */
export async function runChild(setup: ChildSetup, run: number, plan: KillPlan): Promise<RunResult> {
  const prefix = `soak-r${run}-`;
  const [command, ...args] = setup.command;
  const config = {
    module: clientModules(setup.runtime).module,
    baseUrl: setup.baseUrl,
    username: setup.username,
    password: setup.password,
    tenantId: setup.tenantId,
    caPath: setup.caPath,
    dir: setup.dir,
    maxBytes: setup.maxBytes,
    window: setup.window,
    prefix,
    appName: `spool-soak/run-${run}`,
    limit: plan.kind === "final" ? plan.limit : undefined,
  };
  const started = performance.now();
  const child = new Deno.Command(command, {
    args: [...args, CHILD, JSON.stringify(config)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { npm_config_update_notifier: "false" },
  }).spawn();
  let phase: RunResult["phase"] = "spawned";
  let killed = false;
  let stalled = false;
  const acked: string[] = [];
  const logs: ChildLog[] = [];
  const other: string[] = [];
  let backlog: number | undefined;
  let msToOpening: number | undefined;
  let msToReady: number | undefined;
  const timers: ReturnType<typeof setTimeout>[] = [];
  const kill = () => {
    if (killed) return;
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // It has ended already.
    }
  };
  const later = (ms: number) => timers.push(setTimeout(kill, ms));
  if (plan.kind === "start-up") later(plan.delayMs);
  timers.push(setTimeout(() => (stalled = true, kill()), setup.timeoutMs));
  const onLine = (line: string) => {
    if (line === "opening") {
      phase = "opening";
      msToOpening = performance.now() - started;
      if (plan.kind === "recovery") later(plan.delayMs);
    } else if (line.startsWith("ready ")) {
      phase = "ready";
      msToReady = performance.now() - started;
      backlog = Number(line.slice(6));
      if (plan.kind === "backlog") later(plan.delayMs);
    } else if (line === "closed") phase = "closed";
    else if (/^\d+$/.test(line)) {
      acked.push(prefix + line);
      if (plan.kind === "delivery" && acked.length >= plan.acked) kill();
    } else other.push(line);
  };
  const onError = (line: string) => {
    try {
      logs.push(JSON.parse(line));
    } catch {
      other.push(line);
    }
  };
  const [status] = await Promise.all([
    child.status,
    lines(child.stdout, onLine),
    lines(child.stderr, onError),
  ]);
  for (const timer of timers) clearTimeout(timer);
  return {
    run,
    plan,
    phase,
    acked,
    backlog,
    msToOpening,
    msToReady,
    ms: performance.now() - started,
    ended: status.signal ?? status.code,
    stalled,
    logs,
    other,
  };
}
