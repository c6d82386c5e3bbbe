// `deno task qa`, the project's main job. Deno-only: it is a Deno script.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { liveWriteNotice, missingLiveVariables, QA_TAG, runQa } from "../cli/qa.ts";
import { createVectorVueEmulator, type EmulatorOptions } from "../src/testing/mod.ts";

const fixtureUrl = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const fixture = (name: string) => readFileSync(fixtureUrl(name), "utf8");
const SUMMARY =
  "QA_SMOKE login_ok=true event_status=accepted finding_status=accepted status_poll=accepted batch_status=partial";

async function serve(options: EmulatorOptions = {}) {
  const emulator = createVectorVueEmulator(options);
  const server = await emulator.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: fixture("server.pem"),
    key: fixture("server-key.pem"),
  });
  return { emulator, server };
}

describe("qa smoke run", { skip: typeof Deno === "undefined" }, () => {
  test("runQa() passes every step against the emulator and prints the summary line", async () => {
    const { emulator, server } = await serve();
    const lines: string[] = [];
    try {
      const report = await runQa(
        { baseUrl: server.url, ...emulator.defaults, caCerts: [fixture("ca.pem")] },
        (line) => lines.push(line),
      );
      assert.equal(report.ok, true);
      assert.equal(report.summary, SUMMARY);
      assert.equal(lines.at(-1), SUMMARY);
      assert.deepEqual(report.steps.map((s) => s.step), [
        "login",
        "event",
        "finding",
        "status_poll",
        "batch",
      ]);
      assert.match(
        lines[1],
        /^step=event endpoint="POST \/api\/v1\/integrations\/spectrastrike\/events" status=accepted request_id=[0-9a-f-]{36} retries=0 ms=\d+$/,
      );
      assert.equal(emulator.events().length, 2);
      assert.equal(emulator.findings().length, 1);
    } finally {
      await server.close();
    }
  });

  test("runQa() tags everything it stores with the QA tag and its run id", async () => {
    const { emulator, server } = await serve();
    const runId = "6f1c2a4e-0000-4000-8000-00000000qa01";
    try {
      const report = await runQa(
        { baseUrl: server.url, ...emulator.defaults, caCerts: [fixture("ca.pem")] },
        () => {},
        runId,
      );
      assert.equal(report.ok, true);
      const stored = [
        ...emulator.events().map((e) => ({ id: e.event_id, ...e })),
        ...emulator.findings().map((f) => ({ id: f.finding_id, ...f })),
      ];
      assert.equal(stored.length, 3);
      for (const item of stored) {
        assert.equal(item.asset_ref, QA_TAG);
        assert.deepEqual(item.metadata, { qa_tag: QA_TAG, qa_run: runId });
        assert.ok(item.id.startsWith(`${QA_TAG}:${runId}:`), item.id);
      }
      assert.deepEqual(stored.map((item) => item.id).sort(), [
        `${QA_TAG}:${runId}:batch-event`,
        `${QA_TAG}:${runId}:event`,
        `${QA_TAG}:${runId}:finding`,
      ]);
    } finally {
      await server.close();
    }
  });

  test("liveWriteNotice() names what a live run stores and how to find it", () => {
    const text = liveWriteNotice("https://vv.internal", "run-1").join("\n");
    assert.match(
      text,
      /^QA writes to the live tenant at https:\/\/vv\.internal: it stores 1 test event, 1 test finding and a\n/,
    );
    assert.match(text, /1 invalid item the server records as rejected/);
    assert.match(
      text,
      /asset_ref "vectorvue-client-qa", metadata\.qa_tag "vectorvue-client-qa", metadata\.qa_run\n {2}"run-1", ids starting "vectorvue-client-qa:run-1:"/,
    );
  });

  test("runQa() reports a failed step and is not ok", async () => {
    const { emulator, server } = await serve();
    emulator.inject({ path: /\/findings$/, status: 403, body: '{"detail":"Tenant is inactive"}' });
    const lines: string[] = [];
    try {
      const report = await runQa(
        { baseUrl: server.url, ...emulator.defaults, caCerts: [fixture("ca.pem")] },
        (line) => lines.push(line),
      );
      assert.equal(report.ok, false);
      assert.match(report.summary, /finding_status=error/);
      assert.ok(
        lines.some((line) => /step=finding .*status=error .*Tenant is inactive/.test(line)),
      );
    } finally {
      await server.close();
    }
  });

  test("missingLiveVariables() names what live mode needs", () => {
    assert.deepEqual(missingLiveVariables({}), [
      "VECTORVUE_BASE_URL",
      "VECTORVUE_TOKEN, or VECTORVUE_USERNAME, VECTORVUE_PASSWORD, VECTORVUE_TENANT_ID",
    ]);
    assert.deepEqual(
      missingLiveVariables({ VECTORVUE_BASE_URL: "https://x", VECTORVUE_USERNAME: "u" }),
      ["VECTORVUE_TOKEN, or VECTORVUE_PASSWORD, VECTORVUE_TENANT_ID"],
    );
    assert.deepEqual(
      missingLiveVariables({ VECTORVUE_BASE_URL: "https://x", VECTORVUE_TOKEN: "t" }),
      [],
    );
  });

  const script = fileURLToPath(new URL("../scripts/qa.ts", import.meta.url));
  const run = async (env: Record<string, string>) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script],
      env: { ...env, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
  };

  test("live mode without configuration exits 2 naming the missing variables", async () => {
    const result = await run({ VECTORVUE_QA_LIVE: "1" });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /VECTORVUE_QA_LIVE=1 needs: VECTORVUE_BASE_URL/);
    assert.doesNotMatch(result.stdout + result.stderr, /QA writes to the live tenant/);
  });

  test("live mode runs every step against the configured server, with a private CA and signing", async () => {
    const { emulator, server } = await serve({ signatureSecret: "qa-signing-secret" });
    try {
      const result = await run({
        VECTORVUE_QA_LIVE: "1",
        VECTORVUE_BASE_URL: server.url,
        VECTORVUE_USERNAME: emulator.defaults.username,
        VECTORVUE_PASSWORD: emulator.defaults.password,
        VECTORVUE_TENANT_ID: emulator.defaults.tenantId,
        VECTORVUE_CA_CERT: fileURLToPath(fixtureUrl("ca.pem")),
        VECTORVUE_SIGNATURE_SECRET: "qa-signing-secret",
      });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.ok(result.stdout.trimEnd().endsWith(SUMMARY));
      assert.match(result.stdout, /QA target: live server at https:\/\/127\.0\.0\.1:\d+/);
      assert.ok(!result.stdout.includes(emulator.defaults.password));
      // It says what it will store before the first write, naming the tag of this run's items.
      const lines = result.stdout.split("\n");
      const notice = lines.findIndex((line) => line.startsWith("QA writes to the live tenant at"));
      const firstWrite = lines.findIndex((line) => line.startsWith("step=event "));
      assert.ok(notice >= 0 && notice < firstWrite, result.stdout);
      const runId = /metadata\.qa_run\n\s+"([^"]+)"/.exec(result.stdout)?.[1];
      assert.ok(runId, result.stdout);
      const events = emulator.events();
      assert.equal(events.length, 2);
      for (const event of events) {
        assert.deepEqual(event.metadata, { qa_tag: QA_TAG, qa_run: runId });
      }
      assert.equal(emulator.findings()[0].metadata.qa_run, runId);
    } finally {
      await server.close();
    }
  });
});
