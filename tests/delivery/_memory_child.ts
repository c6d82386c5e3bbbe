// A producer process for the memory test (run by deno, or by node from the npm build): a batcher
// with default options is fed 50 KB events for `produceMs` while the parent's emulator is down,
// then closed (which waits for the drain). Its resident memory is sampled all along; the last
// line it prints is a JSON report: baseline and peak RSS, what was added and what became of it.
import process from "node:process";
import { VectorVueClient } from "../../mod.ts";

interface ChildConfig {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly tenantId: string;
  readonly ca: string;
  /** How long events are added; the parent's outage starts when the child says "ready". */
  readonly produceMs: number;
  /** Bytes of each event's metadata. */
  readonly eventBytes: number;
  /** Make events the server refuses (a severity it does not know). */
  readonly refused: boolean;
  /** Keep the batcher's items in a spool in this directory. */
  readonly spoolDir?: string;
}

const config: ChildConfig = JSON.parse(process.argv[process.argv.length - 1]);
const rss = () => process.memoryUsage().rss;

// Distinct text per event, as real telemetry is: no string shared between events (a repeated
// string concatenated with a counter would be a rope sharing one buffer, and hide a copy).
function payload(i: number): string {
  const unit = `${i.toString(36)}-`;
  return unit.repeat(Math.ceil(config.eventBytes / unit.length)).slice(0, config.eventBytes);
}

function event(i: number, prefix = "mem"): Record<string, unknown> {
  return {
    event_id: `${prefix}-${i}`,
    source_system: "spectrastrike",
    event_type: "PROCESS_ANOMALY",
    occurred_at: "2026-11-28T12:00:00Z",
    severity: config.refused ? "not-a-severity" : "medium",
    asset_ref: `host-${i % 17}`,
    message: `event ${i} of a producer during an outage`,
    // The server keeps message to 1,024 characters: the bulk of the 50 KB is in metadata.
    metadata: { output: payload(i) },
  };
}

const client = new VectorVueClient({
  baseUrl: config.baseUrl,
  username: config.username,
  password: config.password,
  tenantId: config.tenantId,
  caCerts: [config.ca],
});
let deadLettered = 0;
let rejected = 0;
const batcher = client.createBatcher({
  kind: "events",
  onDeadLetter: (items) => void (deadLettered += items.length),
  onRejected: (items) => void (rejected += items.length),
  ...(config.spoolDir === undefined ? {} : { spool: { dir: config.spoolDir } }),
});

// The baseline: the process in normal operation before the outage (modules loaded, logged in,
// a few batches of these events delivered), the heap settled.
const WARM_UP = 40;
for (let i = 0; i < WARM_UP; i++) await batcher.add(event(i, "warm-up"));
await batcher.flush();
await new Promise((resolve) => setTimeout(resolve, 500));
const baseline = rss();
let peak = baseline;
// The V8 heap and the memory outside it (ArrayBuffers) at the RSS peak, to say where it went.
let atPeak = process.memoryUsage();
const sample = () => {
  const now = process.memoryUsage();
  if (now.rss > peak) [peak, atPeak] = [now.rss, now];
};
const sampler = setInterval(sample, 20);
// VV_MEMORY_TRACE=1: a line a second of where the memory is, on stderr.
const started = performance.now();
const tracer = process.env.VV_MEMORY_TRACE
  ? setInterval(() => {
    const m = process.memoryUsage();
    const mb = (n: number) => (n / 1048576).toFixed(0);
    process.stderr.write(
      `${((performance.now() - started) / 1000).toFixed(0)}s rss ${mb(m.rss)} heap ${
        mb(m.heapUsed)
      }/${mb(m.heapTotal)} external ${mb(m.external)} held ${mb(batcher.stats().heldBytes)}\n`,
    );
  }, 1000)
  : undefined;

console.log("ready");
const stopAt = performance.now() + config.produceMs;
let added = 0;
while (performance.now() < stopAt) {
  await batcher.add(event(added++));
  sample();
}
const drainStarted = performance.now();
await batcher.close();
clearInterval(sampler);
clearInterval(tracer);
sample();
const stats = batcher.stats();
console.log(JSON.stringify({
  baseline,
  peak,
  heapAtPeak: atPeak.heapTotal,
  externalAtPeak: atPeak.external,
  added,
  accepted: stats.accepted - (config.refused ? 0 : WARM_UP),
  rejected: rejected - (config.refused ? WARM_UP : 0),
  deadLettered,
  requests: stats.requests,
  drainMs: Math.round(performance.now() - drainStarted),
}));
await client.close();
