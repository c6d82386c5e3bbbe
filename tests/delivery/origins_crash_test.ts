// Item origins across SIGKILL, with real processes over real HTTPS: a reader adding the lines of
// four sources with their origins through a spooled batcher (small segments, so that settled ones
// are deleted as it goes) is killed at random moments and restarted on the same directory, where
// it resumes each source at `batcher.origins()`. After each restart the recovered position of
// each source is at least that of its last add() that resolved; in the end every line of every
// source is stored exactly once (a position too low would store a line twice, under another
// run's id; one too high, beyond what was on disk, would lose lines).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import { withTempDir } from "./_spool_helpers.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const SOURCES = 4;
const LINES = 1_500;
const isDeno = "Deno" in globalThis;
const childPath = fileURLToPath(
  new URL(
    import.meta.url.endsWith(".ts") ? "./_origins_child.ts" : "./_origins_child.js",
    import.meta.url,
  ),
);

function startChild(config: Record<string, unknown>, onLine: (line: string) => void) {
  const args = isDeno
    ? ["run", "--quiet", "--allow-all", childPath, JSON.stringify(config)]
    : [childPath, JSON.stringify(config)];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let partial = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop()!;
    for (const line of lines) onLine(line);
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.on("close", (code, signal) => {
      if (code !== 0 && signal === null) process.stderr.write(stderr);
      resolve(signal ?? code ?? -1);
    })
  );
  return { child, exited };
}

/** When to kill each run: at start-up (while the backlog drains), or after some acks. */
function killAfterAcks(): (number | undefined)[] {
  const random = () => 1 + Math.floor(Math.random() * 1_200);
  // The last two end cleanly: the second finds every position after a clean shutdown.
  return [random(), 0, random(), random(), random(), undefined, undefined];
}

describe(`item origins across SIGKILL (${isDeno ? "deno" : "node"} child)`, () => {
  test("positions recovered after each kill are at least the last resolved add() of each source; every line stored exactly once", async () => {
    const emulator = createVectorVueEmulator({ rateLimit: false });
    const server = await emulator.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: fixture("server.pem"),
      key: fixture("server-key.pem"),
    });
    try {
      await withTempDir(async (dir) => {
        const { username, password, tenantId } = emulator.defaults;
        const base = { baseUrl: server.url, username, password, tenantId, ca: fixture("ca.pem") };
        /** Per source, the position of the last add() that resolved, over every run so far. */
        const acked = new Array<number>(SOURCES).fill(0);
        const plan = killAfterAcks();
        let last: Map<string, number> | undefined;
        const problems: string[] = [];
        for (const [run, target] of plan.entries()) {
          let acks = 0;
          const { child, exited } = startChild(
            { ...base, dir, sources: SOURCES, lines: LINES, run },
            (line) => {
              const [word, ...rest] = line.split(" ");
              if (word === "origins") {
                const recovered = new Map<string, number>(JSON.parse(rest.join(" ")));
                for (let s = 0; s < SOURCES; s++) {
                  const position = recovered.get(`/var/log/source-${s}.ndjson`) ?? 0;
                  if (position < acked[s]) {
                    problems.push(`run ${run}: source ${s} at ${position}, below ${acked[s]}`);
                  }
                }
              } else if (word === "ack") {
                const [s, position] = rest.map(Number);
                if (position <= acked[s]) {
                  problems.push(`source ${s}: ack ${position} out of order`);
                }
                acked[s] = position;
                acks++;
              } else if (word === "rejected") {
                problems.push(`the server refused a line: ${rest.join(" ")}`);
              } else if (word === "closed") {
                last = new Map(JSON.parse(rest.join(" ")));
              }
              const kill = target !== undefined && acks >= target &&
                (target > 0 || word === "origins");
              if (kill && child.exitCode === null && child.signalCode === null) {
                child.kill("SIGKILL");
              }
            },
          );
          const outcome = await exited;
          // Checked here: what a line handler throws would not fail the test.
          assert.deepEqual(problems, []);
          assert.equal(outcome, target === undefined ? 0 : "SIGKILL", `run ${run} ended so`);
        }
        const wanted = Array.from(
          { length: SOURCES },
          (_, s) => [`/var/log/source-${s}.ndjson`, LINES],
        );
        assert.deepEqual([...last!].sort(), wanted, "origins after the clean close");
        const lines = new Map<string, number>();
        for (const stored of emulator.events()) {
          const [, s, k] = (stored.event_id as string).split("-");
          lines.set(`${s}-${k}`, (lines.get(`${s}-${k}`) ?? 0) + 1);
        }
        const twice = [...lines].filter(([, count]) => count > 1).map(([line]) => line);
        assert.deepEqual(twice.slice(0, 10), [], `${twice.length} lines stored twice`);
        assert.equal(lines.size, SOURCES * LINES, "every line of every source stored");
      });
    } finally {
      await server.close();
    }
  });
});
