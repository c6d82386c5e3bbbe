import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { inspectToken, readJwtClaims } from "../src/jwt.ts";

const TENANT = "10000000-0000-0000-0000-00000000abcd";
const HEADER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
const SIGNATURE = "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

function base64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A compact JWS whose payload segment holds exactly `payload` (any text). */
function tokenWithPayload(payload: string): string {
  return `${HEADER}.${base64Url(new TextEncoder().encode(payload))}.${SIGNATURE}`;
}

function jwt(claims: Record<string, unknown>): string {
  return tokenWithPayload(JSON.stringify(claims));
}

/** Every failure sentence is checked against the token and its parts. */
function assertNoTokenIn(message: string, token: string): void {
  assert.ok(!message.includes(token), `message contains the token: ${message}`);
  for (const part of token.split(".")) {
    if (part.length >= 8) {
      assert.ok(!message.includes(part), `message contains a token segment: ${message}`);
    }
  }
}

describe("readJwtClaims()", () => {
  test("readJwtClaims() returns the payload claims of a valid token", () => {
    const claims = { sub: "operator", tenant_id: TENANT, exp: 1_900_000_000, roles: ["ingest"] };
    assert.deepEqual(readJwtClaims(jwt(claims)), claims);
  });

  test("readJwtClaims() decodes base64url payloads that use '-' and '_'", () => {
    // "?>" and "~~~" encode to base64 with '/' and '+', which base64url spells '_' and '-'.
    const claims = { tenant_id: TENANT, note: "??>>~~~ÿÿ" };
    const token = jwt(claims);
    assert.match(token.split(".")[1], /[-_]/, "the fixture must exercise base64url characters");
    assert.deepEqual(readJwtClaims(token), claims);
  });

  test("readJwtClaims() decodes a UTF-8 payload", () => {
    assert.deepEqual(readJwtClaims(jwt({ sub: "opérateur ✓" })), { sub: "opérateur ✓" });
  });

  test("readJwtClaims() returns undefined unless the token has exactly three parts", () => {
    const payload = jwt({ tenant_id: TENANT }).split(".")[1];
    for (const token of ["", "abc", `${HEADER}.${payload}`, `${HEADER}.${payload}.sig.extra`]) {
      assert.equal(readJwtClaims(token), undefined, `"${token}" is not a compact JWS`);
    }
  });

  test("readJwtClaims() returns undefined for a payload that is not base64url", () => {
    for (const payload of ["!!!!", "eyJh+GciOiJ9", "eyJ0ZW5hbnQiOjF9=", "A"]) {
      assert.equal(readJwtClaims(`${HEADER}.${payload}.${SIGNATURE}`), undefined, payload);
    }
  });

  test("readJwtClaims() returns undefined for a payload that is not JSON or not UTF-8", () => {
    assert.equal(readJwtClaims(tokenWithPayload("not json")), undefined);
    assert.equal(readJwtClaims(tokenWithPayload('{"tenant_id":')), undefined);
    const invalidUtf8 = `${HEADER}.${base64Url(new Uint8Array([0x7b, 0xff, 0x7d]))}.${SIGNATURE}`;
    assert.equal(readJwtClaims(invalidUtf8), undefined);
  });

  test("readJwtClaims() returns undefined for a JSON payload that is not an object", () => {
    for (const payload of ['"tenant"', "42", "null", "true", `[{"tenant_id":"${TENANT}"}]`]) {
      assert.equal(readJwtClaims(tokenWithPayload(payload)), undefined, payload);
    }
  });
});

describe("inspectToken()", () => {
  test("inspectToken() returns the tenant, expiry and issue time in milliseconds", () => {
    const info = inspectToken(
      jwt({ tenant_id: TENANT, iat: 1_899_956_800, exp: 1_900_000_000 }),
      TENANT,
    );
    assert.deepEqual(info, {
      tenantId: TENANT,
      expiresAtMs: 1_900_000_000_000,
      issuedAtMs: 1_899_956_800_000,
    });
  });

  test("inspectToken() accepts any tenant when none is configured", () => {
    assert.deepEqual(inspectToken(jwt({ tenant_id: "tenant-b" }), undefined), {
      tenantId: "tenant-b",
      expiresAtMs: undefined,
      issuedAtMs: undefined,
    });
  });

  test("inspectToken() leaves expiresAtMs undefined for a missing or non-numeric exp", () => {
    for (const exp of [undefined, "1900000000", null, Number.NaN]) {
      const info = inspectToken(jwt({ tenant_id: TENANT, exp }), TENANT);
      assert.equal(typeof info, "object");
      assert.equal((info as { expiresAtMs: unknown }).expiresAtMs, undefined, String(exp));
    }
  });

  test("inspectToken() compares tenant UUIDs case-insensitively and keeps the token's spelling", () => {
    const upper = TENANT.toUpperCase();
    assert.deepEqual(inspectToken(jwt({ tenant_id: upper }), TENANT), {
      tenantId: upper,
      expiresAtMs: undefined,
      issuedAtMs: undefined,
    });
    assert.equal(typeof inspectToken(jwt({ tenant_id: TENANT }), upper), "object");
  });

  test("inspectToken() reports a token that is not a JWT, without the token", () => {
    const token = "opaque-bearer-token-9f8e7d6c5b4a";
    const problem = inspectToken(token, TENANT);
    assert.equal(typeof problem, "string");
    assert.match(problem as string, /not a JWT/);
    assertNoTokenIn(problem as string, token);
  });

  test("inspectToken() reports a missing, empty or non-string tenant_id, without the token", () => {
    for (const claims of [{ sub: "operator" }, { tenant_id: "" }, { tenant_id: 42 }]) {
      const token = jwt({ ...claims, exp: 1_900_000_000 });
      const problem = inspectToken(token, TENANT);
      assert.equal(typeof problem, "string", JSON.stringify(claims));
      assert.match(problem as string, /no tenant_id claim/);
      assertNoTokenIn(problem as string, token);
    }
  });

  test("inspectToken() reports a tenant mismatch naming both tenants, without the token", () => {
    const other = "20000000-0000-0000-0000-000000000002";
    const token = jwt({ tenant_id: other, exp: 1_900_000_000 });
    const problem = inspectToken(token, TENANT);
    assert.equal(typeof problem, "string");
    assert.match(problem as string, new RegExp(`tenant ${other}.*tenantId ${TENANT}`));
    assertNoTokenIn(problem as string, token);
  });
});
