// `vectorvue ship PATH...`: the first acceptance line, CI-sized. A writer appends events
// to a file rotated once by rename and once by copy-and-truncate, while the shipper is killed
// with SIGKILL twice and started again on the same state directory: every event is stored once,
// nothing is dead-lettered, and the last event is stored within 5 s of the writer's last line.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  readFileSync,
  renameSync,
  truncateSync,
} from "node:fs";
import { join } from "node:path";
import { until, withTarget } from "./_cli.ts";
import { eventLines, keysById, type Shipper, startShip } from "./_ship.ts";

const TOTAL = 3_000;

describe("vectorvue ship following files", () => {
  test("rename and copy-and-truncate rotation, two SIGKILLs: every event stored once, none dead-lettered", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const state = join(dir, "state");
      const log = join(dir, "app.ndjson");
      const args = ["--kind", "events", "--state-dir", state, `${log}*`];
      const stored = () => target.emulator.events().length;
      let written = 0;
      // Appends events up to `to`, in portions (a writer, not a synchronisation).
      const write = async (to: number) => {
        while (written < to) {
          const next = Math.min(to, written + 100);
          appendFileSync(log, eventLines(written + 1, next, "file"));
          written = next;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      };
      const start = async () => {
        const shipper = startShip(args, target.env);
        await shipper.endInput();
        return shipper;
      };
      let shipper: Shipper = await start();
      try {
        await write(800);
        // Rotation by rename: the old file is finished, the new one read from its start.
        renameSync(log, `${log}.1`);
        await write(1_200);
        await until(() => stored() >= 900, 60_000);
        shipper.kill("SIGKILL");
        await shipper.done;
        await write(1_600);
        shipper = await start();
        await until(() => stored() >= 1_400, 60_000);
        // Copy-and-truncate (logrotate's copytruncate), with nothing written in between.
        copyFileSync(log, `${log}.2`);
        truncateSync(log, 0);
        await write(2_200);
        await until(() => stored() >= 1_900, 60_000);
        shipper.kill("SIGKILL");
        await shipper.done;
        shipper = await start();
        await write(TOTAL);
        const lastWritten = Date.now();
        await until(() => stored() >= TOTAL, 60_000);
        const delay = Date.now() - lastWritten;
        assert.ok(delay < 5_000, `the last event was stored ${delay} ms after it was written`);
        shipper.kill("SIGTERM");
        const end = await shipper.done;
        assert.equal(end.code, 0, end.stderr);
        const ids = new Set(target.emulator.events().map((event) => event.event_id));
        assert.equal(ids.size, TOTAL);
        for (let n = 1; n <= TOTAL; n++) assert.ok(ids.has(`file-${n}`), `file-${n} missing`);
        assert.equal(stored(), TOTAL);
        // No line shipped twice: an id sent again went in the same batch, under the same key.
        const twice = [...keysById(target.emulator.requests)].filter(([, keys]) => keys.size !== 1);
        assert.deepEqual(twice, []);
        const dead = join(state, "dead-letter.ndjson");
        assert.equal(existsSync(dead) ? readFileSync(dead, "utf8") : "", "");
        const events = shipper.logs().map((line) => line.event);
        assert.ok(events.includes("started"), end.stderr);
      } finally {
        shipper.kill("SIGKILL");
        await shipper.done;
      }
    });
  });

  test("--from-end: a file seen and left before any line of it was shipped resumes where it was seen", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const state = join(dir, "state");
      const log = join(dir, "app.ndjson");
      appendFileSync(log, eventLines(1, 2, "old"));
      const args = ["--kind", "events", "--state-dir", state, "--from-end", log];
      let shipper = startShip(args, target.env);
      try {
        await shipper.endInput();
        // Where the file started (its end) is kept before any of its lines is taken.
        await until(() => existsSync(join(state, "starts.json")), 30_000);
        shipper.kill("SIGTERM");
        assert.equal((await shipper.done).code, 0);
        // Written while no shipper ran: the next one must not take these as the file's "end".
        appendFileSync(log, eventLines(1, 3, "new"));
        shipper = startShip(args, target.env);
        await shipper.endInput();
        await until(() => target.emulator.events().length >= 3, 30_000);
        shipper.kill("SIGTERM");
        assert.equal((await shipper.done).code, 0);
        const ids = target.emulator.events().map((event) => event.event_id).sort();
        assert.deepEqual(ids, ["new-1", "new-2", "new-3"]);
      } finally {
        shipper.kill("SIGKILL");
        await shipper.done;
      }
    });
  });
});
