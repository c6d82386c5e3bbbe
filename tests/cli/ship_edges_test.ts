// `vectorvue ship` where others make things hard: a dead-letter file on a full disk, a line the
// spool could never hold, a server that accepts connections and never answers.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import process from "node:process";
import { join } from "node:path";
import { REPEAT_WINDOW_MS } from "../../cli/interrupts.ts";
import { runCli, tempDir, until, withTarget } from "./_cli.ts";
import { eventLines, get, type Shipper, startShip } from "./_ship.ts";

const isLinux = process.platform === "linux";
const encoder = new TextEncoder();

/** A server that accepts connections and says nothing (a hung server, or a black hole). */
async function hungServer(): Promise<
  { port: number; connected: () => boolean; close(): Promise<void> }
> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    connected: () => sockets.size > 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A shipper of standard input whose server never answers, given ten events and connected to that
 * server, for `body`; stopped (SIGKILL if need be) and cleaned up after.
 */
async function withHungShipper(
  graceSeconds: number,
  body: (shipper: Shipper) => Promise<void>,
): Promise<void> {
  const server = await hungServer();
  const { dir, remove } = tempDir();
  const args = ["-", "--kind", "events", "--state-dir", join(dir, "state")];
  const shipper = startShip([...args, "--grace-seconds", String(graceSeconds)], {
    VECTORVUE_BASE_URL: `https://127.0.0.1:${server.port}`,
    VECTORVUE_USERNAME: "operator",
    VECTORVUE_PASSWORD: "not-a-real-password",
    VECTORVUE_TENANT_ID: "10000000-0000-0000-0000-000000000001",
    // Far longer than the grace period: only the stop can end the login waiting.
    VECTORVUE_TIMEOUT_SECONDS: "120",
  });
  try {
    await shipper.write(eventLines(1, 10));
    await until(server.connected, 30_000);
    await body(shipper);
  } finally {
    shipper.kill("SIGKILL");
    await shipper.done;
    await server.close();
    remove();
  }
}

describe("vectorvue ship at the edges", () => {
  test(
    "a dead letter that cannot be written (a full disk) stops the shipper with exit 1",
    { skip: !isLinux && "needs /dev/full" },
    async () => {
      await withTarget({ rateLimit: false }, async (target, dir) => {
        const state = join(dir, "state");
        const good = eventLines(1, 20).split("\n").slice(0, -1);
        const refused = JSON.stringify({ ...JSON.parse(good[3]), severity: "apocalyptic" });
        const input = `${[...good.slice(0, 3), refused, ...good.slice(4)].join("\n")}\n`;
        const args = ["ship", "-", "--kind", "events", "--state-dir", state, "--json"];
        const run = await runCli([...args, "--dead-letter", "/dev/full"], {
          env: target.env,
          stdin: input,
        });
        assert.equal(run.code, 1, run.stderr);
        const summary = JSON.parse(run.stdout);
        assert.equal(summary.status, "failed");
        // Nothing is counted as dead-lettered that is not in the file.
        assert.deepEqual(summary.deadLettered, { malformed: 0, rejected: 0, failed: 0 });
        assert.match(run.stderr, /"event":"dead_letter_failed"/);
        // The refused line stayed in the spool: the next shipper on the state directory, with a
        // dead-letter file it can write, reports it there, and delivers the rest.
        const next = await runCli(args, { env: target.env, stdin: "" });
        const dead = readFileSync(join(state, "dead-letter.ndjson"), "utf8").trim().split("\n")
          .map((line) => JSON.parse(line));
        assert.deepEqual(
          dead.map((line) => [line.vectorvue_dead_letter.reason, line.item?.event_id]),
          [["rejected", JSON.parse(refused).event_id]],
          next.stderr,
        );
        assert.equal(target.emulator.events().length, 19);
      });
    },
  );

  test("a line the spool could never hold is dead-lettered, not fatal; the rest goes", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const state = join(dir, "state");
      const [first, second] = eventLines(1, 2).split("\n");
      // A JSON object larger than the whole spool (64 KiB).
      const big = JSON.stringify({
        ...JSON.parse(first),
        event_id: "big",
        pad: "x".repeat(70_000),
      });
      const input = `${first}\n${big}\n${second}\n`;
      const args = ["ship", "-", "--kind", "events", "--state-dir", state, "--json"];
      const run = await runCli([...args, "--spool-max-bytes", "65536"], {
        env: target.env,
        stdin: input,
      });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(target.emulator.events().length, 2);
      const dead = readFileSync(join(state, "dead-letter.ndjson"), "utf8").trim().split("\n")
        .map((line) => JSON.parse(line).vectorvue_dead_letter);
      assert.deepEqual(dead.map((record) => [record.code, record.offset, record.end]), [
        [
          "record_too_large",
          encoder.encode(`${first}\n`).length,
          encoder.encode(`${first}\n${big}\n`).length,
        ],
      ]);
    });
  });

  test("SIGTERM while the server never answers: out within the grace period", async () => {
    await withHungShipper(1, async (shipper) => {
      const stopping = Date.now();
      shipper.kill("SIGTERM");
      const end = await shipper.done;
      const took = Date.now() - stopping;
      assert.equal(end.code, 0, end.stderr);
      assert.ok(took < 10_000, `stopped ${took} ms after SIGTERM`);
      assert.match(end.stderr, /"event":"stdin_taken"/);
    });
  });

  test("a second SIGTERM during the grace period exits 130 at once, saying what was taken", async () => {
    await withHungShipper(60, async (shipper) => {
      const first = Date.now();
      shipper.kill("SIGTERM");
      await until(() => shipper.logs().some((line) => line.event === "stopping"), 30_000);
      // A copy of the same signal (a parent forwarding it) within the window is not a second.
      await until(() => Date.now() - first > REPEAT_WINDOW_MS + 100, 5_000);
      const second = Date.now();
      shipper.kill("SIGTERM");
      const end = await shipper.done;
      assert.equal(end.code, 130, end.stderr);
      assert.ok(Date.now() - second < 5_000, `exited ${Date.now() - second} ms after`);
      const exiting = shipper.logs().find((line) => line.event === "exiting");
      assert.deepEqual([exiting?.stdin_lines, exiting?.stdin_bytes], [
        10,
        encoder.encode(eventLines(1, 10)).length,
      ]);
    });
  });

  test("no secret in a log line, the summary, a dead letter, /metrics or /healthz", async () => {
    const secret = "signing-secret-that-must-not-leak-0123456789";
    await withTarget({ rateLimit: false, signatureSecret: secret }, async (target, dir) => {
      const state = join(dir, "state");
      // The server refuses the token twice: the client logs in again (the password goes out
      // again), then gives the batch up as failed; the shipper says `refused`, with its reason.
      target.emulator.inject({ path: /\/batch$/, status: 401, count: 2 });
      const env = { ...target.env, VECTORVUE_SIGNATURE_SECRET: secret };
      const shipper = startShip(
        ["-", "--kind", "events", "--state-dir", state, "--json", "--metrics-port", "0"],
        env,
      );
      try {
        await shipper.write(eventLines(1, 10));
        const logged = (event: string) => shipper.logs().find((line) => line.event === event);
        await until(() => logged("refused") !== undefined, 30_000);
        // What the log says happens to the lines is what happens to them.
        assert.doesNotMatch(String(logged("refused")!.msg), /wait in the spool/);
        assert.match(String(logged("refused")!.msg), /dead-letter/);
        await shipper.write(eventLines(11, 20));
        await until(() => target.emulator.events().length === 10, 30_000);
        const base = String(logged("started")!.metrics);
        const served = (await get(`${base}/metrics`)).text + (await get(`${base}/healthz`)).text;
        await shipper.endInput();
        const end = await shipper.done;
        assert.equal(end.code, 0, end.stderr);
        const dead = readFileSync(join(state, "dead-letter.ndjson"), "utf8");
        assert.equal(dead.trim().split("\n").length, 10);
        assert.match(dead, /"reason":"failed","code":"unauthorized"/);
        // One line per change of state: the 401s say `refused` once, not a line per request.
        const perRequest = shipper.logs().filter((line) =>
          /^vectorvue request/.test(String(line.msg))
        );
        assert.deepEqual(perRequest.map((line) => line.msg), []);
        const tokens = target.emulator.requests.flatMap((request) =>
          /^Bearer (.+)$/.exec(request.headers["authorization"] ?? "")?.[1] ?? []
        );
        assert.ok(tokens.length > 0);
        const everything = [end.stdout, end.stderr, dead, served].join("\n");
        for (const word of [secret, target.env.VECTORVUE_PASSWORD, ...new Set(tokens)]) {
          assert.ok(!everything.includes(word), `${word.slice(0, 12)}… appears`);
        }
      } finally {
        shipper.kill("SIGKILL");
        await shipper.done;
      }
    });
  });
});
