// The benchmark's arithmetic and presentation: medians, alternating rounds, the table and the
// facts about the machine that make a result comparable with another.
import process from "node:process";

/** One timed run of one side. */
export interface Measure {
  /** Operations per second, wall clock. */
  readonly perSecond: number;
  /** CPU time of this process (every thread) per operation, in microseconds. */
  readonly cpuMicros: number;
}

/** Throughputs of one side of a scenario, one per round. */
export interface Sample {
  /** Median of `runs`. */
  readonly median: number;
  /** Operations per second of each round, in order. */
  readonly runs: readonly number[];
  /**
   * Median CPU time of the benchmark process per operation, in microseconds. On a small
   * machine the wall-clock ratio wanders with scheduling; this is the steadier measure of what
   * the client itself costs.
   */
  readonly cpuMicrosPerOp: number;
}

/** One line of the results table. */
export interface Row {
  /** Stable identifier, such as `sequential-events`. */
  readonly id: string;
  /** As printed, such as `1. sequential sendEvent`. */
  readonly scenario: string;
  /** The target: `HTTP/1.1`, `HTTP/2` or `HTTP/1.1 nodelay`. */
  readonly protocol: string;
  /** Which emulator server answered. */
  readonly server: string;
  /** What `client` and `baseline` count, such as `events/s`. */
  readonly unit: string;
  /** What the baseline is, such as `bare fetch`. */
  readonly baselineLabel: string;
  readonly client?: Sample;
  readonly baseline?: Sample;
  /** `client.median / baseline.median`: 1 or more means the client is as fast. */
  readonly ratio?: number;
  /** Scenario-specific figures (signing cost, peak queue, memory). */
  readonly notes?: Readonly<Record<string, unknown>>;
  /** Why the scenario did not complete. */
  readonly error?: string;
}

/** The middle value (mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** One run of a side; round -1 is the untimed warm-up. */
export type Run = (round: number) => Promise<Measure>;

/**
 * Runs the sides (client first, then its baselines) in turn, after one untimed run of each (JIT
 * in both processes, TLS handshakes, connection pools), so that noise on a busy machine hits
 * every side alike. The side that goes first rotates every round (A B, B A, ...): both processes
 * keep speeding up for a while after the warm-up, and a fixed order would favour the last side.
 */
export async function alternate(rounds: number, sides: readonly Run[]): Promise<Sample[]> {
  for (const side of sides) await side(-1);
  const runs: Measure[][] = sides.map(() => []);
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
export async function measure(
  operations: number,
  work: () => Promise<void>,
): Promise<Measure> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: operations / seconds, cpuMicros: (used.user + used.system) / operations };
}

/** Runs `task` for indices 0..count-1, at most `concurrency` at a time, in order of index. */
export async function pool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** The CPU model from `/proc/cpuinfo`, or what is known without it. */
export function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const model = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim();
    if (model) return model;
  } catch {
    // Not Linux, or not readable: fall through.
  }
  return `unknown (${Deno.build.os}/${Deno.build.arch})`;
}

const MIB = 1024 * 1024;

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / MIB) * 10) / 10;
}

function formatRate(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "-";
  return value >= 100 ? Math.round(value).toLocaleString("en-US") : value.toFixed(1);
}

/** A Markdown table (it reads as plain text in a terminal too); numeric columns align right. */
function markdownTable(header: readonly string[], body: readonly string[][], numericFrom: number) {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => cells[column].length))
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(" | ")} |`;
  const rule = widths.map((width, column) =>
    column >= numericFrom ? "-".repeat(width + 1) + ":" : "-".repeat(width + 2)
  );
  return [line(header), `|${rule.join("|")}|`, ...body.map(line)].join("\n");
}

/** The results table: scenario, protocol, client, baseline, ratio. */
export function formatTable(rows: readonly Row[]): string {
  return markdownTable(
    ["scenario", "protocol", "client", "baseline", "ratio"],
    rows.map((row) => [
      row.scenario,
      row.protocol,
      row.error ? "ERROR" : `${formatRate(row.client?.median)} ${row.unit}`,
      row.error ? "" : `${formatRate(row.baseline?.median)} (${row.baselineLabel})`,
      row.ratio === undefined ? "-" : row.ratio.toFixed(2),
    ]),
    2,
  );
}

/** CPU of the benchmark process per event, client and baseline side by side. */
export function formatCpuTable(rows: readonly Row[]): string {
  const micros = (sample: Sample | undefined) =>
    sample === undefined ? "-" : sample.cpuMicrosPerOp.toFixed(1);
  return markdownTable(
    ["scenario", "protocol", "client CPU µs/event", "baseline CPU µs/event"],
    rows.filter((row) => !row.error).map((row) => [
      row.scenario,
      row.protocol,
      micros(row.client),
      micros(row.baseline),
    ]),
    2,
  );
}
