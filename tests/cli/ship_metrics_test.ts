// `vectorvue ship --metrics-port`: /metrics counts agree with what the emulator stored, and
// /healthz turns 503 (with the reason) within 30 s of the server going away, then 200 once it is
// back; the log says each change of state once.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import { fixture } from "../_served.ts";
import { targetEnv, tempDir, until } from "./_cli.ts";
import { eventLines, eventually, get, metricsOf, parseMetrics, startShip } from "./_ship.ts";

describe("vectorvue ship metrics and health", () => {
  test("/metrics agrees with the emulator; /healthz 503 within 30 s of the server going, 200 after", async () => {
    const emulator = createVectorVueEmulator({ rateLimit: false });
    const tls = {
      hostname: "127.0.0.1",
      cert: fixture("server.pem"),
      key: fixture("server-key.pem"),
    };
    let server = await emulator.serve({ ...tls, port: 0 });
    const port = Number(new URL(server.url).port);
    const { dir, remove } = tempDir();
    const env = {
      ...targetEnv(server.url, emulator),
      // The server comes back within a second or two: the test need not wait 30 s to see it.
      VECTORVUE_MAX_BACKOFF_SECONDS: "1",
    };
    const args = [
      "-",
      "--kind",
      "events",
      "--state-dir",
      join(dir, "state"),
      "--metrics-port",
      "0",
    ];
    const shipper = startShip([...args, "--unhealthy-after", "3"], env);
    try {
      await until(() => shipper.logs().some((line) => line.event === "started"), 30_000);
      const base = String(shipper.logs().find((line) => line.event === "started")!.metrics);
      assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
      await shipper.write(eventLines(1, 1_500));
      await until(() => emulator.events().length === 1_500, 60_000);
      // Counted once the client has read the answer, a moment after the server stored the items.
      await eventually(async () =>
        (await metricsOf(base)).get("vectorvue_ship_items_accepted_total") === 1_500
      );
      const page = await get(`${base}/metrics`);
      assert.equal(page.status, 200);
      const metrics = parseMetrics(page.text);
      const batches = emulator.requests.filter((r) => r.path.endsWith("/events/batch")).length;
      assert.equal(metrics.get("vectorvue_ship_items_accepted_total"), emulator.events().length);
      assert.equal(metrics.get("vectorvue_ship_lines_read_total"), 1_500);
      assert.equal(metrics.get("vectorvue_ship_requests_total"), batches);
      assert.equal(metrics.get('vectorvue_ship_dead_lettered_total{reason="malformed"}'), 0);
      assert.equal(metrics.get('vectorvue_ship_state{state="delivering"}'), 1);
      assert.equal((await get(`${base}/healthz`)).status, 200);

      // The server goes away while lines keep coming.
      await server.close();
      const gone = Date.now();
      await shipper.write(eventLines(1_501, 1_600));
      await until(() => shipper.logs().some((line) => line.event === "unavailable"), 30_000);
      let health = await get(`${base}/healthz`);
      for (let i = 0; i < 300 && health.status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        health = await get(`${base}/healthz`);
      }
      assert.equal(health.status, 503);
      assert.ok(Date.now() - gone < 30_000, `503 after ${Date.now() - gone} ms`);
      assert.match(health.text, /^unhealthy: server unreachable: .*\(no good answer for \d+ s\)/);
      assert.equal(
        parseMetrics((await get(`${base}/metrics`)).text).get("vectorvue_ship_healthy"),
        0,
      );

      // Back on the same address: delivering again, and everything stored.
      server = await emulator.serve({ ...tls, port });
      await until(() => emulator.events().length === 1_600, 60_000);
      await eventually(async () =>
        (await metricsOf(base)).get("vectorvue_ship_items_accepted_total") === 1_600
      );
      health = await get(`${base}/healthz`);
      assert.equal(health.status, 200, health.text);
      const states = shipper.logs().map((line) => line.event)
        .filter((event) => ["delivering", "unavailable", "rate_limited"].includes(String(event)));
      assert.deepEqual(states, ["delivering", "unavailable", "delivering"]);
      shipper.kill("SIGTERM");
      const end = await shipper.done;
      assert.equal(end.code, 0, end.stderr);
    } finally {
      shipper.kill("SIGKILL");
      await shipper.done;
      await server.close();
      remove();
    }
  });
});
