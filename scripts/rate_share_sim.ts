// Clients that cannot share a pacer (as in separate processes) on one address, in virtual time: the
// issue-18 scenarios of scripts/rate_share_processes.ts in seconds instead of minutes, and
// repeatable (seeded), so a change to the pacer can be compared over many runs. Each client gets a
// `fetch` of its own (so a pacer of its own) that answers through the emulator's `fetch` after a
// jittered round trip; timers, `Date.now`, `performance.now` and `Math.random` are replaced, and
// virtual time moves to the next timer only when nothing else is left to run. Its figures match
// the real processes' (a measurement tool, not a test):
//
//   deno run -A scripts/rate_share_sim.ts [--clients 4] [--events 3000] [--runs 10] [--seed 1]
//     [--neighbour N (requests a neighbour used just before)] [--limit 20] [--window 5000]
//     [--rtt 50] [--timeline]
//
// `--timeline` prints each client's requests (send time in seconds, `x` when answered 429).
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    clients: { type: "string", default: "4" },
    events: { type: "string", default: "3000" },
    runs: { type: "string", default: "10" },
    seed: { type: "string", default: "1" },
    neighbour: { type: "string", default: "0" },
    limit: { type: "string", default: "20" },
    window: { type: "string", default: "5000" },
    rtt: { type: "string", default: "50" },
    timeline: { type: "boolean", default: false },
  },
});
const CLIENTS = Number(values.clients);
const EVENTS = Number(values.events);
const RTT = Number(values.rtt);
const LIMIT = { requests: Number(values.limit), windowMs: Number(values.window) };

interface Timer {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
}

// Virtual time: installed before the client is imported, so everything it schedules is virtual.
const realSetTimeout = globalThis.setTimeout;
let now = 0;
let order = 0;
const timers = new Map<number, Timer>();
Object.assign(globalThis, {
  setTimeout: (run: (...args: unknown[]) => void, ms = 0, ...args: unknown[]) => {
    const id = ++order;
    timers.set(id, { at: now + Math.max(0, Number(ms) || 0), order: id, run: () => run(...args) });
    return id;
  },
  clearTimeout: (id: unknown) => {
    if (typeof id === "number") timers.delete(id);
  },
});
Date.now = () => 1_800_000_000_000 + now;
performance.now = () => now;
let seed = 1;
Math.random = () => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const { VectorVueClient } = await import("../mod.ts");
type VectorVueEvent = import("../mod.ts").VectorVueEvent;
const { createVectorVueEmulator } = await import("../src/testing/mod.ts");

/** Work outside virtual time (the emulator's crypto) still running. */
let busy = 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const settle = () => new Promise((resolve) => realSetTimeout(resolve, 0));

/** Runs timers in time order until `done()`, letting everything else run between them. */
async function drive(done: () => boolean): Promise<void> {
  while (!done()) {
    for (let i = 0; i < 3 || busy > 0; i++) await settle();
    if (done()) return;
    let next: [number, Timer] | undefined;
    for (const entry of timers) {
      const timer = entry[1];
      if (
        !next || timer.at < next[1].at || (timer.at === next[1].at && timer.order < next[1].order)
      ) {
        next = entry;
      }
    }
    if (!next) throw new Error("nothing scheduled and not done");
    timers.delete(next[0]);
    now = Math.max(now, next[1].at);
    next[1].run();
  }
}

function event(client: number, k: number): VectorVueEvent {
  return {
    event_id: `p${client}-${k}`,
    source_system: "spectrastrike",
    event_type: "PROCESS_ANOMALY",
    occurred_at: "2026-11-28T12:00:00Z",
    severity: "low",
    asset_ref: "host-1",
    message: "m",
  };
}

async function once(run: number): Promise<{ share: number; slowest: number }> {
  seed = run * 7919;
  now = 0;
  timers.clear();
  const emulator = createVectorVueEmulator({ rateLimit: LIMIT });
  const answer = async (request: Request) => {
    busy++;
    try {
      return await emulator.fetch(request);
    } finally {
      busy--;
    }
  };
  const timelines: string[][] = Array.from({ length: CLIENTS }, () => []);
  const clients = timelines.map((timeline) =>
    new VectorVueClient({
      baseUrl: "https://127.0.0.1:1",
      ...emulator.defaults,
      fetch: async (input, init) => {
        const sent = now;
        const rtt = RTT * (0.6 + 0.8 * Math.random());
        await sleep(rtt / 2);
        const response = await answer(new Request(input, init));
        await sleep(rtt / 2);
        if (new Request(input).url.includes("/integrations/")) {
          timeline.push(`${(sent / 1000).toFixed(2)}${response.status === 429 ? "x" : ""}`);
        }
        return response;
      },
    })
  );
  const results: { requests: number; rateLimited: number; accepted: number; ms: number }[] = [];
  let failure: unknown;
  (async () => {
    await Promise.all(clients.map((client) => client.login()));
    const token = await emulator.issueToken();
    for (let k = 0; k < Number(values.neighbour); k++) {
      await answer(
        new Request("https://127.0.0.1/api/v1/integrations/spectrastrike/events", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify(event(-1, k)),
        }),
      );
    }
    const start = now;
    await Promise.all(clients.map(async (client, i) => {
      const result = await client.sendEvents(
        Array.from({ length: EVENTS }, (_, k) => event(i, k)),
      );
      results.push({ ...result, ms: now - start });
    }));
  })().catch((error) => (failure = error));
  await drive(() => results.length === CLIENTS || failure !== undefined);
  if (failure !== undefined) throw failure;
  await Promise.all(clients.map((client) => client.close()));
  const requests = results.reduce((sum, r) => sum + r.requests, 0);
  const limited = results.reduce((sum, r) => sum + r.rateLimited, 0);
  const accepted = results.reduce((sum, r) => sum + r.accepted, 0);
  const slowest = Math.max(...results.map((r) => r.ms));
  if (values.timeline) timelines.forEach((line, i) => console.log(i, line.join(" ")));
  console.log(
    `run ${run}: ${accepted} of ${CLIENTS * EVENTS} accepted; slowest client ` +
      `${(slowest / 1000).toFixed(1)} s; ${requests} requests, ${limited} answered 429 ` +
      `(${(100 * limited / requests).toFixed(1)}%)`,
  );
  return { share: limited / requests, slowest };
}

const all: { share: number; slowest: number }[] = [];
const first = Number(values.seed);
for (let run = first; run < first + Number(values.runs); run++) all.push(await once(run));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const shares = all.map((r) => r.share * 100);
const times = all.map((r) => r.slowest / 1000);
console.log(
  `429 share: mean ${mean(shares).toFixed(1)}%, max ${Math.max(...shares).toFixed(1)}%; ` +
    `slowest client: mean ${mean(times).toFixed(1)} s, max ${Math.max(...times).toFixed(1)} s`,
);
