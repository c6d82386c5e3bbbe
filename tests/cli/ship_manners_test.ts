// A service's manners: a full spool stops reading (the lines wait in their file, none is
// dropped) until the server takes them again; SIGHUP looks for new files instead of ending the
// process; bad flags are refused before anything starts.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { runCli, until, withTarget } from "./_cli.ts";
import { eventLines, eventually, keysById, metricsOf, startShip } from "./_ship.ts";

const started = (logs: Array<Record<string, unknown>>) =>
  logs.find((line) => line.event === "started");

describe("vectorvue ship manners", () => {
  test("a full spool stops reading; nothing is dropped, and all goes once the server is back", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const log = join(dir, "app.ndjson");
      appendFileSync(log, eventLines(1, 2_000, "full")); // about 500 KB, the spool takes 64 KiB
      target.emulator.inject({ path: /\/batch$/, status: 503, count: 1_000_000 });
      const env = { ...target.env, VECTORVUE_MAX_BACKOFF_SECONDS: "1" };
      const state = join(dir, "state");
      const args = ["--kind", "events", "--state-dir", state, "--spool-max-bytes", "65536"];
      args.push("--grace-seconds", "1");
      const shipper = startShip([...args, "--json", "--metrics-port", "0", log], env);
      try {
        await shipper.endInput();
        await until(() => started(shipper.logs()) !== undefined, 30_000);
        const base = String(started(shipper.logs())!.metrics);
        // Reading stops: what was taken stays what the spool holds, the rest waits in the file.
        let taken = -1;
        await eventually(async () => {
          const metrics = await metricsOf(base);
          const now = metrics.get("vectorvue_ship_lines_taken_total") ?? 0;
          const same = now === taken && now > 0;
          taken = now;
          return same && (metrics.get("vectorvue_ship_spool_bytes") ?? 0) > 0;
        }, 30_000);
        const metrics = await metricsOf(base);
        assert.ok(taken < 2_000 && taken > 50, `${taken} lines taken`);
        assert.ok((metrics.get("vectorvue_ship_spool_bytes") ?? Infinity) <= 65_536);
        const lag = [...metrics].find(([name]) => name.startsWith("vectorvue_ship_lag_bytes{"));
        assert.ok(lag !== undefined && lag[1] > 0, "the file is behind");
        assert.equal(target.emulator.events().length, 0);
        // SIGTERM while the server refuses: out within the grace period, the rest kept on disk.
        const stopping = Date.now();
        shipper.kill("SIGTERM");
        const stopped = await shipper.done;
        assert.equal(stopped.code, 0, stopped.stderr);
        assert.ok(Date.now() - stopping < 10_000, `stopped after ${Date.now() - stopping} ms`);
        assert.ok(JSON.parse(stopped.stdout).leftInSpool > 0, stopped.stdout);
        // The server is back: a new shipper on the state directory delivers the spool, reads on.
        target.emulator.clearFaults();
        const next = startShip([...args, "--json", log], env);
        await next.endInput();
        await until(() => target.emulator.events().length === 2_000, 60_000);
        next.kill("SIGTERM");
        assert.equal((await next.done).code, 0);
        const twice = [...keysById(target.emulator.requests)].filter(([, keys]) => keys.size !== 1);
        assert.deepEqual(twice, []);
        const dead = join(state, "dead-letter.ndjson");
        assert.equal(existsSync(dead) ? readFileSync(dead, "utf8") : "", "");
      } finally {
        shipper.kill("SIGKILL");
        await shipper.done;
      }
    });
  });

  test("SIGHUP rescans the paths and the shipper goes on", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const args = ["--kind", "events", "--state-dir", join(dir, "state"), join(dir, "*.ndjson")];
      appendFileSync(join(dir, "a.ndjson"), eventLines(1, 10, "hup"));
      const shipper = startShip(args, target.env);
      try {
        await shipper.endInput();
        await until(() => target.emulator.events().length === 10, 30_000);
        appendFileSync(join(dir, "b.ndjson"), eventLines(11, 20, "hup"));
        shipper.kill("SIGHUP");
        await until(() => target.emulator.events().length === 20, 30_000);
        assert.ok(shipper.logs().some((line) => line.event === "rescan"));
        assert.ok(
          shipper.logs().some((line) =>
            line.event === "file_found" && line.path === join(dir, "b.ndjson")
          ),
        );
        shipper.kill("SIGTERM");
        const end = await shipper.done;
        assert.equal(end.code, 0, end.stderr);
      } finally {
        shipper.kill("SIGKILL");
        await shipper.done;
      }
    });
  });

  test("a metrics port in use: exit 1 saying so, nothing sent, the spool left for the next start", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      const port = (taken.address() as AddressInfo).port;
      const state = join(dir, "state");
      const log = join(dir, "a.ndjson");
      appendFileSync(log, eventLines(1, 5, "port"));
      try {
        const args = ["--kind", "events", "--state-dir", state, log];
        const refused = startShip([...args, "--metrics-port", String(port)], target.env);
        await refused.endInput();
        const end = await refused.done;
        assert.equal(end.code, 1, end.stderr);
        const failed = refused.logs().find((line) => line.event === "failed");
        assert.match(String(failed?.msg), /cannot serve metrics/);
        assert.equal(target.emulator.events().length, 0);
        // Its spool lock is released: the next shipper on the same state directory starts.
        const next = startShip(args, target.env);
        try {
          await next.endInput();
          await until(() => target.emulator.events().length === 5, 30_000);
          next.kill("SIGTERM");
          assert.equal((await next.done).code, 0);
        } finally {
          next.kill("SIGKILL");
          await next.done;
        }
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });
  });

  test("a line over 1 MiB in a file is skipped and dead-lettered with its offset; the rest goes", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const state = join(dir, "state");
      const log = join(dir, "big.ndjson");
      const first = eventLines(1, 1, "big");
      appendFileSync(
        log,
        `${first}{"message":"${"x".repeat(1_100_000)}"}\n${eventLines(2, 2, "big")}`,
      );
      const shipper = startShip(["--kind", "events", "--state-dir", state, log], target.env);
      try {
        await shipper.endInput();
        await until(() => target.emulator.events().length === 2, 30_000);
        const dead = join(state, "dead-letter.ndjson");
        await until(() => existsSync(dead) && readFileSync(dead, "utf8").endsWith("\n"), 30_000);
        const record = JSON.parse(readFileSync(dead, "utf8")).vectorvue_dead_letter;
        assert.equal(record.code, "record_too_large");
        assert.equal(record.file, log);
        assert.equal(record.offset, new TextEncoder().encode(first).length);
        shipper.kill("SIGTERM");
        assert.equal((await shipper.done).code, 0);
      } finally {
        shipper.kill("SIGKILL");
        await shipper.done;
      }
    });
  });

  test("a second shipper on the same state directory exits 1 naming the one that holds it", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const args = ["-", "--kind", "events", "--state-dir", join(dir, "state")];
      const first = startShip(args, target.env);
      try {
        await until(() => first.logs().some((line) => line.event === "started"), 30_000);
        const second = await runCli(["ship", ...args], { env: target.env, stdin: "" });
        assert.equal(second.code, 1, second.stderr);
        assert.match(second.stderr, /"event":"failed","msg":"cannot open the spool: [^"]*\d+/);
        first.kill("SIGTERM");
        assert.equal((await first.done).code, 0);
      } finally {
        first.kill("SIGKILL");
        await first.done;
      }
    });
  });

  test("bad flags: every problem at once, nothing started", async () => {
    const run = await runCli([
      "ship",
      "--kind",
      "logs",
      "--grace-seconds",
      "x",
      "--metrics-port",
      "70000",
      "--from-start",
      "--from-end",
      "-",
      "a.ndjson",
    ], { env: { VECTORVUE_BASE_URL: "https://127.0.0.1:1", VECTORVUE_TOKEN: "t" } });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /--grace-seconds must be a whole number, got "x"/);
    assert.match(run.stderr, /--kind must be "events" or "findings", got "logs"/);
    assert.match(run.stderr, /--metrics-port must be a port number \(0\.\.65535\), got 70000/);
    assert.match(run.stderr, /--from-start and --from-end go one at a time/);
    assert.match(run.stderr, /- \(standard input\) goes alone, without PATHs/);
  });
});
