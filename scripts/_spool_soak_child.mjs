// The producer of `scripts/spool_kill_soak.ts`: adds events with ids never used before through a
// spooled batcher, as fast as it can, until the parent SIGKILLs it (or, as the final run, a given
// number of them, then closes the batcher so that the spool drains). Plain JavaScript so that
// every runtime runs it as it is; the client comes from the module named in the arguments (the
// source's `mod.ts` under Deno, the npm build's `esm/mod.js` on Node and Bun).
//
//   <runtime> scripts/_spool_soak_child.mjs <JSON arguments>
//
// stdout, one line each (the parent counts an id as acknowledged only once it has read it):
//   opening            before `batcher.ready()` (the lock, then the scan of the spool)
//   ready <items>      `ready()` resolved; <items> were on disk, left by the killed processes
//   <i>                `add()` of event <prefix><i> resolved: it is on disk, fsynced
//   closed             `close()` resolved: everything was delivered
// stderr: the client's warnings and errors, one JSON line each ({"level", "message", "fields"}).
import process from "node:process";
import { readFileSync } from "node:fs";

const args = JSON.parse(process.argv[2]);
const { VectorVueClient } = await import(args.module);

/** Writes one line; stdout to a pipe is synchronous on Linux in every runtime, so a line written is the parent's. */
const say = (line) => process.stdout.write(`${line}\n`);

/** The client's logger: warnings and errors go to the parent, which counts them. */
const log = (level) => (message, fields) =>
  void process.stderr.write(`${JSON.stringify({ level, message, fields })}\n`);
const logger = {
  debug: () => {},
  info: () => {},
  warn: log("warn"),
  error: log("error"),
};

const client = new VectorVueClient({
  baseUrl: args.baseUrl,
  username: args.username,
  password: args.password,
  tenantId: args.tenantId,
  caCerts: [readFileSync(args.caPath)],
  // Names this process in the User-Agent, so the parent can tell which one sent a batch.
  appName: args.appName,
  logger,
  // The emulator has no rate limit here; pacing is not the subject.
  rateLimit: false,
});
const batcher = client.createBatcher({
  kind: "events",
  spool: { dir: args.dir, maxBytes: args.maxBytes },
});

say("opening");
await batcher.ready();
say(`ready ${batcher.stats().spool?.items ?? 0}`);

let next = 0;
const limit = args.limit ?? Infinity;
const worker = async () => {
  while (next < limit) {
    const i = next++;
    await batcher.add({
      event_id: `${args.prefix}${i}`,
      source_system: "spectrastrike",
      event_type: "PROCESS_ANOMALY",
      occurred_at: "2026-12-06T12:00:00Z",
      severity: "medium",
      asset_ref: `host-${i % 17}`,
      message: `event ${i} of a producer that gets killed at random`,
      metadata: { i },
    });
    say(String(i));
  }
};
await Promise.all(Array.from({ length: args.window }, worker));
await batcher.close();
await client.close();
say("closed");
