// The pure parts of `vectorvue ship`: the delivery health (state changes once each, /healthz's
// threshold), Prometheus text, the command's own options, the stdin line splitter, the log.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DeliveryHealth, RATE_LIMIT_QUIET_MS, type StateChange } from "../../cli/ship_health.ts";
import { prometheusText } from "../../cli/metrics.ts";
import { answer } from "../../cli/metrics_server.ts";
import { defaultStateDir, readShipSettings, SHIP_DEFAULTS } from "../../cli/ship_options.ts";
import { stdinLines } from "../../cli/ship_stdin.ts";
import { ShipLog } from "../../cli/ship_log.ts";
import type { ShipLine } from "../../cli/ship_lines.ts";

function clocked(thresholdMs = 20_000) {
  let now = 1_000_000;
  const changes: StateChange[] = [];
  const health = new DeliveryHealth(thresholdMs, (change) => changes.push(change), () => now);
  return { health, changes, advance: (ms: number) => (now += ms) };
}

describe("DeliveryHealth", () => {
  test("429s among accepted batches say rate_limited once, delivering only after a quiet window", () => {
    const { health, changes, advance } = clocked();
    health.answered(202);
    for (let i = 0; i < 10; i++) {
      health.answered(429);
      advance(1_000);
      health.answered(202);
      advance(1_000);
    }
    assert.deepEqual(changes.map((change) => change.state), ["delivering", "rate_limited"]);
    advance(RATE_LIMIT_QUIET_MS);
    health.answered(202);
    assert.deepEqual(changes.map((change) => change.state), [
      "delivering",
      "rate_limited",
      "delivering",
    ]);
  });

  test("503 after the threshold without a good answer, with the reason; 200 at the next one", () => {
    const { health, changes, advance } = clocked(20_000);
    health.answered(202);
    health.attemptStarted();
    health.answered(503);
    advance(20_000);
    assert.equal(health.check().healthy, true, "at the threshold, still healthy");
    advance(1_000);
    assert.deepEqual(health.check(), {
      healthy: false,
      reason: "server answered HTTP 503 (no good answer for 21 s)",
    });
    health.answered(401);
    assert.equal(changes.at(-1)?.state, "refused");
    health.answered(202);
    assert.deepEqual(health.check(), { healthy: true, reason: "delivering" });
    assert.equal(changes.at(-1)?.state, "delivering");
  });

  test("a request that never gets an answer counts from when it left", () => {
    const { health, advance } = clocked(5_000);
    health.attemptStarted();
    advance(6_000);
    assert.equal(health.check().healthy, false);
    assert.match(health.check().reason, /^no answer from the server \(no good answer for 6 s\)$/);
  });

  test("batches answered 404 (no such route: a wrong base URL) turn /healthz 503 after the threshold", () => {
    const { health, changes, advance } = clocked(20_000);
    health.answered(202);
    for (let i = 0; i < 30; i++) {
      health.attemptStarted();
      health.answered(404);
      advance(1_000);
    }
    assert.equal(health.check().healthy, false);
    assert.match(health.check().reason, /HTTP 404/);
    assert.deepEqual(changes.map((change) => change.state), ["delivering", "refused"]);
    // A 422 or a 409 is about one batch (the client splits or explains it): no change of state.
    health.answered(202);
    health.answered(422);
    health.answered(409);
    assert.equal(changes.at(-1)?.state, "delivering");
    assert.equal(health.check().healthy, true);
  });

  test("a login's success clears the clock but does not say delivering", () => {
    const { health, changes } = clocked();
    health.attemptStarted();
    health.answered(200, false);
    assert.deepEqual(changes, []);
    assert.equal(health.check().healthy, true);
  });
});

describe("Prometheus text", () => {
  test("HELP, TYPE and samples, with label values escaped", () => {
    const text = prometheusText([
      { name: "a_total", help: "lines\nread", type: "counter", samples: [{ value: 3 }] },
      {
        name: "lag",
        help: "lag",
        type: "gauge",
        samples: [{ labels: { path: 'C:\\x "y"\nz' }, value: Infinity }],
      },
    ]);
    assert.equal(
      text,
      "# HELP a_total lines\\nread\n# TYPE a_total counter\na_total 3\n" +
        '# HELP lag lag\n# TYPE lag gauge\nlag{path="C:\\\\x \\"y\\"\\nz"} +Inf\n',
    );
    assert.throws(() => prometheusText([{ name: "1x", help: "", type: "gauge", samples: [] }]));
  });

  test("the endpoint: /metrics, /healthz 200 or 503, 404 elsewhere, 405 for POST", async () => {
    let healthy = true;
    const source = {
      metrics: () => [{ name: "up", help: "up", type: "gauge" as const, samples: [{ value: 1 }] }],
      health: () => ({ healthy, reason: healthy ? "delivering" : "server unreachable" }),
    };
    const at = (path: string, method = "GET") =>
      answer(new Request(`http://127.0.0.1${path}`, { method }), source);
    assert.match(await at("/metrics").text(), /^# HELP up up\n/);
    assert.match(at("/metrics").headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    assert.equal(await at("/healthz").text(), "ok: delivering\n");
    healthy = false;
    const down = at("/healthz");
    assert.equal(down.status, 503);
    assert.equal(await down.text(), "unhealthy: server unreachable\n");
    assert.equal(at("/").status, 404);
    assert.equal(at("/metrics", "POST").status, 405);
  });
});

describe("ship options", () => {
  test("defaults from the table; every problem in the flags' words", () => {
    const { settings, problems } = readShipSettings({ kind: "events" });
    assert.deepEqual(problems, []);
    assert.equal(settings.graceMs, (SHIP_DEFAULTS["grace-seconds"] as number) * 1000);
    assert.equal(settings.fromStart, true);
    assert.equal(settings.metrics, undefined);
    const bad = readShipSettings({
      kind: "logs",
      "spool-max-bytes": 10,
      concurrency: 17,
      "metrics-host": "::1",
    });
    assert.deepEqual(bad.problems, [
      '--kind must be "events" or "findings", got "logs"',
      "--spool-max-bytes must be a whole number of at least 65536, got 10",
      "--concurrency must be a whole number from 1 to 16, got 17",
      "--metrics-host needs --metrics-port N",
    ]);
  });

  test("the default state directory follows XDG, then HOME", () => {
    assert.equal(
      defaultStateDir({ XDG_STATE_HOME: "/s/", HOME: "/h" }, "events"),
      "/s/vectorvue/ship-events",
    );
    assert.equal(
      defaultStateDir({ HOME: "/h" }, "findings"),
      "/h/.local/state/vectorvue/ship-findings",
    );
    assert.equal(defaultStateDir({}, "events"), undefined);
  });
});

describe("standard input lines", () => {
  const stream = (chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
  const all = async (chunks: string[], maxLineBytes = 1024) => {
    const lines: ShipLine[] = [];
    const signal = new AbortController().signal;
    for await (const group of stdinLines(stream(chunks), { signal, maxLineBytes })) {
      lines.push(...group);
    }
    return lines.map(({ text, offset, end, tooLong }) => ({ text, offset, end, tooLong }));
  };

  test("lines across chunks keep their byte offsets; the last one needs no newline", async () => {
    assert.deepEqual(await all(['{"a":"é"}\n{"b"', ":1}\r\n\n", "tail"]), [
      { text: '{"a":"é"}', offset: 0, end: 11, tooLong: undefined },
      { text: '{"b":1}\r', offset: 11, end: 20, tooLong: undefined },
      { text: "", offset: 20, end: 21, tooLong: undefined },
      { text: "tail", offset: 21, end: 25, tooLong: undefined },
    ]);
  });

  test("a character split across reads is one character; a stop mid-line takes no part of it", async () => {
    const bytes = new TextEncoder().encode('{"a":"é€𝄞"}\n{"b":"é');
    const stop = new AbortController();
    let pull = 0;
    // One byte a read: every multi-byte character arrives split.
    const trickle = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pull < bytes.length) controller.enqueue(bytes.slice(pull, ++pull));
        else stop.abort(); // the pipe goes quiet mid-line, and a SIGTERM comes
      },
    });
    const lines: ShipLine[] = [];
    for await (const group of stdinLines(trickle, { signal: stop.signal, maxLineBytes: 64 })) {
      lines.push(...group);
    }
    assert.deepEqual(lines.map(({ text, offset, end }) => ({ text, offset, end })), [
      { text: '{"a":"é€𝄞"}', offset: 0, end: new TextEncoder().encode('{"a":"é€𝄞"}\n').length },
    ]);
  });

  test("a line over the limit is marked, not held; invalid UTF-8 has no text", async () => {
    const lines = await all([`${"x".repeat(30)}\nok\n`], 10);
    assert.deepEqual(lines[0], { text: "", offset: 0, end: 31, tooLong: true });
    assert.deepEqual(lines[1], { text: "ok", offset: 31, end: 34, tooLong: undefined });
    const stop = new AbortController();
    const bad = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([0xff, 0x0a]));
      },
    });
    const reader = stdinLines(bad, { signal: stop.signal, maxLineBytes: 10 });
    assert.equal((await reader.next()).value?.[0].text, undefined);
    // Stopped while the pipe is quiet: reading ends at once.
    const next = reader.next();
    stop.abort();
    assert.equal((await next).done, true);
  });
});

test("ShipLog writes one JSON object a line and keeps the client's per-request lines out", () => {
  const lines: string[] = [];
  const log = new ShipLog((line) => lines.push(line), () => new Date(0));
  log.log("warn", "unavailable", "server unavailable", { reason: new Error("refused") });
  const client = log.clientLogger();
  client.warn("vectorvue request retrying", { status: 503 });
  client.info("vectorvue login", { username: "operator" });
  assert.deepEqual(lines.map((line) => JSON.parse(line)), [
    {
      time: "1970-01-01T00:00:00.000Z",
      level: "warn",
      event: "unavailable",
      msg: "server unavailable",
      reason: "refused",
    },
    {
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      event: "client",
      msg: "vectorvue login",
      username: "operator",
    },
  ]);
});
