// A producer process for the crash tests (run by deno, or by node from the npm build): adds
// events `from`..`total - 1` through a spooled batcher and prints the index of each event whose
// add() has resolved, one per line; then closes and prints "closed". The parent SIGKILLs it at
// random points and starts it again on the same directory.
//
// With `mode: "lock"` it only opens a spooled batcher and prints what ready() did, as JSON.
import process from "node:process";
import { VectorVueClient } from "../../mod.ts";

interface ChildConfig {
  readonly mode: "add" | "lock";
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly tenantId: string;
  readonly ca: string;
  readonly dir: string;
  readonly from: number;
  readonly total: number;
  /** Concurrent add() calls. */
  readonly window: number;
}

const config: ChildConfig = JSON.parse(process.argv[process.argv.length - 1]);

/** An event whose event_id the parent can map back to its index. */
function crashEvent(i: number): Record<string, unknown> {
  return {
    event_id: `crash-${i}`,
    source_system: "spectrastrike",
    event_type: "PROCESS_ANOMALY",
    occurred_at: "2026-11-28T12:00:00Z",
    severity: "medium",
    asset_ref: `host-${i % 17}`,
    message: `event ${i} of a producer that gets killed`,
    metadata: { i },
  };
}

const client = new VectorVueClient({
  baseUrl: config.baseUrl,
  username: config.username,
  password: config.password,
  tenantId: config.tenantId,
  caCerts: [config.ca],
  // The emulator here has no rate limit; pacing is another test's subject.
  rateLimit: false,
  // Enough patience for a server that answers 503 for several seconds after a restart.
  maxRetries: 400,
  backoffMs: 20,
  maxBackoffMs: 200,
});
const batcher = client.createBatcher({
  kind: "events",
  maxBatchSize: 250,
  flushIntervalMs: 20,
  maxQueueSize: 50_000,
  spool: { dir: config.dir },
});

if (config.mode === "lock") {
  try {
    await batcher.ready();
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
  } catch (error) {
    const { name, message, pid, reason } = error as Record<string, unknown>;
    process.stdout.write(`${JSON.stringify({ ok: false, name, message, pid, reason })}\n`);
  }
  await batcher.close();
} else {
  let next = config.from;
  const worker = async () => {
    while (next < config.total) {
      const i = next++;
      await batcher.add(crashEvent(i));
      process.stdout.write(`${i}\n`);
    }
  };
  await Promise.all(Array.from({ length: config.window }, worker));
  await batcher.close();
  process.stdout.write("closed\n");
}
await client.close();
