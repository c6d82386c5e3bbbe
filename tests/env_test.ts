import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { resolveConfig, UNREADABLE_VARIABLES } from "../src/config.ts";
import { configFromEnv, ENV_VARIABLES } from "../src/env.ts";
import { VECTORVUE_OPTIONS } from "../src/options.ts";
import { VectorVueConfigError } from "../src/errors.ts";
import { TENANT } from "./_fixtures.ts";

const CA_PEM = readFileSync(new URL("./fixtures/ca.pem", import.meta.url), "utf8");
const PASSWORD = "env-Pa55-lynx-6610";
const SIGNATURE_SECRET = "env-sig-secret-kiwi-2291";
const RESPONSE_KEY = "env-resp-key-otter-5128";
// A JWT for TENANT; its signature segment is distinctive so a leak is visible.
const TOKEN = "eyJhbGciOiJIUzI1NiJ9." +
  "eyJ0ZW5hbnRfaWQiOiIxMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDEifQ." +
  "envTokSig-badger-3307";
const SECRETS = [PASSWORD, SIGNATURE_SECRET, RESPONSE_KEY, TOKEN, "envTokSig-badger-3307"];

/** Runs `body` with a fresh temporary directory, removed afterwards. */
function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "vectorvue-env-test-"));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  let caught: unknown;
  try {
    configFromEnv(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof VectorVueConfigError, `expected VectorVueConfigError, got ${caught}`);
  assert.equal(caught.name, "VectorVueConfigError");
  assert.match(caught.message, /^Invalid VectorVue configuration: /);
  for (const problem of caught.problems) assert.ok(caught.message.includes(problem));
  return caught.problems;
}

describe("configFromEnv()", () => {
  test("configFromEnv() reads every variable: seconds to ms, booleans, integers, the CA file", () => {
    withTempDir((dir) => {
      const caPath = join(dir, "ca.pem");
      writeFileSync(caPath, CA_PEM);
      const config = configFromEnv({
        VECTORVUE_BASE_URL: "https://vectorvue.internal/proxy",
        VECTORVUE_USERNAME: "operator",
        VECTORVUE_PASSWORD: PASSWORD,
        VECTORVUE_TENANT_ID: TENANT,
        VECTORVUE_TOKEN: TOKEN,
        VECTORVUE_TIMEOUT_SECONDS: "2.5",
        VECTORVUE_VERIFY_TLS: "true",
        VECTORVUE_CA_CERT: caPath,
        VECTORVUE_SIGNATURE_SECRET: SIGNATURE_SECRET,
        VECTORVUE_RESPONSE_SIGNING_KEY: RESPONSE_KEY,
        VECTORVUE_MAX_RETRIES: "5",
        VECTORVUE_BACKOFF_SECONDS: "0.25",
        VECTORVUE_MAX_BATCH_SIZE: "50",
        VECTORVUE_REQUIRE_HTTPS: "no",
        UNRELATED: "ignored",
      });
      assert.deepEqual({ ...config }, {
        baseUrl: "https://vectorvue.internal/proxy",
        username: "operator",
        password: PASSWORD,
        tenantId: TENANT,
        token: TOKEN,
        signatureSecret: SIGNATURE_SECRET,
        responseSigningKey: RESPONSE_KEY,
        timeoutMs: 2_500,
        backoffMs: 250,
        maxRetries: 5,
        maxBatchSize: 50,
        verifyTls: true,
        requireHttps: false,
        caCerts: [CA_PEM],
      });
    });
  });

  test("configFromEnv() output is a valid client config", () => {
    const config = configFromEnv({ VECTORVUE_TOKEN: TOKEN, VECTORVUE_TIMEOUT_SECONDS: "3" });
    const resolved = resolveConfig(config);
    assert.equal(resolved.timeoutMs, 3_000);
    assert.equal(resolved.token, TOKEN);
  });

  test("configFromEnv() rounds seconds to whole milliseconds and trims values", () => {
    const config = configFromEnv({
      VECTORVUE_TIMEOUT_SECONDS: " 0.0015 ",
      VECTORVUE_BACKOFF_SECONDS: "1",
      VECTORVUE_USERNAME: "  operator\n",
    });
    assert.equal(config.timeoutMs, 2);
    assert.equal(config.backoffMs, 1_000);
    assert.equal(config.username, "operator");
  });

  test("configFromEnv() reads VECTORVUE_RATE_LIMIT as <requests>/<seconds> or off, and the wait in seconds", () => {
    assert.deepEqual(configFromEnv({ VECTORVUE_RATE_LIMIT: "20/5" }).rateLimit, {
      requests: 20,
      windowMs: 5_000,
    });
    assert.equal(configFromEnv({ VECTORVUE_RATE_LIMIT: "off" }).rateLimit, false);
    assert.equal(
      configFromEnv({ VECTORVUE_RATE_LIMIT_WAIT_SECONDS: "300" }).rateLimitWaitMs,
      300_000,
    );
    assert.throws(() => configFromEnv({ VECTORVUE_RATE_LIMIT: "240 per minute" }), {
      name: "VectorVueConfigError",
      message: /VECTORVUE_RATE_LIMIT must be <requests>\/<window seconds>.*"240 per minute"/,
    });
  });

  test("configFromEnv() reads 1/true/yes/on and 0/false/no/off in any case", () => {
    for (const value of ["1", "true", "TRUE", "Yes", "on"]) {
      assert.equal(configFromEnv({ VECTORVUE_VERIFY_TLS: value }).verifyTls, true, value);
    }
    for (const value of ["0", "false", "False", "NO", "off"]) {
      assert.equal(configFromEnv({ VECTORVUE_REQUIRE_HTTPS: value }).requireHttps, false, value);
    }
  });

  test("configFromEnv() ignores unset, empty and blank variables so the defaults apply", () => {
    const config = configFromEnv({
      VECTORVUE_BASE_URL: "",
      VECTORVUE_PASSWORD: "   ",
      VECTORVUE_TOKEN: undefined,
      VECTORVUE_TIMEOUT_SECONDS: "",
      VECTORVUE_VERIFY_TLS: " ",
      VECTORVUE_CA_CERT: "",
      VECTORVUE_MAX_RETRIES: "",
    });
    assert.deepEqual({ ...config }, {});
    assert.deepEqual({ ...configFromEnv({}) }, {});
  });

  test("configFromEnv() reports every malformed value together in one VectorVueConfigError", () => {
    const problems = problemsOf({
      VECTORVUE_TIMEOUT_SECONDS: "ten",
      VECTORVUE_BACKOFF_SECONDS: "Infinity",
      VECTORVUE_MAX_RETRIES: "-1",
      VECTORVUE_MAX_BATCH_SIZE: "2.5",
      VECTORVUE_VERIFY_TLS: "maybe",
      VECTORVUE_REQUIRE_HTTPS: "sure",
    });
    assert.deepEqual(problems, [
      'VECTORVUE_TIMEOUT_SECONDS must be a number of seconds, got "ten"',
      'VECTORVUE_VERIFY_TLS must be true or false, got "maybe"',
      'VECTORVUE_MAX_RETRIES must be a whole number, got "-1"',
      'VECTORVUE_BACKOFF_SECONDS must be a number of seconds, got "Infinity"',
      'VECTORVUE_MAX_BATCH_SIZE must be a whole number, got "2.5"',
      'VECTORVUE_REQUIRE_HTTPS must be true or false, got "sure"',
    ]);
  });

  test("configFromEnv() judges each value by its option's rule in the same round, naming the variable", () => {
    // Seven bad values: the tenant id and the batch size used to wait for a second round.
    const problems = problemsOf({
      VECTORVUE_TENANT_ID: "not-a-uuid",
      VECTORVUE_MAX_BATCH_SIZE: "2000",
      VECTORVUE_TIMEOUT_SECONDS: "-5",
      VECTORVUE_MAX_CONNECTIONS: "0",
      VECTORVUE_VERIFY_TLS: "maybe",
      VECTORVUE_RATE_LIMIT: "fast",
      VECTORVUE_MAX_RETRIES: "x",
    });
    assert.deepEqual(problems, [
      `VECTORVUE_TENANT_ID must be a UUID (VectorVue's tenant ids are UUIDs), got "not-a-uuid"`,
      'VECTORVUE_TIMEOUT_SECONDS must be a positive number, got "-5"',
      'VECTORVUE_VERIFY_TLS must be true or false, got "maybe"',
      'VECTORVUE_MAX_CONNECTIONS must be a positive integer, got "0"',
      'VECTORVUE_MAX_RETRIES must be a whole number, got "x"',
      `VECTORVUE_MAX_BATCH_SIZE must be at most 1000 (the server's hard limit), got "2000"`,
      'VECTORVUE_RATE_LIMIT must be <requests>/<window seconds> (such as 240/60) or off, got "fast"',
    ]);
  });

  test("configFromEnv() reports a missing CA file with its path", () => {
    withTempDir((dir) => {
      const missing = join(dir, "does-not-exist.pem");
      const problems = problemsOf({ VECTORVUE_CA_CERT: missing, VECTORVUE_MAX_RETRIES: "x" });
      assert.equal(problems.length, 2);
      assert.ok(
        problems.some((problem) =>
          problem.startsWith(`VECTORVUE_CA_CERT (${missing}) cannot be read: `)
        ),
        JSON.stringify(problems),
      );
    });
  });

  test("configFromEnv() reports a CA file that holds no PEM certificate", () => {
    withTempDir((dir) => {
      const path = join(dir, "not-a-cert.txt");
      writeFileSync(path, "hello\n");
      assert.deepEqual(problemsOf({ VECTORVUE_CA_CERT: path }), [
        `VECTORVUE_CA_CERT (${path}) holds no PEM certificate`,
      ]);
    });
  });

  test("configFromEnv() result prints with password, token and secrets redacted", () => {
    const config = configFromEnv({
      VECTORVUE_USERNAME: "operator",
      VECTORVUE_PASSWORD: PASSWORD,
      VECTORVUE_TENANT_ID: TENANT,
      VECTORVUE_TOKEN: TOKEN,
      VECTORVUE_SIGNATURE_SECRET: SIGNATURE_SECRET,
      VECTORVUE_RESPONSE_SIGNING_KEY: RESPONSE_KEY,
    });
    assert.equal(config.password, PASSWORD, "the value itself stays usable");
    const printed = [
      JSON.stringify(config),
      inspect(config),
      inspect({ nested: { config } }, { depth: 10 }),
      typeof Deno !== "undefined" ? Deno.inspect(config) : "[REDACTED]",
    ];
    for (const text of printed) {
      assert.match(text, /\[REDACTED\]/);
      for (const secret of SECRETS) {
        assert.ok(!text.includes(secret), `"${secret}" leaked into: ${text}`);
      }
    }
    assert.match(printed[0], /"username":"operator"/);
  });

  test("ENV_VARIABLES maps every variable the design note names to its option", () => {
    // The design note's variables (a spec, not a copy of the option table).
    const designNote: Record<string, string> = {
      VECTORVUE_BASE_URL: "baseUrl",
      VECTORVUE_USERNAME: "username",
      VECTORVUE_PASSWORD: "password",
      VECTORVUE_TENANT_ID: "tenantId",
      VECTORVUE_TOKEN: "token",
      VECTORVUE_TIMEOUT_SECONDS: "timeoutMs",
      VECTORVUE_VERIFY_TLS: "verifyTls",
      VECTORVUE_CA_CERT: "caCerts",
      VECTORVUE_SIGNATURE_SECRET: "signatureSecret",
      VECTORVUE_MAX_RETRIES: "maxRetries",
      VECTORVUE_BACKOFF_SECONDS: "backoffMs",
    };
    for (const [variable, option] of Object.entries(designNote)) {
      assert.equal(ENV_VARIABLES[variable], option, variable);
    }
  });

  test("ENV_VARIABLES is the option table's: each variable names its option, seconds for durations", () => {
    const rows = VECTORVUE_OPTIONS.filter((row) => row.env !== undefined);
    assert.deepEqual(Object.keys(ENV_VARIABLES).sort(), rows.map((row) => row.env!).sort());
    for (const row of rows) {
      assert.equal(ENV_VARIABLES[row.env!], row.name);
      const words = row.name.replace(/Ms$/, "").replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .toUpperCase();
      const unit = row.envUnit === "seconds" ? "_SECONDS" : "";
      // `caCerts` is one file: VECTORVUE_CA_CERT.
      const expected = row.name === "caCerts" ? "VECTORVUE_CA_CERT" : `VECTORVUE_${words}${unit}`;
      assert.equal(row.env, expected, `${row.name}'s variable`);
      if (row.name.endsWith("Ms")) assert.equal(row.envUnit, "seconds", `${row.name} in seconds`);
    }
  });

  test("configFromEnv() reports a VECTORVUE_* variable that misspells a known one, with a did-you-mean", () => {
    const problems = problemsOf({
      VECTORVUE_TOKEN: TOKEN,
      VECTORVUE_BASEURL: "https://vectorvue.internal",
      VECTORVUE_TIMEOUT: "5",
      VECTORVUE_QA_LIVE: "1",
      VECTORVUE_SOMETHING_ELSE_ENTIRELY: "x",
      // Another tool's variables: close to ours only by the shared prefix.
      VECTORVUE_HOME: "/opt/vectorvue",
      VECTORVUE_MAX: "1",
      VECTORVUE_TOKEN_FILE: "/run/secrets/token",
    });
    assert.deepEqual(problems, [
      'unknown variable "VECTORVUE_BASEURL" (did you mean "VECTORVUE_BASE_URL"?)',
      'unknown variable "VECTORVUE_TIMEOUT" (did you mean "VECTORVUE_TIMEOUT_SECONDS"?)',
    ]);
  });

  test("a client from a configFromEnv() result that could not read some variables names them and the flag", () => {
    const config = { [UNREADABLE_VARIABLES]: ["VECTORVUE_USERNAME", "VECTORVUE_PASSWORD"] };
    assert.throws(() => resolveConfig(config), (error: unknown) => {
      assert.ok(error instanceof VectorVueConfigError);
      assert.deepEqual(error.problems, [
        "give either token, or all of username, password and tenantId; VECTORVUE_USERNAME, " +
        "VECTORVUE_PASSWORD could not be read: run Deno with " +
        "--allow-env=VECTORVUE_USERNAME,VECTORVUE_PASSWORD (or --allow-env)",
      ]);
      return true;
    });
    // Given what it needs another way, the unreadable variables are no problem.
    assert.equal(resolveConfig({ ...config, token: TOKEN }).token, TOKEN);
    assert.throws(
      () => resolveConfig({ token: TOKEN, [UNREADABLE_VARIABLES]: ["VECTORVUE_BASE_URL"] }),
      /baseUrl is not set; VECTORVUE_BASE_URL could not be read: run Deno with --allow-env=VECTORVUE_BASE_URL/,
    );
  });

  test(
    "configFromEnv() in Deno with --allow-env for some variables reads those and names the others",
    {
      skip: typeof Deno === "undefined" ? "runs a Deno subprocess" : false,
    },
    () => {
      withTempDir((dir) => {
        const script = join(dir, "env_probe.ts");
        const mod = new URL("../mod.ts", import.meta.url).href;
        writeFileSync(
          script,
          `import { configFromEnv, VectorVueClient } from ${JSON.stringify(mod)};
const config = configFromEnv();
console.log(JSON.stringify({ baseUrl: config.baseUrl, hasToken: config.token !== undefined }));
try {
  new VectorVueClient(config);
  console.log("client ok");
} catch (error) {
  console.log(error.message);
}
`,
        );
        const run = (allow: string, env: Record<string, string>) => {
          const out = spawnSync(
            Deno.execPath(),
            ["run", "--quiet", "--no-check", "--allow-read", `--allow-env=${allow}`, script],
            { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" },
          );
          assert.equal(out.status, 0, out.stderr);
          return out.stdout.trim().split("\n");
        };
        // Only the two it needs are allowed: they are read, the rest count as unset.
        assert.deepEqual(
          run("VECTORVUE_BASE_URL,VECTORVUE_TOKEN", {
            VECTORVUE_BASE_URL: "https://vectorvue.internal",
            VECTORVUE_TOKEN: TOKEN,
          }),
          ['{"baseUrl":"https://vectorvue.internal","hasToken":true}', "client ok"],
        );
        // Login credentials set but not allowed: the error names them and the flag.
        const lines = run("VECTORVUE_BASE_URL,VECTORVUE_TOKEN", {
          VECTORVUE_BASE_URL: "https://vectorvue.internal",
          VECTORVUE_USERNAME: "operator",
          VECTORVUE_PASSWORD: PASSWORD,
          VECTORVUE_TENANT_ID: TENANT,
        });
        assert.equal(lines[0], '{"baseUrl":"https://vectorvue.internal","hasToken":false}');
        assert.match(lines[1], /give either token, or all of username, password and tenantId; /);
        assert.match(
          lines[1],
          /VECTORVUE_USERNAME, VECTORVUE_PASSWORD, VECTORVUE_TENANT_ID could not be read: run Deno with --allow-env=VECTORVUE_USERNAME,VECTORVUE_PASSWORD,VECTORVUE_TENANT_ID/,
        );
        assert.ok(!lines.join("\n").includes(PASSWORD));
      });
    },
  );
});
