// A process for the lock and full-disk tests (run by deno, or by node from the npm build). It reads
// commands from stdin, one per line, and answers on stdout:
//   open <dir> <renewMs> <staleMs>  takes the spool; answers {"ok": true} or {"ok": false, name}
//   close                           closes the spool it holds (if any); answers "closed"
//   fill <dir>                      takes the spool and appends events until the disk refuses
//                                   one; prints the index of each whose append() resolved, then
//                                   "full", and waits (the parent SIGKILLs it)
// It prints "ready" first.
import process from "node:process";
import { createInterface } from "node:readline";
import { Spool } from "../../src/delivery/spool.ts";

let spool: Spool | undefined;
const say = (line: string) => process.stdout.write(`${line}\n`);

async function run(command: string, args: string[]): Promise<void> {
  if (command === "open") {
    const [dir, renewMs, staleMs] = args;
    try {
      spool = await Spool.open({
        dir,
        maxBytes: 1024 * 1024,
        lease: { renewMs: Number(renewMs), staleMs: Number(staleMs) },
      });
      say(JSON.stringify({ ok: true, pid: process.pid }));
    } catch (error) {
      const { name, reason } = error as { name?: string; reason?: string };
      say(JSON.stringify({ ok: false, name, reason }));
    }
  } else if (command === "close") {
    await spool?.close();
    spool = undefined;
    say("closed");
  } else if (command === "fill") {
    spool = await Spool.open({ dir: args[0], maxBytes: 64 * 1024 * 1024, segmentBytes: 16 * 1024 });
    for (let i = 0;; i++) {
      const text = JSON.stringify({
        event_id: `full-${i}`,
        source_system: "spectrastrike",
        event_type: "PROCESS_ANOMALY",
        occurred_at: "2026-11-28T12:00:00Z",
        severity: "medium",
        asset_ref: `host-${i % 17}`,
        message: `event ${i} written until the disk is full ${"x".repeat(200)}`,
      });
      try {
        await spool.append(text);
        say(String(i));
      } catch {
        break;
      }
    }
    say("full");
  }
}

const lines = createInterface({ input: process.stdin });
say("ready");
for await (const line of lines) {
  const [command, ...args] = line.trim().split(" ");
  await run(command, args);
}
await spool?.close();
