import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { RECENT_SECRETS, REDACTED, Scrubber, secretForms, silentLogger } from "../src/logger.ts";
import { TENANT } from "./_fixtures.ts";

const PASSWORD = "correct-horse-battery-staple";
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRfaWQiOiJ0In0.s1gnature-of-the-token";
const SECRET = "hmac-shared-secret-0451";

function scrubber(...secrets: (string | undefined)[]): Scrubber {
  const result = new Scrubber();
  for (const secret of secrets) result.add(secret);
  return result;
}

describe("Scrubber", () => {
  test("Scrubber.text() replaces every occurrence of every known secret", () => {
    const s = scrubber(PASSWORD, TOKEN);
    assert.equal(
      s.text(`login ${PASSWORD} failed; retried with ${PASSWORD} and Bearer ${TOKEN}`),
      `login ${REDACTED} failed; retried with ${REDACTED} and Bearer ${REDACTED}`,
    );
  });

  test("Scrubber.text() leaves text without secrets as it is", () => {
    assert.equal(scrubber(PASSWORD).text("nothing to hide"), "nothing to hide");
    assert.equal(
      new Scrubber().text(`no secrets known: ${PASSWORD}`),
      `no secrets known: ${PASSWORD}`,
    );
  });

  test("Scrubber.add() ignores undefined and empty strings", () => {
    const s = scrubber(undefined, "");
    assert.equal(s.text("nothing to hide"), "nothing to hide");
  });

  test("Scrubber replaces a short secret only where it stands alone", () => {
    const s = scrubber("pw1");
    assert.equal(
      s.text('{"password":"pw1"} pw1, pw10 xpw1'),
      `{"password":"${REDACTED}"} ${REDACTED}, pw10 xpw1`,
    );
  });

  test("Scrubber replaces a long secret anywhere, inside words too", () => {
    const s = scrubber("abcdefgh");
    assert.equal(s.text("xxabcdefghyy"), `xx${REDACTED}yy`);
  });

  test("Scrubber.addRecent() remembers only the last RECENT_SECRETS per-request secrets", () => {
    const s = new Scrubber();
    const signatures = Array.from(
      { length: RECENT_SECRETS + 1 },
      (_, i) => `sig-${i}-`.padEnd(64, "f"),
    );
    for (const signature of signatures) s.addRecent(signature);
    assert.equal(s.text(signatures[0]), signatures[0]);
    assert.equal(s.text(signatures[1]), REDACTED);
    assert.equal(s.text(signatures.at(-1)!), REDACTED);
  });

  test("Scrubber.value() replaces secrets in strings nested in objects and arrays", () => {
    const s = scrubber(PASSWORD, SECRET);
    const input = {
      detail: [{ loc: ["body"], msg: `bad value ${PASSWORD}`, ctx: { echo: [`x${SECRET}y`] } }],
      count: 3,
      ok: false,
      none: null,
    };
    assert.deepEqual(s.value(input), {
      detail: [{ loc: ["body"], msg: `bad value ${REDACTED}`, ctx: { echo: [`x${REDACTED}y`] } }],
      count: 3,
      ok: false,
      none: null,
    });
  });

  test("Scrubber.value() does not change its input", () => {
    const input = { message: `echo ${PASSWORD}`, nested: [PASSWORD] };
    scrubber(PASSWORD).value(input);
    assert.deepEqual(input, { message: `echo ${PASSWORD}`, nested: [PASSWORD] });
  });

  test("Scrubber.value() redacts fields whose names say secret, whatever they hold", () => {
    const input = {
      password: "unknown-to-the-scrubber",
      Authorization: "Bearer abc.def.ghi",
      access_token: "opaque",
      signatureSecret: 1234,
      "x-signature": "f872",
      signature: { algorithm: "hmac-sha256" },
      responseSigningKey: "key",
      signing_key: "key",
      client_secret: ["a", "b"],
      nested: { user: { passwd: "hunter22" } },
    };
    assert.deepEqual(new Scrubber().value(input), {
      password: REDACTED,
      Authorization: REDACTED,
      access_token: REDACTED,
      signatureSecret: REDACTED,
      "x-signature": REDACTED,
      signature: REDACTED,
      responseSigningKey: REDACTED,
      signing_key: REDACTED,
      client_secret: REDACTED,
      nested: { user: { passwd: REDACTED } },
    });
  });

  test("Scrubber.value() keeps null and undefined secret-named fields, which hide nothing", () => {
    assert.deepEqual(new Scrubber().value({ token: null, password: undefined }), {
      token: null,
      password: undefined,
    });
  });

  test("Scrubber.value() keeps ordinary log fields", () => {
    const fields = {
      endpoint: "/api/v1/integrations/spectrastrike/events",
      method: "POST",
      requestId: "req-1",
      tenantId: TENANT,
      outcome: "accepted",
      httpStatus: 202,
      attempt: 1,
      retryCount: 0,
      durationMs: 12,
      signatureState: "verified",
    };
    assert.deepEqual(scrubber(PASSWORD).fields(fields), fields);
  });

  test("Scrubber.fields() scrubs log fields like value()", () => {
    const s = scrubber(TOKEN);
    assert.deepEqual(s.fields({ message: `sent ${TOKEN}`, token: TOKEN }), {
      message: `sent ${REDACTED}`,
      token: REDACTED,
    });
  });

  test("Scrubber.value() returns primitives other than strings unchanged", () => {
    const s = scrubber(PASSWORD);
    assert.equal(s.value(42), 42);
    assert.equal(s.value(null), null);
    assert.equal(s.value(undefined), undefined);
    assert.equal(s.value(true), true);
    assert.equal(s.value(PASSWORD), REDACTED);
  });

  test("Scrubber.value() never returns a known secret, however deep it is nested", () => {
    let deep: unknown = { echo: PASSWORD };
    for (let level = 0; level < 40; level++) deep = { level: deep };
    const text = JSON.stringify(scrubber(PASSWORD).value(deep));
    assert.ok(!text.includes(PASSWORD), "a secret 41 levels down came through unscrubbed");
  });
});

describe("silentLogger", () => {
  test("silentLogger has the four methods and returns nothing", () => {
    for (const level of ["debug", "info", "warn", "error"] as const) {
      assert.equal(silentLogger[level]("message", { a: 1 }), undefined);
    }
    assert.ok(Object.isFrozen(silentLogger));
  });
});

describe("Scrubber passes over texts too short to hold a secret", () => {
  test("every form of a secret is at least as long as the secret (what the skip relies on)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), (secret) => {
        for (const form of secretForms(secret)) assert.ok(form.length >= secret.length, form);
      }),
      { numRuns: 2_000 },
    );
  });

  test("a per-request secret is still found in every form in a text long enough to hold it", () => {
    const scrubber = new Scrubber();
    const signature = "a9f0c3".repeat(10) + "&<'\"é ";
    for (let i = 0; i < RECENT_SECRETS - 1; i++) scrubber.addRecent(`older-signature-${i}`);
    scrubber.addRecent(signature);
    for (const form of secretForms(signature)) {
      assert.equal(scrubber.text(`x-echo: ${form};`), `x-echo: ${REDACTED};`, form);
    }
    // Short texts come back as they are, with or without a secret's prefix in them.
    assert.equal(scrubber.text("application/json"), "application/json");
    assert.equal(scrubber.text("a9f0c3"), "a9f0c3");
  });
});
