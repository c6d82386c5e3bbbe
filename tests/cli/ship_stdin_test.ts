// `vectorvue ship -`: standard input shipped through the spool, malformed and refused lines in
// the dead-letter file with their offsets, and SIGTERM mid-stream with the rest piped to a new
// shipper on the same state directory (the "10,000 lines", CI-sized).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { receivedItems, runCli, until, withTarget } from "./_cli.ts";
import { eventLines, startShip } from "./_ship.ts";

const encoder = new TextEncoder();
const isWindows = typeof Deno !== "undefined" && Deno.build.os === "windows";

describe("vectorvue ship -", () => {
  test("takes every line, dead-letters malformed and refused ones with their offsets, ends at EOF", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const state = join(dir, "state");
      const good = eventLines(1, 1_000).split("\n").slice(0, -1);
      const malformed = '{"event_id": "broken"';
      const refused = JSON.stringify({ ...JSON.parse(good[6]), severity: "apocalyptic" });
      const lines = [
        ...good.slice(0, 4),
        malformed,
        "",
        ...good.slice(4, 6),
        refused,
        ...good.slice(7),
      ];
      const input = `${lines.join("\n")}\n`;
      const run = await runCli(["ship", "-", "--kind", "events", "--state-dir", state, "--json"], {
        env: target.env,
        stdin: input,
      });
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.status, "completed");
      assert.deepEqual(summary.stdin, { lines: lines.length, bytes: encoder.encode(input).length });
      assert.equal(summary.accepted, 999);
      assert.equal(target.emulator.events().length, 999);
      const dead = readFileSync(join(state, "dead-letter.ndjson"), "utf8").trim().split("\n")
        .map((line) => JSON.parse(line));
      assert.equal(dead.length, 2);
      const offsetOf = (index: number) =>
        encoder.encode(lines.slice(0, index).map((line) => `${line}\n`).join("")).length;
      const bad = dead.find((record) => record.vectorvue_dead_letter.reason === "malformed");
      assert.deepEqual(
        { ...bad.vectorvue_dead_letter, at: undefined, message: undefined },
        {
          reason: "malformed",
          code: "invalid_json",
          file: "-",
          offset: offsetOf(4),
          end: offsetOf(5),
          at: undefined,
          message: undefined,
        },
      );
      assert.equal(bad.raw, malformed);
      const no = dead.find((record) => record.vectorvue_dead_letter.reason === "rejected");
      assert.equal(no.item.severity, "apocalyptic");
      assert.equal(no.vectorvue_dead_letter.code, "validation_failed");
      // Where its line was, from the origin the spool kept with the item.
      assert.equal(no.vectorvue_dead_letter.file, "-");
      assert.equal(no.vectorvue_dead_letter.end, offsetOf(9));
      if (!isWindows) {
        assert.equal(statSync(join(state, "dead-letter.ndjson")).mode & 0o777, 0o600);
        assert.equal(statSync(join(state, "spool")).mode & 0o777, 0o700);
        assert.equal(statSync(state).mode & 0o777, 0o700);
      }
    });
  });

  test("SIGTERM mid-stream says how much was taken; the rest to a new shipper stores every line once", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const state = join(dir, "state");
      const total = 3_000;
      const all = encoder.encode(eventLines(1, total));
      const args = ["-", "--kind", "events", "--state-dir", state, "--json"];
      const first = startShip(args, target.env);
      // Two thirds, cut inside a line: the incomplete line is not taken.
      const cut = Math.floor(all.length * 2 / 3) + 7;
      for (let at = 0; at < cut; at += 16_384) {
        await first.write(all.subarray(at, Math.min(cut, at + 16_384)));
      }
      await until(() => target.emulator.events().length >= 500, 60_000);
      first.kill("SIGTERM");
      const stopped = await first.done;
      assert.equal(stopped.code, 0, stopped.stderr);
      const summary = JSON.parse(stopped.stdout);
      assert.equal(summary.status, "stopped");
      const { lines, bytes } = summary.stdin;
      assert.ok(bytes <= cut && all[bytes - 1] === 0x0a, `taken ends at a newline: ${bytes}`);
      assert.equal(new TextDecoder().decode(all.subarray(0, bytes)).split("\n").length - 1, lines);
      const said = first.logs().find((log) => log.event === "stdin_taken");
      assert.equal(said?.stdin_bytes, bytes);
      assert.match(String(said?.msg), new RegExp(`the rest starts at byte ${bytes + 1}`));
      // The rest, to a new shipper on the same state directory.
      const rest = await runCli(["ship", ...args], {
        env: target.env,
        stdin: new TextDecoder().decode(all.subarray(bytes)),
      });
      assert.equal(rest.code, 0, rest.stderr);
      assert.equal(JSON.parse(rest.stdout).stdin.lines, total - lines);
      assert.equal(target.emulator.events().length, total);
      const sent = new Map<unknown, number>();
      for (const item of receivedItems(target.emulator)) {
        sent.set(item.event_id, (sent.get(item.event_id) ?? 0) + 1);
      }
      assert.equal(sent.size, total);
      assert.deepEqual([...sent.values()].filter((count) => count !== 1), []);
    });
  });

  test("after a SIGKILL, the next ship - says how far the spool had taken standard input", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const args = ["-", "--kind", "events", "--state-dir", join(dir, "state"), "--json"];
      const all = encoder.encode(eventLines(1, 2_000, "kill"));
      const first = startShip(args, target.env);
      await first.write(all);
      await until(() => target.emulator.events().length >= 500, 60_000);
      first.kill("SIGKILL");
      await first.done;
      const next = await runCli(["ship", ...args], { env: target.env, stdin: "" });
      assert.equal(next.code, 0, next.stderr);
      const said = next.stderr.split("\n").filter((line) => line.includes('"stdin_before"'))
        .map((line) => JSON.parse(line))[0];
      const bytes = said?.bytes as number;
      assert.ok(bytes > 0 && bytes <= all.length && all[bytes - 1] === 0x0a, `${bytes}`);
      // What the spool held up to there is delivered; nothing past it was taken.
      const lines = new TextDecoder().decode(all.subarray(0, bytes)).split("\n").length - 1;
      assert.equal(target.emulator.events().length, lines);
    });
  });
});
