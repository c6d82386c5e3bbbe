// `vectorvue ship` as a child process whose standard input the test writes as it goes (a pipe
// that stays open), its JSON log lines read as they come, and the lines a writer produces.
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { cliCommand, event, type Run } from "./_cli.ts";

const isDeno = typeof Deno !== "undefined";
const encoder = new TextEncoder();

/** A running shipper. */
export interface Shipper {
  /** Writes to its standard input (resolves once the pipe took it). */
  write(data: string | Uint8Array): Promise<void>;
  /** Closes its standard input. */
  endInput(): Promise<void>;
  kill(signal: "SIGTERM" | "SIGINT" | "SIGKILL" | "SIGHUP"): void;
  readonly done: Promise<Run>;
  /** What it has written so far. */
  output(): { stdout: string; stderr: string };
  /** Its JSON log lines so far. */
  logs(): Array<Record<string, unknown>>;
}

/** Only what the child needs, so the developer's own `VECTORVUE_*` cannot leak in. */
function childEnv(env: Record<string, string>): Record<string, string> {
  const keep: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR"]) {
    const value = process.env[name];
    if (value !== undefined) keep[name] = value;
  }
  return { ...keep, ...env };
}

function parseLogs(stderr: string): Array<Record<string, unknown>> {
  return stderr.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** Starts `vectorvue ship ARGS` with its standard input open. */
export function startShip(args: readonly string[], env: Record<string, string>): Shipper {
  const [command, ...rest] = [...cliCommand(), "ship", ...args];
  const seen = { stdout: "", stderr: "" };
  const bytes = (data: string | Uint8Array) =>
    typeof data === "string" ? encoder.encode(data) : data;
  const common = {
    output: () => ({ ...seen }),
    logs: () => parseLogs(seen.stderr),
  };
  if (isDeno) {
    const child = new Deno.Command(command, {
      args: rest,
      env: childEnv(env),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    const collect = async (stream: ReadableStream<Uint8Array>, into: "stdout" | "stderr") => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) seen[into] += text;
    };
    const done = Promise.all([
      child.status,
      collect(child.stdout, "stdout"),
      collect(child.stderr, "stderr"),
    ]).then(([status]) => ({
      code: status.signal ? null : status.code,
      signal: status.signal as NodeJS.Signals | null,
      ...seen,
    }));
    return {
      ...common,
      write: (data) => writer.write(bytes(data)),
      endInput: () => writer.close().catch(() => {}),
      kill: (signal) => {
        try {
          child.kill(signal);
        } catch {
          // Ended already.
        }
      },
      done,
    };
  }
  const child: ChildProcess = spawn(command, rest, { env: childEnv(env), stdio: "pipe" });
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (seen.stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (seen.stderr += chunk));
  child.stdin!.on("error", () => {});
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, ...seen }));
  });
  return {
    ...common,
    write: (data) =>
      new Promise<void>((resolve) => void child.stdin!.write(bytes(data), () => resolve())),
    endInput: () => new Promise<void>((resolve) => void child.stdin!.end(() => resolve())),
    kill: (signal) => void child.kill(signal),
    done,
  };
}

/** NDJSON of events `from`..`to` (inclusive), one a line, unique by `event_id`. */
export function eventLines(from: number, to: number, prefix = "ship"): string {
  let text = "";
  for (let n = from; n <= to; n++) {
    text += `${JSON.stringify({ ...event(n), event_id: `${prefix}-${n}` })}\n`;
  }
  return text;
}

/**
 * Per `event_id`, the `Idempotency-Key`s of the batch requests that carried it. A line read twice
 * (a repeat) goes out in two different batches, under two keys; a batch sent again after a crash
 * keeps its key. So "each id under exactly one key" means no line was shipped twice.
 */
export function keysById(
  requests: readonly {
    method: string;
    path: string;
    body: string;
    headers: Readonly<Record<string, string>>;
  }[],
): Map<string, Set<string>> {
  const keys = new Map<string, Set<string>>();
  for (const request of requests) {
    if (request.method !== "POST" || !request.path.endsWith("/batch")) continue;
    const key = request.headers["idempotency-key"] ?? "(none)";
    for (const item of JSON.parse(request.body) as Array<{ event_id?: string }>) {
      const id = String(item.event_id);
      if (!keys.has(id)) keys.set(id, new Set());
      keys.get(id)!.add(key);
    }
  }
  return keys;
}

/** The samples of a Prometheus text page, by `name{labels}`. */
export function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** A GET's status and text. */
export async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

/** The metrics a shipper serves at `base`. */
export async function metricsOf(base: string): Promise<Map<string, number>> {
  return parseMetrics((await get(`${base}/metrics`)).text);
}

/** Waits (checking every 50 ms, at most `timeoutMs`) until `condition` resolves true. */
export async function eventually(
  condition: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
