// Running the `vectorvue` command line as a user would: a child process, in Deno from the
// source (`deno run -A cli.ts`) and under Node from the built package (`node npm/esm/cli.js`),
// against the emulator served over HTTPS with the test CA.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { VectorVueEvent } from "../../src/payloads/types.ts";
import type { EmulatorOptions, VectorVueEmulator } from "../../src/testing/mod.ts";
import { served } from "../_served.ts";

const isDeno = typeof Deno !== "undefined";
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url);

/** The test CA's path, for `VECTORVUE_CA_CERT`. */
export const CA_PATH: string = fileURLToPath(fixture("ca.pem"));

/** The program and leading arguments that run the command line in this runtime. */
export function cliCommand(): string[] {
  if (isDeno) {
    return [Deno.execPath(), "run", "-A", fileURLToPath(new URL("../../cli.ts", import.meta.url))];
  }
  // Compiled tests live in npm/test/cli/; the package's build is npm/esm/.
  return [process.execPath, fileURLToPath(new URL("../../esm/cli.js", import.meta.url))];
}

/** An emulator over HTTPS on 127.0.0.1 and the environment that points the CLI at it. */
export interface Target {
  readonly emulator: VectorVueEmulator;
  readonly url: string;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** The environment that points the CLI at `emulator` served at `url`, trusting the test CA. */
export function targetEnv(url: string, emulator: VectorVueEmulator): Record<string, string> {
  const { username, password, tenantId } = emulator.defaults;
  return {
    VECTORVUE_BASE_URL: url,
    VECTORVUE_CA_CERT: CA_PATH,
    VECTORVUE_USERNAME: username,
    VECTORVUE_PASSWORD: password,
    VECTORVUE_TENANT_ID: tenantId,
  };
}

export async function serveTarget(options: EmulatorOptions = {}): Promise<Target> {
  const target = await served(options);
  return {
    emulator: target.emulator,
    url: target.url,
    env: targetEnv(target.url, target.emulator),
    close: () => target.close(),
  };
}

/** Runs `scenario` with a served emulator and a temporary directory, both cleaned up after. */
export async function withTarget(
  options: EmulatorOptions,
  scenario: (target: Target, dir: string) => Promise<void>,
): Promise<void> {
  const target = await serveTarget(options);
  const { dir, remove } = tempDir();
  try {
    await scenario(target, dir);
  } finally {
    remove();
    await target.close();
  }
}

/** Only what the child needs, so the developer's own `VECTORVUE_*` cannot leak in. */
function childEnv(env: Record<string, string>): Record<string, string> {
  const keep: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "SYSTEMROOT"]) {
    const value = process.env[name];
    if (value !== undefined) keep[name] = value;
  }
  return { ...keep, ...env };
}

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running command line. */
export interface Started {
  kill(signal: "SIGINT" | "SIGKILL" | "SIGTERM"): void;
  readonly done: Promise<Run>;
  /** What it has written so far. */
  output(): { stdout: string; stderr: string };
}

/**
 * Starts the command line; `done` resolves when it exits. Deno's `node:child_process` reports a
 * child that exits on its own after handling a signal as killed by it, so Deno uses its own API.
 */
export function startCli(
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    stdin?: string;
    cwd?: string;
    wrap?: (argv: string[]) => string[];
  } = {},
): Started {
  const argv = [...cliCommand(), ...args];
  const [command, ...rest] = options.wrap ? options.wrap(argv) : argv;
  const env = childEnv(options.env ?? {});
  if (isDeno) {
    const child = new Deno.Command(command, {
      args: rest,
      env,
      clearEnv: true,
      cwd: options.cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    void writer.write(new TextEncoder().encode(options.stdin ?? "")).then(() => writer.close())
      .catch(() => {});
    const seen = { stdout: "", stderr: "" };
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
    return { kill: (signal) => child.kill(signal), done, output: () => ({ ...seen }) };
  }
  const child: ChildProcess = spawn(command, rest, { env, cwd: options.cwd, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin!.end(options.stdin ?? "");
  const done = new Promise<Run>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { kill: (signal) => void child.kill(signal), done, output: () => ({ stdout, stderr }) };
}

/** Runs the command line to its end. */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {},
): Promise<Run> {
  return startCli(args, options).done;
}

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "vectorvue-cli-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A valid event, unique by `n`. */
export function event(n: number): VectorVueEvent {
  return {
    event_id: `cli-${n}`,
    source_system: "cli-test",
    event_type: "PROCESS_ANOMALY",
    occurred_at: "2026-11-30T12:00:00Z",
    severity: "low",
    asset_ref: `host-${n % 50}`,
    message: `event ${n}`,
  };
}

/**
 * Writes `lines` NDJSON lines: a valid event on each, except a malformed line at each of
 * `malformed` and an event the server refuses (bad severity) at each of `rejected` (1-based).
 */
export function writeEvents(
  path: string,
  lines: number,
  bad: { malformed?: readonly number[]; rejected?: readonly number[] } = {},
): void {
  const malformed = new Set(bad.malformed ?? []);
  const rejected = new Set(bad.rejected ?? []);
  const out: string[] = [];
  for (let line = 1; line <= lines; line++) {
    if (malformed.has(line)) out.push(`{"event_id": "cli-${line}", broken`);
    else if (rejected.has(line)) {
      out.push(JSON.stringify({ ...event(line), severity: "apocalyptic" }));
    } else out.push(JSON.stringify(event(line)));
  }
  writeFileSync(path, `${out.join("\n")}\n`);
}

/** Waits for `condition`, checking every 10 ms, at most `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Items of every batch request the emulator received, in order. */
export function receivedItems(emulator: VectorVueEmulator): Array<Record<string, unknown>> {
  return emulator.requests
    .filter((request) => request.method === "POST" && request.path.endsWith("/batch"))
    .flatMap((request) => JSON.parse(request.body) as Array<Record<string, unknown>>);
}
