// A reader process for the origins crash test (run by deno, or by node from the npm build): it
// reads `sources` sources of `lines` lines each (line k of a source ends at position k + 1),
// resuming each where the spool's `batcher.origins()` says, and adds every line with its origin
// through a spooled batcher, as `vectorvue ship` does. It prints `origins <json>` once ready, then
// `ack <source> <position>` as each add() resolves, then `closed <json>` after a clean close.
// The parent SIGKILLs it at random moments and starts it again on the same directory.
import process from "node:process";
import { VectorVueClient } from "../../mod.ts";

interface ChildConfig {
  readonly baseUrl: string;
  readonly username: string;
  readonly password: string;
  readonly tenantId: string;
  readonly ca: string;
  readonly dir: string;
  readonly sources: number;
  readonly lines: number;
  /** Which run this is: in each event's id, so that a line added twice is seen twice. */
  readonly run: number;
}

const config: ChildConfig = JSON.parse(process.argv[process.argv.length - 1]);
const print = (line: string): void => void process.stdout.write(`${line}\n`);

const client = new VectorVueClient({
  baseUrl: config.baseUrl,
  username: config.username,
  password: config.password,
  tenantId: config.tenantId,
  caCerts: [config.ca],
  rateLimit: false,
  maxRetries: 400,
  backoffMs: 20,
  maxBackoffMs: 200,
});
const batcher = client.createBatcher({
  kind: "events",
  onRejected: (items) => print(`rejected ${JSON.stringify(items[0])}`),
  maxBatchSize: 40,
  flushIntervalMs: 10,
  // Small segments (8 KiB): many are filled, settled and deleted while the sources are read.
  spool: { dir: config.dir, maxBytes: 64 * 1024 },
});
await batcher.ready();
const start = batcher.origins();
print(`origins ${JSON.stringify([...start])}`);

const source = (s: number) => `/var/log/source-${s}.ndjson`;
const next = Array.from({ length: config.sources }, (_, s) => start.get(source(s)) ?? 0);
// Lines of all sources interleaved, each source's in order; up to 48 add() calls unresolved.
const pending = new Set<Promise<void>>();
for (let round = 0; next.some((position) => position < config.lines); round++) {
  for (let s = 0; s < config.sources; s++) {
    const k = next[s];
    if (k >= config.lines) continue;
    next[s]++;
    const event = {
      event_id: `origin-${s}-${k}-run-${config.run}`,
      source_system: "spectrastrike",
      event_type: "PROCESS_ANOMALY",
      occurred_at: "2026-11-28T12:00:00Z",
      severity: "medium",
      asset_ref: `host-${s}`,
      message: `line ${k} of source ${s}`,
    };
    const adding = batcher.add(event, { origin: { source: source(s), position: k + 1 } })
      .then(() => print(`ack ${s} ${k + 1}`));
    pending.add(adding);
    void adding.finally(() => pending.delete(adding));
    if (pending.size >= 48) await Promise.race(pending);
  }
}
await Promise.all(pending);
await batcher.close();
print(`closed ${JSON.stringify([...batcher.origins()])}`);
await client.close();
