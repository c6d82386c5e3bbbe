/**
 * `vectorvue status REQUEST_ID`: what the server recorded for one ingest request.
 *
 * @module
 */
import { VectorVueClient, type VectorVueConfig, VectorVueNotFoundError } from "../mod.ts";
import { type FlagSpec, type ParsedArgs, UsageError } from "./args.ts";
import { type Command, EXIT } from "./command.ts";
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionConfig } from "./connection.ts";
import { describeError } from "./errors.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "json", type: "boolean", help: "print the status record as JSON" },
  ...CONNECTION_FLAGS,
];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface StatusRecord {
  request_id?: string;
  status?: string;
  endpoint?: string;
  counts?: { total?: number; accepted?: number; failed?: number };
  failed_items?: unknown[];
  created_at?: string;
  updated_at?: string;
}

/** The human form of a status record. */
export function formatStatus(record: StatusRecord, signatureState: string): string {
  const counts = record.counts ?? {};
  const lines = [
    `request   ${record.request_id ?? "?"}`,
    `status    ${record.status ?? "?"}`,
    `endpoint  ${record.endpoint ?? "?"}`,
    `items     ${counts.total ?? "?"} total, ${counts.accepted ?? "?"} accepted, ${
      counts.failed ?? "?"
    } failed`,
    `created   ${record.created_at ?? "?"}`,
    `updated   ${record.updated_at ?? "?"}`,
    `signature ${signatureState}`,
  ];
  for (const item of record.failed_items ?? []) lines.push(`failed    ${JSON.stringify(item)}`);
  return `${lines.join("\n")}\n`;
}

/** The configuration, or every problem with the arguments and the environment. */
async function prepareStatus(
  args: ParsedArgs,
  system: CliSystem,
): Promise<{ problems: string[]; config?: VectorVueConfig }> {
  const problems: string[] = [];
  const [requestId, ...rest] = args.positionals;
  if (requestId === undefined) problems.push("status needs a REQUEST_ID");
  else if (!UUID.test(requestId)) problems.push(`"${requestId}" is not a request id (a UUID)`);
  if (rest.length > 0) problems.push(`status takes one REQUEST_ID, got also: ${rest.join(" ")}`);
  let config: VectorVueConfig | undefined;
  try {
    config = await connectionConfig(args.flags, system);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(...error.problems);
  }
  return { problems, config };
}

/** The `status` command. */
export const statusCommand: Command = {
  name: "status",
  summary: "show what the server recorded for a request id",
  usage: "vectorvue status REQUEST_ID [--json] [options]",
  description: [
    "Asks the server for the ingest status of REQUEST_ID (from a send summary, a dead-letter",
    "record or a log): status, item counts and the failed items. A request of another tenant",
    "looks like an unknown one (exit status 1).",
    "",
    CONNECTION_HELP,
  ].join("\n"),
  flags: FLAGS,
  examples: [
    "vectorvue status 3f1c2a7e-9b7d-4c1e-8a59-1e0f5d6c7b8a",
    "vectorvue status 3f1c2a7e-9b7d-4c1e-8a59-1e0f5d6c7b8a --json | jq .counts",
  ],
  check: async (args, system) => (await prepareStatus(args, system)).problems,
  async run(args, system) {
    const { problems, config } = await prepareStatus(args, system);
    if (problems.length > 0 || !config) throw new UsageError(problems);
    const requestId = args.positionals[0];
    await using client = new VectorVueClient(config);
    try {
      const envelope = await client.getIngestStatus(requestId);
      const record = (envelope.data ?? {}) as StatusRecord;
      await system.stdout(
        args.flags.json
          ? `${JSON.stringify({ ...record, signatureState: envelope.signatureState })}\n`
          : formatStatus(record, envelope.signatureState),
      );
      return record.status === "accepted" ? EXIT.ok : EXIT.failed;
    } catch (error) {
      const message = error instanceof VectorVueNotFoundError
        ? `request ${requestId} not found (unknown, or another tenant's)`
        : describeError(error, args.flags.verbose === true);
      if (args.flags.json) await system.stdout(`${JSON.stringify({ error: message })}\n`);
      system.stderr(`vectorvue status: ${message}\n`);
      return EXIT.failed;
    }
  },
};
