// `vectorvue status`, `whoami`, `qa`, `emulator` and the help of every command, as child
// processes against the emulator over HTTPS (Deno from the source, Node from the build).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { VectorVueClient } from "../../src/client.ts";
import { CA_PATH, event, runCli, serveTarget, startCli, tempDir, until } from "./_cli.ts";

const COMMANDS = ["send", "ship", "status", "whoami", "qa", "emulator"];

describe("vectorvue commands", () => {
  test("--help of every command shows usage, options and examples, exit 0", async () => {
    for (const command of COMMANDS) {
      const run = await runCli([command, "--help"]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^usage: vectorvue ${command}`));
      assert.match(run.stdout, /\noptions:\n/);
      assert.match(run.stdout.split("\nexamples:\n")[1], new RegExp(`vectorvue ${command}`));
    }
    const overview = await runCli(["--help"]);
    assert.equal(overview.code, 0);
    for (const command of COMMANDS) assert.match(overview.stdout, new RegExp(`\\n {2}${command} `));
    const unknown = await runCli(["whoamii"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "whoamii" \(did you mean whoami\?\)/);
  });

  test("status REQUEST_ID prints the ingest status; --json the record; an unknown id exits 1", async () => {
    const target = await serveTarget();
    try {
      const { username, password, tenantId } = target.emulator.defaults;
      await using client = new VectorVueClient({
        baseUrl: target.url,
        username,
        password,
        tenantId,
        caCerts: [readFileSync(CA_PATH, "utf8")],
      });
      const sent = await client.sendEventsBatch([event(1), event(2)]);
      const human = await runCli(["status", sent.requestId!], { env: target.env });
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`^request +${sent.requestId}$`, "m"));
      assert.match(human.stdout, /^status +accepted$/m);
      assert.match(human.stdout, /^items +2 total, 2 accepted, 0 failed$/m);
      const json = await runCli(["status", sent.requestId!, "--json"], { env: target.env });
      assert.equal(json.code, 0);
      assert.deepEqual(JSON.parse(json.stdout).counts, { total: 2, accepted: 2, failed: 0 });
      const unknown = await runCli(["status", crypto.randomUUID()], { env: target.env });
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /not found \(unknown, or another tenant's\)/);
      const bad = await runCli(["status", "not-a-uuid"], { env: target.env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /"not-a-uuid" is not a request id/);
    } finally {
      await target.close();
    }
  });

  test("whoami logs in and shows tenant, user, role, expiry, clock offset and signing, without the password", async () => {
    const target = await serveTarget({ signatureSecret: "cli-signing-secret-4711" });
    const { dir, remove } = tempDir();
    try {
      const { password, username, tenantId } = target.emulator.defaults;
      const secretFile = join(dir, "secret");
      writeFileSync(secretFile, "cli-signing-secret-4711\n");
      const run = await runCli(["whoami", "--signature-secret-file", secretFile], {
        env: target.env,
      });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`^tenant +${tenantId}$`, "m"));
      assert.match(run.stdout, new RegExp(`^user +${username}$`, "m"));
      assert.match(run.stdout, /^role +operator$/m);
      assert.match(run.stdout, /^token expires +\d{4}-\d\d-\d\dT.* \(in 1[12]:\d\d:\d\d\)$/m);
      assert.match(run.stdout, /^server clock +[+-]\d+ s \(fine\)$/m);
      assert.match(run.stdout, /^request signing +configured$/m);
      const json = await runCli(["whoami", "--json"], { env: target.env });
      const report = JSON.parse(json.stdout);
      assert.equal(report.tenantId, tenantId);
      assert.equal(report.tokenAccepted, true);
      assert.equal(report.requestSigning, false);
      assert.equal(typeof report.serverClockOffsetMs, "number");
      // The password comes from a file here; a wrong one is refused, and never printed.
      const passwordFile = join(dir, "password");
      writeFileSync(passwordFile, "wrong-password-0815\n");
      const refused = await runCli(["whoami", "--password-file", passwordFile], {
        env: target.env,
      });
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /Invalid credentials/);
      for (const out of [run, json, refused]) {
        assert.doesNotMatch(out.stdout + out.stderr, new RegExp(password));
        assert.doesNotMatch(out.stdout + out.stderr, /wrong-password-0815|cli-signing-secret-4711/);
      }
    } finally {
      remove();
      await target.close();
    }
  });

  test("qa runs the smoke against its own emulator and prints the QA_SMOKE line", async () => {
    const run = await runCli(["qa"]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /QA_SMOKE login_ok=true event_status=accepted finding_status=accepted status_poll=accepted batch_status=partial\n$/,
    );
    const live = await runCli(["qa"], { env: { VECTORVUE_QA_LIVE: "1" } });
    assert.equal(live.code, 2);
    assert.match(live.stderr, /VECTORVUE_QA_LIVE=1 needs: VECTORVUE_BASE_URL/);
  });

  test("emulator serves HTTPS with a fresh CA that whoami trusts, and stops on Ctrl+C", async () => {
    const { dir, remove } = tempDir();
    try {
      const ca = join(dir, "ca.pem");
      const bad = await runCli(["emulator", "--rate-limit", "20", "--no-rate-limit"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--rate-limit must be REQUESTS\/SECONDS such as 20\/5, got "20"/);
      const emulator = startCli([
        "emulator",
        "--port",
        "0",
        "--ca-out",
        ca,
        "--rate-limit",
        "20/5",
      ]);
      let url = "";
      await until(() => {
        url = /listening on (https:\/\/\S+)/.exec(emulator.output().stdout)?.[1] ?? "";
        return url !== "";
      });
      const out = emulator.output().stdout;
      assert.match(out, /^ {2}rate limiting +20 requests per 5 s$/m);
      const field = (name: string) => new RegExp(`^ {2}${name} +(\\S+)$`, "m").exec(out)![1];
      const run = await runCli(["whoami"], {
        env: {
          VECTORVUE_BASE_URL: url,
          VECTORVUE_CA_CERT: ca,
          VECTORVUE_USERNAME: field("username"),
          VECTORVUE_PASSWORD: field("password"),
          VECTORVUE_TENANT_ID: field("tenant_id"),
        },
      });
      assert.equal(run.code, 0, run.stderr);
      assert.match(readFileSync(ca, "utf8"), /^-----BEGIN CERTIFICATE-----/);
      emulator.kill("SIGINT");
      assert.equal((await emulator.done).code, 0);
    } finally {
      remove();
    }
  });
});
