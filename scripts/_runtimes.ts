// The runtimes the client is measured and tested under, and how a Deno script starts the
// runtime-neutral worker (`scripts/_runtime_worker.mjs`) under each: Deno runs the source, Node
// and Bun the npm build in `npm/` (`deno task build:npm`).
import { fileURLToPath } from "node:url";

/** The Bun the npm build's tests and the benchmark run under, from the npm package `bun`. */
export const BUN_VERSION = "1.4.4";

/** A runtime, by name. */
export type RuntimeName = "deno" | "node" | "bun";

/** Every runtime, in the order they run. */
export const RUNTIMES: readonly RuntimeName[] = ["deno", "node", "bun"];

const ROOT = new URL("../", import.meta.url);
const WORKER = fileURLToPath(new URL("scripts/_runtime_worker.mjs", ROOT));

/** The client's modules as the worker under `runtime` imports them. */
export function clientModules(runtime: RuntimeName): { module: string; testingModule: string } {
  const source = runtime === "deno";
  return {
    module: new URL(source ? "mod.ts" : "npm/esm/mod.js", ROOT).href,
    testingModule: new URL(source ? "src/testing/mod.ts" : "npm/esm/src/testing/mod.js", ROOT).href,
  };
}

/**
 * Builds the npm package that Node and Bun run (`build_npm.ts --skip-tests --skip-pack`), unless
 * `reuse` is set and a build is there already.
 */
export async function ensureNpmBuild(runtimes: readonly RuntimeName[], reuse: boolean) {
  if (!runtimes.some((runtime) => runtime !== "deno")) return;
  if (reuse) {
    try {
      Deno.statSync(new URL("npm/esm/mod.js", ROOT));
      return;
    } catch {
      // Not built yet: build it.
    }
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      fileURLToPath(new URL("scripts/build_npm.ts", ROOT)),
      "--skip-tests",
      "--skip-pack",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`the npm build failed:\n${new TextDecoder().decode(output.stderr)}`);
  }
}

/** The command that runs the worker's `task` under `runtime`. */
export function workerCommand(
  runtime: RuntimeName,
  task: string,
  args: Record<string, unknown>,
  env: Record<string, string> = {},
): Deno.Command {
  const json = JSON.stringify({ ...clientModules(runtime), ...args });
  const [command, ...prefix] = runtime === "deno"
    ? [Deno.execPath(), "run", "--quiet", "-A"]
    : runtime === "node"
    ? ["node"]
    : ["npx", "-y", `bun@${BUN_VERSION}`];
  return new Deno.Command(command, {
    args: [...prefix, WORKER, task, json],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { npm_config_update_notifier: "false", ...env },
  });
}

/** Runs the worker to its end; its JSON lines, or an error with what it printed. */
export async function runWorker(
  runtime: RuntimeName,
  task: string,
  args: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<Record<string, unknown>[]> {
  const output = await workerCommand(runtime, task, args, env).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr);
    throw new Error(`${runtime} worker (${task}) failed with code ${output.code}:\n${stderr}`);
  }
  return stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line));
}
