/**
 * What a `vectorvue ship` process did, printed on standard output when it ends: a few aligned
 * lines, or one JSON object with `--json`.
 *
 * @module
 */
import type { CliSystem } from "../src/platform/command_line.ts";
import type { ShipDeadLetterReason } from "./ship_dead_letter.ts";

/** The end of a run. */
export interface ShipSummary {
  /** `completed`: standard input ended and all was delivered; `stopped`: by a signal. */
  readonly status: "completed" | "stopped" | "failed";
  readonly signal?: string;
  readonly linesRead: number;
  readonly itemsAdded: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly deadLettered: Readonly<Record<ShipDeadLetterReason, number>>;
  /** Items still in the spool, for the next shipper on the state directory. */
  readonly leftInSpool: number;
  readonly requests: number;
  readonly rateLimited: number;
  readonly stateDir: string;
  readonly deadLetter: string;
  /** With `ship -`: how far standard input was taken (lines, and bytes up to a newline). */
  readonly stdin?: { readonly lines: number; readonly bytes: number };
}

/** The summary as text. */
export function summaryText(summary: ShipSummary): string {
  const dead = summary.deadLettered;
  const rows: [string, string][] = [
    ["lines read", String(summary.linesRead)],
    ["accepted", String(summary.accepted)],
    ["rejected", String(summary.rejected)],
    [
      "dead-lettered",
      `${
        dead.malformed + dead.rejected + dead.failed
      } (malformed ${dead.malformed}, rejected ${dead.rejected}, failed ${dead.failed})`,
    ],
    [
      "left in spool",
      `${summary.leftInSpool} (delivered by the next shipper on ${summary.stateDir})`,
    ],
    ["requests", `${summary.requests} (${summary.rateLimited} answered 429)`],
    ["dead letters", summary.deadLetter],
  ];
  if (summary.stdin) {
    rows.unshift([
      "stdin taken",
      `${summary.stdin.lines} lines, ${summary.stdin.bytes} bytes (the rest starts at byte ${
        summary.stdin.bytes + 1
      })`,
    ]);
  }
  const head = summary.status === "stopped"
    ? `stopped by ${summary.signal}`
    : summary.status === "failed"
    ? "failed"
    : "completed: the input ended and everything taken was delivered";
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${head}\n${
    rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join("\n")
  }\n`;
}

/** Prints the summary on standard output. */
export async function writeSummary(
  system: CliSystem,
  summary: ShipSummary,
  json: boolean,
): Promise<void> {
  await system.stdout(json ? `${JSON.stringify(summary)}\n` : summaryText(summary));
}
