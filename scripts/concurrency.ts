// `deno task concurrency`: the burst a user writes as `Promise.all(events.map(sendEvent))`, with a
// private CA (`caCerts`, given as the bytes `readFileSync` returns), under Deno, Node and Bun
// against one emulator process over HTTPS on 127.0.0.1 (rate limiting off). Each runtime's client
// runs in its own process (`scripts/_runtime_worker.mjs`); a relay in front of the emulator counts
// the connections it opens.
//
//   deno run -A scripts/concurrency.ts [--counts 1000,3000] [--runtimes deno,node,bun] [--reuse-build]
//
//   --reuse-build   run the npm build in npm/ as it is (the test task builds it just before);
//                   without it, Node and Bun run a fresh `build_npm.ts --skip-tests --skip-pack`
//
// Checks, for every runtime and count: every call accepted, resident memory growth under 150 MiB,
// connections open at once never above the client's bound (maxConnections, default 10), and Node
// within 2× the time Deno takes in the same run (the best of two runs each, taken in turn). Exits
// non-zero when one fails.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULTS } from "../mod.ts";
import { closeAllEmulators, startEmulator } from "./_bench_emulator.ts";
import { startConnectionCounter } from "./_connection_counter.ts";
import { ensureNpmBuild, type RuntimeName, RUNTIMES, runWorker } from "./_runtimes.ts";

const RSS_LIMIT_MIB = 150;
const NODE_OVER_DENO = 2;

const args = parseArgs({
  args: Deno.args,
  options: {
    counts: { type: "string", default: "1000,3000" },
    runtimes: { type: "string", default: RUNTIMES.join(",") },
    "reuse-build": { type: "boolean", default: false },
  },
}).values;
const counts = args.counts.split(",").map(Number);
const runtimes = args.runtimes.split(",") as RuntimeName[];
if (counts.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error("--counts: integers > 0");
if (runtimes.some((r) => !RUNTIMES.includes(r))) throw new Error(`--runtimes: ${RUNTIMES}`);
await ensureNpmBuild(runtimes, args["reuse-build"]);

interface Result {
  runtime: string;
  count: number;
  accepted: number;
  seconds: number;
  rssGrowthMiB: number;
  peakConnections: number;
  openedConnections: number;
  failures: string[];
}

const caPath = fileURLToPath(new URL("../tests/fixtures/ca.pem", import.meta.url));
const bound = DEFAULTS.maxConnections;
const results: Result[] = [];
const problems: string[] = [];
const emulator = await startEmulator(["--http1"]);
const counter = startConnectionCounter(Number(new URL(emulator.url).port));
// Deno and Node go twice, in turn (A B, B A), and the time comparison takes each one's best run:
// on a shared machine a single run of either can land in a busy moment.
const order = [...runtimes, ...runtimes.filter((r) => r !== "bun").reverse()];
try {
  for (const runtime of order) {
    for (const count of counts) {
      counter.reset();
      const [line] = await runWorker(runtime, "burst", {
        url: counter.url,
        caPath,
        counts: [count],
      });
      const { peak, opened } = counter.counts();
      const result = { ...line, peakConnections: peak, openedConnections: opened } as Result;
      results.push(result);
      const who = `${result.runtime}, ${count} calls`;
      if (result.accepted !== count) {
        problems.push(`${who}: ${result.accepted} accepted; ${result.failures.join("; ")}`);
      }
      if (result.rssGrowthMiB >= RSS_LIMIT_MIB) {
        problems.push(`${who}: resident memory grew by ${result.rssGrowthMiB} MiB`);
      }
      if (peak > bound) {
        problems.push(`${who}: ${peak} connections open at once (bound ${bound})`);
      }
    }
  }
} finally {
  counter.close();
  await closeAllEmulators();
}

const seconds = (runtime: string, count: number) => {
  const runs = results.filter((r) => r.runtime.startsWith(runtime) && r.count === count);
  return runs.length === 0 ? undefined : Math.min(...runs.map((r) => r.seconds));
};
for (const count of counts) {
  const deno = seconds("deno", count);
  const node = seconds("node", count);
  if (deno !== undefined && node !== undefined && node > NODE_OVER_DENO * deno) {
    problems.push(
      `node, ${count} calls: ${node} s at best, over ${NODE_OVER_DENO}× Deno's best ${deno} s`,
    );
  }
}

console.log(
  `| runtime | parallel sendEvent | accepted | seconds | RSS growth MiB | connections at once (bound ${bound}) | opened |`,
);
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const r of results) {
  console.log(
    `| ${r.runtime} | ${r.count} | ${r.accepted} | ${r.seconds} | ${r.rssGrowthMiB} | ${r.peakConnections} | ${r.openedConnections} |`,
  );
}
if (problems.length > 0) {
  console.error(`concurrency: FAILED\n  ${problems.join("\n  ")}`);
  Deno.exit(1);
}
console.log("concurrency: every check passed");
