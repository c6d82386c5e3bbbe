/**
 * `vectorvue whoami`: the pre-campaign check. Logs in (or takes the configured token), proves
 * the token on an integration route, and prints who the server takes us for.
 *
 * @module
 */
import { VectorVueClient, type VectorVueConfig, VectorVueNotFoundError } from "../mod.ts";
import { readJwtClaims } from "./_library_internals.ts";
import { type FlagSpec, type ParsedArgs, UsageError } from "./args.ts";
import { type Command, EXIT } from "./command.ts";
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionConfig } from "./connection.ts";
import { describeError } from "./errors.ts";
import { formatDuration } from "./progress.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

const FLAGS: readonly FlagSpec[] = [
  { name: "json", type: "boolean", help: "print the report as JSON" },
  ...CONNECTION_FLAGS,
];

/** What `whoami` found. */
export interface WhoamiReport {
  baseUrl: string;
  tenantId: string | null;
  user: string | null;
  role: string | null;
  tokenSource: "login" | "configured token";
  tokenExpiresAt: string | null;
  tokenExpiresInMs: number | null;
  /** Server clock minus ours, from the `Date` header; `null` when no answer carried one. */
  serverClockOffsetMs: number | null;
  /** The integration API accepted the token. */
  tokenAccepted: boolean;
  requestSigning: boolean;
  responseSignatureVerification: boolean;
}

/** The report from the token and the client, after the probe. */
export function whoamiReport(
  config: VectorVueConfig,
  client: VectorVueClient,
  token: string,
  nowMs: number,
): WhoamiReport {
  const claims = readJwtClaims(token) ?? {};
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : null);
  const exp = typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  const offset = client.serverClockOffsetMs;
  return {
    baseUrl: client.baseUrl,
    tenantId: text(claims.tenant_id),
    user: text(claims.sub) ?? text(claims.username) ?? config.username ?? null,
    role: text(claims.role),
    tokenSource: config.username && config.password ? "login" : "configured token",
    tokenExpiresAt: exp === undefined ? null : new Date(exp).toISOString(),
    // Expiry is judged on the server's clock, which is what rejects the token.
    tokenExpiresInMs: exp === undefined ? null : exp - (nowMs + (offset ?? 0)),
    serverClockOffsetMs: offset ?? null,
    tokenAccepted: true,
    requestSigning: Boolean(config.signatureSecret),
    responseSignatureVerification: Boolean(config.responseSigningKey),
  };
}

/** The human form of the report. */
export function formatWhoami(report: WhoamiReport): string {
  const offset = report.serverClockOffsetMs;
  const clock = offset === null
    ? "unknown (no Date header)"
    : `${offset < -500 ? "-" : "+"}${(Math.abs(offset) / 1000).toFixed(0)} s` +
      (Math.abs(offset) > 300_000
        ? " (beyond the 300 s the server allows for signatures: the client corrects for it)"
        : Math.abs(offset) > 30_000
        ? " (the client corrects signing timestamps)"
        : " (fine)");
  const expiry = report.tokenExpiresAt === null
    ? "no expiry claim"
    : `${report.tokenExpiresAt} (in ${formatDuration(report.tokenExpiresInMs ?? 0)})`;
  return [
    `server              ${report.baseUrl}`,
    `tenant              ${report.tenantId ?? "?"}`,
    `user                ${report.user ?? "?"}`,
    `role                ${report.role ?? "?"}`,
    `token               ${report.tokenSource}, accepted by the integration API`,
    `token expires       ${expiry}`,
    `server clock        ${clock}`,
    `request signing     ${report.requestSigning ? "configured" : "not configured"}`,
    `response signatures ${
      report.responseSignatureVerification ? "verified (key configured)" : "not verified (no key)"
    }`,
    "",
  ].join("\n");
}

/** The configuration, or every problem with the arguments and the environment. */
async function prepareWhoami(
  args: ParsedArgs,
  system: CliSystem,
): Promise<{ problems: string[]; config: VectorVueConfig }> {
  const problems: string[] = [];
  if (args.positionals.length > 0) {
    problems.push(`whoami takes no arguments, got: ${args.positionals.join(" ")}`);
  }
  try {
    return { problems, config: await connectionConfig(args.flags, system) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { problems: [...problems, ...error.problems], config: {} };
  }
}

/** The `whoami` command. */
export const whoamiCommand: Command = {
  name: "whoami",
  summary: "log in (or check the token) and show tenant, user, role, expiry, clock offset",
  usage: "vectorvue whoami [--json] [options]",
  description: [
    "The pre-campaign check: logs in with the configured credentials (or takes the configured",
    "token), proves the token on the integration API with one status lookup, and prints the",
    "tenant, user, role, token expiry, the server's clock offset, and whether request signing",
    "and response signature verification are configured. Exit status 1 when the server refuses.",
    "",
    CONNECTION_HELP,
  ].join("\n"),
  flags: FLAGS,
  examples: [
    "VECTORVUE_PASSWORD=... vectorvue whoami --base-url https://vectorvue.internal --username ops --tenant-id <uuid>",
    "vectorvue whoami --token-file ~/.config/vectorvue/token --json",
  ],
  check: async (args, system) => (await prepareWhoami(args, system)).problems,
  async run(args, system) {
    const { problems, config } = await prepareWhoami(args, system);
    if (problems.length > 0) throw new UsageError(problems);
    await using client = new VectorVueClient(config);
    let token: string;
    try {
      token = await client.login();
      // An unknown request id answers 404 only to a token the bearer guard accepts.
      await client.getIngestStatus(crypto.randomUUID()).catch((error) => {
        if (!(error instanceof VectorVueNotFoundError)) throw error;
      });
    } catch (error) {
      const message = describeError(error, args.flags.verbose === true);
      if (args.flags.json) await system.stdout(`${JSON.stringify({ error: message })}\n`);
      system.stderr(`vectorvue whoami: ${message}\n`);
      return EXIT.failed;
    }
    const report = whoamiReport(config, client, token, Date.now());
    await system.stdout(args.flags.json ? `${JSON.stringify(report)}\n` : formatWhoami(report));
    return EXIT.ok;
  },
};
