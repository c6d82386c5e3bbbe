// Resident memory of a batcher through an outage and its drain, measured in a process of its
// own (the emulator, which keeps every event it stores, runs here in the parent): 50 KB events,
// default options, the server unreachable for 20 s then back. The batcher holds at most
// maxQueueBytes (64 MiB) of events; the process may grow by at most twice that over its
// baseline, and every event is stored once (or, when the server refuses them all, refused once);
// with a spool as well.
// The child runs in the runtime running this test (deno here; the npm build's Node run skips
// `*_slow_test.ts` files).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { createVectorVueEmulator, type VectorVueEmulator } from "../../src/testing/mod.ts";
import { withTempDir } from "./_spool_helpers.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const BATCH_PATH = "/api/v1/integrations/spectrastrike/events/batch";
/** The 20 s (`VV_MEMORY_OUTAGE_MS` changes it, to try things faster). */
const OUTAGE_MS = Number(process.env.VV_MEMORY_OUTAGE_MS ?? 20_000);
const MAX_QUEUE_BYTES = 64 * 1024 * 1024;
const MB = 1024 * 1024;
/** What a spool's I/O may add to the bound (see `outage`). */
const SPOOL_IO_BYTES = 16 * MB;

const childPath = fileURLToPath(
  new URL(
    import.meta.url.endsWith(".ts") ? "./_memory_child.ts" : "./_memory_child.js",
    import.meta.url,
  ),
);
const isDeno = "Deno" in globalThis;

interface Report {
  readonly baseline: number;
  readonly peak: number;
  readonly heapAtPeak: number;
  readonly externalAtPeak: number;
  readonly added: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly deadLettered: number;
  readonly drainMs: number;
}

/** Runs the child against `emulator`; `onReady` starts the outage. */
function runChild(config: Record<string, unknown>, onReady: () => void): Promise<Report> {
  const args = isDeno
    ? ["run", "--quiet", "--allow-all", childPath, JSON.stringify(config)]
    : [childPath, JSON.stringify(config)];
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    if (!stdout.includes("ready\n") && (stdout + chunk).includes("ready\n")) onReady();
    stdout += chunk;
  });
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk;
    if (process.env.VV_MEMORY_TRACE) process.stderr.write(chunk);
  });
  // Bounded: the child adds for produceMs and drains at the server's rate; two minutes is ample.
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  return new Promise((resolve, reject) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || !last.startsWith("{")) {
        reject(new Error(`child ended with ${signal ?? code}: ${stderr}${stdout.slice(-2000)}`));
      } else resolve(JSON.parse(last));
    })
  );
}

async function outage(
  refused: boolean,
  spoolDir?: string,
): Promise<{ report: Report; emulator: VectorVueEmulator }> {
  // The real server's limit over the shrunk 5 s window (the same average: 240 per minute).
  const emulator = createVectorVueEmulator({ rateLimit: { requests: 20, windowMs: 5_000 } });
  const server = await emulator.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: fixture("server.pem"),
    key: fixture("server-key.pem"),
  });
  try {
    const { username, password, tenantId } = emulator.defaults;
    const report = await runChild(
      {
        baseUrl: server.url,
        username,
        password,
        tenantId,
        ca: fixture("ca.pem"),
        produceMs: OUTAGE_MS + 10_000,
        eventBytes: 50_000,
        refused,
        spoolDir,
      },
      // Unreachable: every batch's connection is dropped unanswered for 20 s.
      () => emulator.inject({ path: BATCH_PATH, forMs: OUTAGE_MS, drop: "before-response" }),
    );
    // The bound is for default options: twice maxQueueBytes. A spool adds its own I/O
    // (each group's write and fsync, acknowledgement records) outside the JavaScript heap, which
    // measured +128 to +129 MB where the same run without it was +104 to +124: it is allowed 16 MiB
    // more, the figure the durability guide states.
    const bound = 2 * MAX_QUEUE_BYTES + (spoolDir === undefined ? 0 : SPOOL_IO_BYTES);
    const grew = (report.peak - report.baseline) / MB;
    console.log(
      `${
        refused ? "refused every item" : spoolDir ? "outage, spooled" : "outage"
      }: ${report.added} events of 50 KB, ` +
        `RSS ${(report.baseline / MB).toFixed(0)} MB + ${grew.toFixed(0)} MB at peak ` +
        `(bound ${bound / MB} MB; then V8 heap ${
          (report.heapAtPeak / MB).toFixed(0)
        } MB, external ${
          (report.externalAtPeak / MB).toFixed(0)
        } MB), drained in ${report.drainMs} ms; ${JSON.stringify(report)}`,
    );
    assert.ok(
      report.peak - report.baseline <= bound,
      `RSS grew by ${grew.toFixed(0)} MB, more than ${bound / MB} MB`,
    );
    // Held at the bound for the whole outage and the first 10 s of the drain: more events than fit
    // in it went through.
    assert.ok(report.added * 50_000 > 1.2 * MAX_QUEUE_BYTES, `only ${report.added} added`);
    assert.equal(report.deadLettered, 0);
    return { report, emulator };
  } finally {
    await server.close();
  }
}

test("a batcher with default options fed 50 KB events through a 20 s outage and its drain stays within twice maxQueueBytes of its baseline RSS, and stores every event once", async () => {
  const { report, emulator } = await outage(false);
  const stored = emulator.events().filter((event) => event.event_id.startsWith("mem-"));
  const ids = new Set(stored.map((event) => event.event_id));
  assert.equal(ids.size, stored.length, "an event stored twice");
  assert.equal(ids.size, report.added, `${ids.size} of ${report.added} stored`);
  assert.equal(report.accepted, report.added);
});

test("a batcher fed 50 KB events the server refuses, through a 20 s outage, stays within twice maxQueueBytes of its baseline RSS, and every event is refused once", async () => {
  const { report, emulator } = await outage(true);
  assert.equal(report.rejected, report.added);
  assert.equal(report.accepted, 0);
  assert.equal(emulator.events().filter((event) => event.event_id.startsWith("mem-")).length, 0);
});

test("with a spool, a batcher fed 50 KB events through a 20 s outage and its drain stays within twice maxQueueBytes of its baseline RSS, and stores every event once", async () => {
  await withTempDir(async (dir) => {
    const { report, emulator } = await outage(false, dir);
    const stored = emulator.events().filter((event) => event.event_id.startsWith("mem-"));
    assert.equal(new Set(stored.map((event) => event.event_id)).size, stored.length);
    assert.equal(stored.length, report.added);
  });
});
