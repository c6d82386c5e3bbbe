// `deno task qa`, the project's main job. Deno-only: it is a Deno script.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { missingLiveVariables, runQa } from "../cli/qa.ts";
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
    } finally {
      await server.close();
    }
  });
});
