/**
 * The account of a `vectorvue send` run: the summary `--json` prints, and its human form.
 *
 * @module
 */
import type { Counts } from "./checkpoint.ts";
import type { CliSystem } from "../src/platform/command_line.ts";
import { formatDuration } from "./progress.ts";

/** The final account of a run, as `--json` prints it. */
export interface SendSummary {
  status: "completed" | "interrupted" | "stopped";
  kind: "events" | "findings";
  input: string;
  /** Items settled (malformed lines included). */
  items: number;
  /** Items sent to the server: accepted, rejected or failed (malformed lines are never sent). */
  sent: number;
  accepted: number;
  rejected: number;
  failed: number;
  malformed: number;
  /** Items read but not settled when the grace period after Ctrl+C ran out: --resume sends them. */
  unsettled: number;
  elapsedMs: number;
  requests: number;
  rateLimited: number;
  rateLimitWaitMs: number;
  rejectedRequestIds: string[];
  deadLetter: { path: string; records: number } | null;
  checkpoint: string | null;
  error?: string;
}

/** What a run counted, as its summary reports it. */
export interface RunTally {
  readonly kind: SendSummary["kind"];
  readonly input: string;
  /** Settled items, by outcome (those of the run resumed included). */
  readonly counts: Counts;
  /** Items the server confirmed of a chunk cut short by the end of the grace period. */
  readonly inFlightAccepted: number;
  readonly unsettled: number;
  readonly elapsedMs: number;
  readonly requests: number;
  readonly rateLimited: number;
  readonly rateLimitWaitMs: number;
  readonly rejectedRequestIds: string[];
  readonly deadLetter: { readonly path: string; readonly bytes: number };
  /** The checkpoint file, unless the input is standard input (which cannot be resumed). */
  readonly checkpoint: string | undefined;
}

/** The summary of a run that ended with `status` (and `error`, when it stopped on one). */
export function summarise(
  status: SendSummary["status"],
  tally: RunTally,
  error?: string,
): SendSummary {
  const c = tally.counts;
  const deadRecords = tally.deadLetter.bytes > 0;
  // Confirmed items of a chunk cut short count as the progress line counted them.
  const accepted = c.accepted + tally.inFlightAccepted;
  const settled = c.accepted + c.rejected + c.failed + c.malformed;
  return {
    status,
    kind: tally.kind,
    input: tally.input,
    items: settled + tally.inFlightAccepted,
    sent: accepted + c.rejected + c.failed,
    ...c,
    accepted,
    unsettled: tally.unsettled,
    elapsedMs: tally.elapsedMs,
    requests: tally.requests,
    rateLimited: tally.rateLimited,
    rateLimitWaitMs: tally.rateLimitWaitMs,
    rejectedRequestIds: tally.rejectedRequestIds,
    deadLetter: deadRecords
      ? { path: tally.deadLetter.path, records: c.rejected + c.failed + c.malformed }
      : null,
    checkpoint: status === "completed" || tally.checkpoint === undefined ? null : tally.checkpoint,
    ...(error === undefined ? {} : { error }),
  };
}

/** The human summary. */
export function formatSummary(s: SendSummary): string {
  const n = (value: number) => value.toLocaleString("en-US");
  const seconds = s.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(s.sent / seconds) : 0;
  const head = s.status === "completed"
    ? "sent"
    : s.status === "interrupted"
    ? "interrupted after"
    : "stopped after";
  const lines = [
    `${head} ${n(s.sent)} ${s.kind} from ${s.input} in ${formatDuration(s.elapsedMs)} (${
      n(rate)
    }/s)`,
    `  accepted   ${n(s.accepted)}`,
    `  rejected   ${n(s.rejected)}${s.rejected ? "  (refused by the server)" : ""}`,
    `  failed     ${n(s.failed)}${s.failed ? "  (not delivered in the delivery budget)" : ""}`,
    `  malformed  ${n(s.malformed)}${s.malformed ? "  (lines that are not JSON objects)" : ""}`,
    ...(s.unsettled > 0
      ? [`  unsettled  ${n(s.unsettled)}  (not confirmed in the grace period: --resume sends them)`]
      : []),
    `  requests   ${n(s.requests)}, answered 429: ${n(s.rateLimited)}, waited for the rate limit ${
      formatDuration(s.rateLimitWaitMs)
    }`,
  ];
  if (s.rejectedRequestIds.length > 0) {
    lines.push(`  request ids of batches with rejected items: ${s.rejectedRequestIds.join(" ")}`);
  }
  if (s.deadLetter) lines.push(`  dead-letter file: ${s.deadLetter.path}`);
  if (s.error) lines.push(`  stopped: ${s.error}`);
  if (s.checkpoint) {
    lines.push(`  checkpoint: ${s.checkpoint} (run the same command with --resume to continue)`);
  }
  return `${lines.join("\n")}\n`;
}

/** Prints the summary on standard output: one JSON line with `--json`, else the human form. */
export async function printSummary(
  system: CliSystem,
  summary: SendSummary,
  json: boolean,
): Promise<void> {
  if (json) {
    await system.stdout(`${JSON.stringify(summary)}\n`);
    return;
  }
  await system.stdout(formatSummary(summary));
}
