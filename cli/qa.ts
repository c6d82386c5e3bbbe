/**
 * `vectorvue qa` (and `deno task qa`): proves that telemetry reaches VectorVue. Login, one event,
 * one finding, a status poll and a batch with one invalid item, against an embedded emulator
 * over HTTPS (a fresh test CA, verification on) or, with `VECTORVUE_QA_LIVE=1`, against the
 * server the `VECTORVUE_*` variables describe.
 *
 * Exit codes: 0 every step matched, 1 a step failed, 2 missing configuration.
 *
 * @module
 */
import {
  configFromEnv,
  VectorVueClient,
  type VectorVueConfig,
  VectorVueConfigError,
  VectorVueError,
  type VectorVueEvent,
  type VectorVueFinding,
} from "../mod.ts";
import { createVectorVueEmulator } from "../src/testing/mod.ts";
import { UsageError } from "./args.ts";
import { type Command, EXIT } from "./command.ts";
import { createTestCertificates } from "./test_certificates.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

/** One smoke step's outcome. */
export interface StepResult {
  readonly step: string;
  readonly endpoint: string;
  readonly status: string;
  readonly requestId: string | null;
  readonly retries: number;
  readonly ms: number;
  readonly ok: boolean;
}

/** What a QA run found: its steps and the summary line. */
export interface QaReport {
  readonly steps: readonly StepResult[];
  readonly summary: string;
  readonly ok: boolean;
}

const EXPECTED = {
  login_ok: "true",
  event_status: "accepted",
  finding_status: "accepted",
  status_poll: "accepted",
  batch_status: "partial",
} as const;

/**
 * The mark every item a QA run sends carries, so what a live run left in a tenant can be found
 * (and deleted) later: `asset_ref`, `metadata.qa_tag`, and ids that start with it. The payload
 * rules allow each (ids: `[A-Za-z0-9._:-]`, at most 128 characters).
 */
export const QA_TAG = "vectorvue-client-qa";

/** The ids a run gives what it stores: `vectorvue-client-qa:<run id>:<what>`. */
export function qaItemId(runId: string, what: "event" | "finding" | "batch-event"): string {
  return `${QA_TAG}:${runId}:${what}`;
}

function qaEvent(runId: string, what: "event" | "batch-event"): VectorVueEvent {
  return {
    event_id: qaItemId(runId, what),
    source_system: "spectrastrike",
    event_type: "QA_SMOKE",
    occurred_at: new Date().toISOString(),
    severity: "info",
    asset_ref: QA_TAG,
    message: `VectorVue client QA smoke run ${runId}`,
    metadata: { qa_tag: QA_TAG, qa_run: runId },
  };
}

function qaFinding(runId: string): VectorVueFinding {
  return {
    finding_id: qaItemId(runId, "finding"),
    title: `QA smoke finding ${runId}`,
    description: "Synthetic finding sent by the VectorVue client QA smoke run.",
    severity: "info",
    first_seen: new Date().toISOString(),
    asset_ref: QA_TAG,
    metadata: { qa_tag: QA_TAG, qa_run: runId },
  };
}

/**
 * What a live run says before its first write: what it will store in the tenant, and how to
 * find it afterwards.
 */
export function liveWriteNotice(baseUrl: string, runId: string): string[] {
  return [
    `QA writes to the live tenant at ${baseUrl}: it stores 1 test event, 1 test finding and a`,
    "  2-item event batch (1 more test event, and 1 invalid item the server records as rejected).",
    `  All are tagged: asset_ref "${QA_TAG}", metadata.qa_tag "${QA_TAG}", metadata.qa_run`,
    `  "${runId}", ids starting "${QA_TAG}:${runId}:".`,
  ];
}

function formatStep(result: StepResult): string {
  return [
    `step=${result.step}`,
    `endpoint="${result.endpoint}"`,
    `status=${result.status}`,
    `request_id=${result.requestId ?? "-"}`,
    `retries=${result.retries}`,
    `ms=${result.ms}`,
  ].join(" ");
}

/**
 * Runs login, one event, one finding, a status poll of the event's request,
 * and a two-item batch with one invalid item. Each step is reported through
 * `print` as it ends; a failed step is reported with its error and the run
 * goes on where it can.
 */
export async function runQa(
  config: VectorVueConfig,
  print: (line: string) => unknown,
  runId: string = crypto.randomUUID(),
): Promise<QaReport> {
  const client = new VectorVueClient(config);
  const steps: StepResult[] = [];
  const seen: Record<keyof typeof EXPECTED, string> = {
    login_ok: "false",
    event_status: "error",
    finding_status: "error",
    status_poll: "error",
    batch_status: "error",
  };
  const step = async (
    name: string,
    endpoint: string,
    action: () => Promise<{ status: string; requestId: string | null; retries: number }>,
  ) => {
    const started = performance.now();
    let result: StepResult;
    try {
      const outcome = await action();
      result = {
        step: name,
        endpoint,
        ...outcome,
        ms: Math.round(performance.now() - started),
        ok: true,
      };
    } catch (error) {
      const message = error instanceof VectorVueError
        ? `${error.name}: ${error.message}`
        : String(error);
      result = {
        step: name,
        endpoint,
        status: "error",
        requestId: (error as { requestId?: string | null }).requestId ?? null,
        retries: (error as { retryCount?: number }).retryCount ?? 0,
        ms: Math.round(performance.now() - started),
        ok: false,
      };
      print(`${formatStep(result)} error="${message.replaceAll('"', "'")}"`);
      steps.push(result);
      return result;
    }
    print(formatStep(result));
    steps.push(result);
    return result;
  };

  try {
    const login = await step("login", "POST /api/v1/client/auth/login", async () => {
      await client.login();
      return { status: "ok", requestId: null, retries: 0 };
    });
    seen.login_ok = String(login.ok);

    let eventRequestId: string | null = null;
    await step("event", "POST /api/v1/integrations/spectrastrike/events", async () => {
      const envelope = await client.sendEvent(qaEvent(runId, "event"));
      eventRequestId = envelope.requestId;
      seen.event_status = envelope.status;
      return {
        status: envelope.status,
        requestId: envelope.requestId,
        retries: envelope.retryCount,
      };
    });

    await step("finding", "POST /api/v1/integrations/spectrastrike/findings", async () => {
      const envelope = await client.sendFinding(qaFinding(runId));
      seen.finding_status = envelope.status;
      return {
        status: envelope.status,
        requestId: envelope.requestId,
        retries: envelope.retryCount,
      };
    });

    await step(
      "status_poll",
      "GET /api/v1/integrations/spectrastrike/ingest/status/{request_id}",
      async () => {
        if (eventRequestId === null) throw new Error("no event request id to poll");
        const envelope = await client.getIngestStatus(eventRequestId);
        const record = envelope.data as { status?: unknown } | null;
        seen.status_poll = typeof record?.status === "string" ? record.status : "missing";
        return {
          status: seen.status_poll,
          requestId: eventRequestId,
          retries: envelope.retryCount,
        };
      },
    );

    await step("batch", "POST /api/v1/integrations/spectrastrike/events/batch", async () => {
      // The second item lacks every required field: the server must refuse it alone. It is
      // tagged too, so the rejection the server records can be traced to this run.
      const envelope = await client.sendEventsBatch([
        qaEvent(runId, "batch-event"),
        { event_type: "QA_SMOKE", metadata: { qa_tag: QA_TAG, qa_run: runId } } as never,
      ]);
      seen.batch_status = envelope.status;
      return {
        status: envelope.status,
        requestId: envelope.requestId,
        retries: envelope.retryCount,
      };
    });
  } finally {
    await client.close();
  }

  const summary = "QA_SMOKE " +
    Object.keys(EXPECTED).map((key) => `${key}=${seen[key as keyof typeof EXPECTED]}`).join(" ");
  const ok = Object.entries(EXPECTED).every(([key, value]) =>
    seen[key as keyof typeof EXPECTED] === value
  );
  print(summary);
  return { steps, summary, ok };
}

/** The variables live mode cannot do without, as one message per missing group. */
export function missingLiveVariables(env: Record<string, string | undefined>): string[] {
  const has = (name: string) => (env[name] ?? "").trim() !== "";
  const missing: string[] = [];
  if (!has("VECTORVUE_BASE_URL")) missing.push("VECTORVUE_BASE_URL");
  const credentials = ["VECTORVUE_USERNAME", "VECTORVUE_PASSWORD", "VECTORVUE_TENANT_ID"];
  if (!has("VECTORVUE_TOKEN") && !credentials.every(has)) {
    const absent = credentials.filter((name) => !has(name));
    missing.push(`VECTORVUE_TOKEN, or ${absent.join(", ")}`);
  }
  return missing;
}

/** A client configuration for an emulator the run starts itself, over HTTPS with a fresh CA. */
async function embedded(): Promise<
  { config: VectorVueConfig; url: string; close: () => Promise<void> }
> {
  const certificates = await createTestCertificates(1);
  const emulator = createVectorVueEmulator();
  const server = await emulator.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: certificates.cert,
    key: certificates.key,
  });
  return {
    config: { baseUrl: server.url, ...emulator.defaults, caCerts: [certificates.ca] },
    url: server.url,
    close: () => server.close(),
  };
}

/** Runs the QA smoke; resolves to the exit status. */
export async function qaMain(system: CliSystem): Promise<number> {
  const env = system.env;
  const print = (line: string) => system.stdout(`${line}\n`);
  if (env.VECTORVUE_QA_LIVE === "1") {
    const missing = missingLiveVariables(env);
    if (missing.length > 0) {
      throw new UsageError(`VECTORVUE_QA_LIVE=1 needs: ${missing.join("; ")}`);
    }
    let config: VectorVueConfig;
    try {
      config = configFromEnv(env);
      await new VectorVueClient(config).close();
    } catch (error) {
      if (error instanceof VectorVueConfigError) throw new UsageError(error.problems);
      throw error;
    }
    await print(`QA target: live server at ${config.baseUrl}`);
    const runId = crypto.randomUUID();
    for (const line of liveWriteNotice(String(config.baseUrl), runId)) await print(line);
    return (await runQa(config, print, runId)).ok ? EXIT.ok : EXIT.failed;
  }
  const target = await embedded();
  try {
    await print(
      `QA target: embedded emulator at ${target.url} (TLS verified against a fresh test CA)`,
    );
    return (await runQa(target.config, print)).ok ? EXIT.ok : EXIT.failed;
  } finally {
    await target.close();
  }
}

/** The `qa` command. */
export const qaCommand: Command = {
  name: "qa",
  summary: "smoke test: login, event, finding, status poll, batch (embedded emulator or live)",
  usage: "vectorvue qa",
  description: [
    "Runs login, one event, one finding, a status poll of the event's request, and a",
    "two-item batch with one invalid item, printing one line per step and then",
    "",
    "  QA_SMOKE login_ok=true event_status=accepted finding_status=accepted status_poll=accepted batch_status=partial",
    "",
    "By default against an emulator it starts itself over HTTPS (a fresh test CA, verification",
    "on). With VECTORVUE_QA_LIVE=1, against the server the VECTORVUE_* variables describe:",
    "it then stores a test event, a test finding and a 2-item batch in that tenant (saying so",
    `before it writes), each tagged asset_ref "${QA_TAG}" and metadata.qa_tag/qa_run.`,
    "Exit status: 0 every step matched; 1 a step failed; 2 live configuration missing.",
  ].join("\n"),
  flags: [],
  examples: [
    "vectorvue qa                                              # against the embedded emulator",
    "VECTORVUE_QA_LIVE=1 VECTORVUE_BASE_URL=https://vv.internal VECTORVUE_TOKEN=... vectorvue qa",
  ],
  run(args, system) {
    if (args.positionals.length > 0) {
      throw new UsageError(`qa takes no arguments, got: ${args.positionals.join(" ")}`);
    }
    return qaMain(system);
  },
};
