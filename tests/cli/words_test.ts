// The command line in its own words: every message names the flag or variable the user sets,
// every problem of the arguments and the environment comes in one pass, HTTP failures read as
// curl would print them. Child processes against the emulator, as a user runs it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { inCliWords } from "../../cli/words.ts";
import { describeMessage } from "../../cli/errors.ts";
import { runCli, startCli, withTarget, writeEvents } from "./_cli.ts";

const isDeno = typeof Deno !== "undefined";

/** Library option names a user never types. */
const LIBRARY_WORDS =
  /\b(baseUrl|tenantId|maxBatchSize|requireHttps|caCerts|timeoutMs|verifyTls|VectorVue\w*Error)\b/;

describe("CLI words for library problems", () => {
  test("an option is named by the flag or variable that set it, else by its variable", () => {
    const sources = new Map([["maxBatchSize", "--batch-size"]] as const);
    assert.equal(
      inCliWords("maxBatchSize must be at most 1000 (the server's hard limit), got 5000", sources),
      "--batch-size must be at most 1000 (the server's hard limit), got 5000",
    );
    assert.equal(
      inCliWords("maxBatchSize must be a positive integer, got 0", new Map()),
      "VECTORVUE_MAX_BATCH_SIZE must be a positive integer, got 0",
    );
    assert.equal(
      inCliWords(
        "the token is for tenant a, not the configured tenantId b",
        new Map([["tenantId", "--tenant-id"]]),
      ),
      "the token is for tenant a, not the configured --tenant-id b",
    );
    assert.equal(
      inCliWords(
        "baseUrl must use https (got http://h); set requireHttps: false only for a trusted local test server",
        new Map([["baseUrl", "--base-url"]]),
      ),
      "--base-url must be an https:// URL (got http://h); for a trusted test server on your own " +
        "machine only, VECTORVUE_REQUIRE_HTTPS=false allows http://",
    );
  });

  test("an HTTP failure reads HTTP 401: reason; a TLS failure names --ca-cert", () => {
    assert.equal(
      describeMessage(
        "POST https://h/api/v1/client/auth/login failed with 401 unauthorized after 2 retries: " +
          "Invalid credentials (request_id 1234)",
      ),
      "HTTP 401: Invalid credentials (request id 1234)",
    );
    assert.equal(
      describeMessage(
        "POST https://h/x failed after 1 attempt(s): TLS/certificate verification with https://h " +
          "failed (UnknownIssuer); if the server uses a private CA, pass it with caCerts",
      ),
      "TLS certificate verification with https://h failed (UnknownIssuer); if the server uses " +
        "a private CA, trust it with VECTORVUE_CA_CERT (or --ca-cert FILE)",
    );
  });
});

describe("vectorvue in its own words", () => {
  test("unset VECTORVUE_BASE_URL: exit 2 naming it, before any connection", async () => {
    await withTarget({}, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 10);
      const { VECTORVUE_BASE_URL: _, ...env } = target.env;
      const run = await runCli(["send", input, "--kind", "events"], { env });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /no server given: set VECTORVUE_BASE_URL \(or --base-url URL\)/);
      assert.equal(target.emulator.requests.length, 0);
    });
  });

  test("argument and configuration problems in one pass: --timeout-seconds abc --bogus --batch-size 0", async () => {
    await withTarget({}, async (target, dir) => {
      const input = join(dir, "f");
      writeEvents(input, 10);
      const run = await runCli(
        [
          "send",
          input,
          "--kind",
          "events",
          "--timeout-seconds",
          "abc",
          "--bogus",
          "--batch-size",
          "0",
        ],
        { env: target.env },
      );
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /unknown option --bogus/);
      assert.match(run.stderr, /--timeout-seconds must be a positive number of seconds, got "abc"/);
      assert.match(run.stderr, /--batch-size must be a positive integer, got 0/);
      assert.doesNotMatch(run.stderr, LIBRARY_WORDS);
      const big = await runCli(["send", input, "--kind", "events", "--batch-size", "5000"], {
        env: target.env,
      });
      assert.equal(big.code, 2, big.stderr);
      assert.match(
        big.stderr,
        /--batch-size must be at most 1000 \(the server's hard limit\), got 5000/,
      );
      assert.doesNotMatch(big.stderr, LIBRARY_WORDS);
      assert.equal(target.emulator.requests.length, 0);
    });
  });

  test("emulator: an unknown flag and a bad value in one pass", async () => {
    const run = await runCli(["emulator", "--bogus", "--rate-limit", "fast"]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /unknown option --bogus/);
    assert.match(run.stderr, /--rate-limit must be REQUESTS\/SECONDS such as 20\/5, got "fast"/);
  });

  test("seven bad VECTORVUE_* values are reported together, each by its variable", async () => {
    await withTarget({}, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 10);
      const run = await runCli(["send", input, "--kind", "events"], {
        env: {
          ...target.env,
          VECTORVUE_TENANT_ID: "not-a-uuid",
          VECTORVUE_MAX_BATCH_SIZE: "2000",
          VECTORVUE_TIMEOUT_SECONDS: "soon",
          VECTORVUE_VERIFY_TLS: "maybe",
          VECTORVUE_MAX_RETRIES: "-1",
          VECTORVUE_RATE_LIMIT: "fast",
          VECTORVUE_HTTP2: "perhaps",
        },
      });
      assert.equal(run.code, 2, run.stderr);
      for (
        const name of [
          "TENANT_ID",
          "MAX_BATCH_SIZE",
          "TIMEOUT_SECONDS",
          "VERIFY_TLS",
          "MAX_RETRIES",
          "RATE_LIMIT",
          "HTTP2",
        ]
      ) {
        assert.match(run.stderr, new RegExp(`^vectorvue send: VECTORVUE_${name} must be `, "m"));
      }
      assert.doesNotMatch(run.stderr, LIBRARY_WORDS);
      // A bad tenant id is not also "missing".
      assert.doesNotMatch(run.stderr, /credentials/);
      assert.equal(target.emulator.requests.length, 0);
    });
  });

  test("missing credentials are named by the variables and flags that give them", async () => {
    await withTarget({}, async (target) => {
      const { VECTORVUE_PASSWORD: _, VECTORVUE_TENANT_ID: __, ...env } = target.env;
      const run = await runCli(["whoami"], { env });
      assert.equal(run.code, 2, run.stderr);
      assert.match(
        run.stderr,
        /missing credentials: to log in, also set VECTORVUE_PASSWORD \(or --password-file FILE\) and VECTORVUE_TENANT_ID \(or --tenant-id ID\); or set VECTORVUE_TOKEN \(or --token-file FILE\) instead/,
      );
      assert.doesNotMatch(run.stderr, /USERNAME/);
      assert.doesNotMatch(run.stderr, LIBRARY_WORDS);
    });
  });

  test("http://, a wrong password and an unknown CA, each in the command line's terms", async () => {
    await withTarget({}, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 10);
      const plain = await runCli(["whoami", "--base-url", target.url.replace("https:", "http:")], {
        env: target.env,
      });
      assert.equal(plain.code, 2, plain.stderr);
      assert.match(
        plain.stderr,
        /--base-url must be an https:\/\/ URL \(got http:.*\); .*VECTORVUE_REQUIRE_HTTPS=false allows http:\/\//,
      );
      assert.doesNotMatch(plain.stderr, LIBRARY_WORDS);

      const wrong = { ...target.env, VECTORVUE_PASSWORD: "not-the-password" };
      const send = await runCli(["send", input, "--kind", "events"], { env: wrong });
      assert.equal(send.code, 2, send.stderr);
      assert.match(
        send.stderr,
        /^vectorvue send: cannot log in: HTTP 401: Invalid credentials \(request id [0-9a-f-]{36}\)$/m,
      );
      assert.doesNotMatch(send.stderr, LIBRARY_WORDS);
      const verbose = await runCli(["whoami", "--verbose"], { env: wrong });
      assert.equal(verbose.code, 1);
      assert.match(verbose.stderr, /VectorVueAuthError: POST \S+ failed with 401/);

      const { VECTORVUE_CA_CERT: _, ...untrusted } = target.env;
      const tls = await runCli(["whoami"], { env: { ...untrusted, VECTORVUE_MAX_RETRIES: "0" } });
      assert.equal(tls.code, 1, tls.stderr);
      assert.match(
        tls.stderr,
        /TLS certificate verification with .* failed .*; if the server uses a private CA, trust it with VECTORVUE_CA_CERT \(or --ca-cert FILE\)/,
      );
      assert.doesNotMatch(tls.stderr, LIBRARY_WORDS);
    });
  });

  test("a variable Deno's --allow-env hides is named as unreadable, not skipped", {
    skip: !isDeno && "Deno permissions",
  }, async () => {
    await withTarget({}, async (target) => {
      const granted = [
        "VECTORVUE_BASE_URL",
        "VECTORVUE_USERNAME",
        "VECTORVUE_PASSWORD",
        "VECTORVUE_TENANT_ID",
      ];
      const run = await startCli(["whoami"], {
        env: target.env,
        wrap: (argv) =>
          argv.flatMap((arg) =>
            arg === "-A"
              ? ["--allow-net", "--allow-read", `--allow-env=${granted.join(",")}`]
              : [arg]
          ),
      }).done;
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /VECTORVUE_CA_CERT.* cannot be read: Deno's --allow-env does not/);
      assert.match(run.stderr, /run Deno with --allow-env=VECTORVUE_\* \(or --allow-env\)/);
      assert.equal(target.emulator.requests.length, 0);
    });
  });
});
