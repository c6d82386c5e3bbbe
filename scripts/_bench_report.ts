// The benchmark's arithmetic and presentation: medians, alternating rounds, the table and the
// facts about the machine that make a result comparable with another.

import type { Sample } from "./_bench_measure.mjs";

export { alternate, measure, median, pool } from "./_bench_measure.mjs";
export type { Measure, Run, Sample } from "./_bench_measure.mjs";

/** One line of the results table. */
export interface Row {
  /** Stable identifier, such as `sequential-events`. */
  readonly id: string;
  /** As printed, such as `1. sequential sendEvent`. */
  readonly scenario: string;
  /** The runtime the client ran under, with its version: `deno 2.9.6`, `node 20.20.2`, `bun 1.4.4`. */
  readonly runtime: string;
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
  /** Further baselines (on Node: bare undici `request`), each with the client's ratio to it. */
  readonly otherBaselines?: readonly { label: string; sample: Sample; ratio: number }[];
  /** Scenario-specific figures (signing cost, peak queue, memory). */
  readonly notes?: Readonly<Record<string, unknown>>;
  /** Why the scenario did not complete. */
  readonly error?: string;
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

/** The results table: scenario, runtime, protocol, client, baselines, ratios. */
export function formatTable(rows: readonly Row[]): string {
  return markdownTable(
    ["scenario", "runtime", "protocol", "client", "baseline", "ratio"],
    rows.map((row) => {
      const baselines = row.error ? [] : [
        { label: row.baselineLabel, sample: row.baseline, ratio: row.ratio },
        ...(row.otherBaselines ?? []),
      ];
      return [
        row.scenario,
        row.runtime,
        row.protocol,
        row.error ? "ERROR" : `${formatRate(row.client?.median)} ${row.unit}`,
        baselines.map((b) => `${formatRate(b.sample?.median)} (${b.label})`).join("; "),
        baselines.map((b) => b.ratio === undefined ? "-" : b.ratio.toFixed(2)).join("; ") ||
        "-",
      ];
    }),
    3,
  );
}

/**
 * What `--quick` prints: which scenario ran and which failed, and no figures. Its counts are far
 * too small for rates or ratios to mean anything (a 20-event run is all warm-up and scheduling).
 */
export function formatSmokeTable(rows: readonly Row[]): string {
  return "Smoke run (--quick): every scenario once with small counts, to prove it runs; " +
    "no rates or ratios, which mean nothing at these counts (run without --quick for those).\n\n" +
    markdownTable(
      ["scenario", "protocol", "outcome"],
      rows.map((row) => [row.scenario, row.protocol, row.error ? `ERROR: ${row.error}` : "ran"]),
      3,
    );
}

/** CPU of the benchmark process per event, client and baseline side by side. */
export function formatCpuTable(rows: readonly Row[]): string {
  const micros = (sample: Sample | undefined) =>
    sample === undefined ? "-" : sample.cpuMicrosPerOp.toFixed(1);
  return markdownTable(
    ["scenario", "runtime", "protocol", "client CPU µs/event", "baseline CPU µs/event"],
    rows.filter((row) => !row.error).map((row) => [
      row.scenario,
      row.runtime,
      row.protocol,
      micros(row.client),
      micros(row.baseline),
    ]),
    3,
  );
}
