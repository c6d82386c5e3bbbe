// A full disk does not strand what is on it: a producer SIGKILLed with its spool's disk full (a
// small tmpfs), then a batcher started on the still-full disk delivers every acknowledged event,
// frees the space as batches are answered, and leaves no temporary file.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdir } from "node:fs/promises";
import { VectorVueClient } from "../../mod.ts";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import { startLockChild } from "./_child_process.ts";
import { recordingLogger, withTempDir } from "./_spool_helpers.ts";

describe("spool on a full disk", () => {
  test("SIGKILL with the disk full, restart on the still-full disk: ready() succeeds, every acknowledged event is delivered, no *.tmp left", async (t) => {
    await withTempDir(async (dir) => {
      try {
        execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", dir], {
          stdio: "ignore",
        });
      } catch {
        t.skip("mounting a tmpfs needs root on Linux");
        return;
      }
      try {
        // The producer appends until the disk refuses, and is killed there.
        const producer = await startLockChild();
        producer.send(`fill ${dir}`);
        const acknowledged: string[] = [];
        for (let line = await producer.next(); line !== "full"; line = await producer.next()) {
          assert.match(line, /^\d+$/, line);
          acknowledged.push(`full-${line}`);
        }
        producer.child.kill("SIGKILL");
        assert.equal(await producer.exited, "SIGKILL");
        assert.ok(acknowledged.length > 100, `${acknowledged.length} acknowledged`);
        // Still full: not even one more small file's data fits.
        assert.throws(() =>
          execFileSync("dd", ["if=/dev/zero", `of=${dir}/filler`, "bs=4k", "count=1"], {
            stdio: "ignore",
          })
        );
        execFileSync("rm", ["-f", `${dir}/filler`]);

        const emulator = createVectorVueEmulator({ rateLimit: false });
        const logger = recordingLogger();
        const client = new VectorVueClient({
          ...emulator.defaults,
          logger,
          fetch: (input, init) => emulator.fetch(new Request(input, init)),
        });
        const batcher = client.createBatcher({ kind: "events", spool: { dir } });
        await batcher.ready();
        await batcher.flush();
        const stored = new Set(emulator.events().map((event) => event.event_id as string));
        assert.deepEqual(acknowledged.filter((id) => !stored.has(id)), []);
        assert.equal(emulator.events().length, stored.size, "each stored once");
        // Space came back as batches were answered: the spool takes new items again.
        assert.equal(batcher.stats().spool?.items, 0);
        await batcher.add({
          event_id: "after-the-drain",
          source_system: "spectrastrike",
          event_type: "PROCESS_ANOMALY",
          occurred_at: "2026-11-28T12:00:00Z",
          severity: "medium",
          asset_ref: "host-1",
          message: "added once the spool had drained",
        });
        await batcher.close();
        assert.ok(emulator.events().some((event) => event.event_id === "after-the-drain"));
        const left = await readdir(dir);
        assert.deepEqual(left.filter((name) => name.endsWith(".tmp")), []);
        assert.deepEqual(left.filter((name) => name.startsWith("segment-")), []);
      } finally {
        execFileSync("umount", [dir]);
      }
    });
  });
});
