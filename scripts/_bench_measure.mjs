// @ts-self-types="./_bench_measure.d.ts"
// The benchmark's timing, in plain JavaScript so that the runtime worker (`_runtime_worker.mjs`,
// run by Deno, Node and Bun alike) and `scripts/bench.ts` measure the same way.
import process from "node:process";

/** The middle value (mean of the two middle ones for an even count). */
export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * Runs the sides (client first, then its baselines) in turn, after one untimed run of each (JIT
 * in both processes, TLS handshakes, connection pools), so that noise on a busy machine hits
 * every side alike. The side that goes first rotates every round (A B, B A, ...): both processes
 * keep speeding up for a while after the warm-up, and a fixed order would favour the last side.
 */
export async function alternate(rounds, sides) {
  for (const side of sides) await side(-1);
  const runs = sides.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < sides.length; turn++) {
      const index = (round + turn) % sides.length;
      runs[index].push(await sides[index](round));
    }
  }
  return runs.map((measures) => {
    const rates = measures.map((m) => m.perSecond);
    const cpu = median(measures.map((m) => m.cpuMicros));
    return { median: median(rates), runs: rates, cpuMicrosPerOp: Math.round(cpu * 100) / 100 };
  });
}

/** Times `work`, which performs `operations` operations: wall clock and this process's CPU. */
export async function measure(operations, work) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: operations / seconds, cpuMicros: (used.user + used.system) / operations };
}

/** Runs `task` for indices 0..count-1, at most `concurrency` at a time, in order of index. */
export async function pool(count, concurrency, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
