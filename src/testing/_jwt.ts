// HS256 JWTs as the real server mints them (PyJWT `jwt.encode`) and the bearer guard that checks
// them (`security/tenant_auth.get_current_tenant`: PyJWT `jwt.decode(algorithms=["HS256"])`, then
// the `tenant_id` claim). Failures map to the guard's exact `detail` strings.
import { base64UrlDecode, base64UrlEncode, hmacSha256, timingSafeEqual } from "./_crypto.ts";
import { parsePythonInt, pythonStrip } from "../payloads/_python_text.ts";
import { parsePythonUuid } from "./_uuid.ts";

/** The bearer guard's 401 `detail` strings, in the order the guard checks them. */
export const BEARER_DETAIL = {
  missing: "Missing bearer token",
  invalid: "Invalid JWT",
  expired: "Token expired",
  missingTenant: "JWT is missing required tenant_id claim",
  invalidTenant: "Invalid tenant_id format",
} as const;

/** Outcome of {@linkcode checkBearer}. */
export type BearerResult =
  | { readonly ok: true; readonly tenantId: string; readonly claims: Record<string, unknown> }
  | { readonly ok: false; readonly detail: string };

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Signs `payload` as a compact HS256 JWT with header `{"alg":"HS256","typ":"JWT"}`. */
export async function signJwt(payload: Record<string, unknown>, secret: string): Promise<string> {
  const signingInput = `${base64UrlEncode('{"alg":"HS256","typ":"JWT"}')}.${
    base64UrlEncode(JSON.stringify(payload))
  }`;
  return `${signingInput}.${base64UrlEncode(await hmacSha256(secret, signingInput))}`;
}

function parseJsonObject(bytes: Uint8Array | undefined): Record<string, unknown> | undefined {
  if (bytes === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(decoder.decode(bytes));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? value as Record<string, unknown>
      : undefined;
  } catch {
    return undefined;
  }
}

// Python's `int(value)` on a JSON value; `undefined` where Python raises.
function pythonInt(value: unknown): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === "string") return parsePythonInt(value);
  return undefined;
}

// Python truthiness of a JSON value.
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object" && value !== null) return Object.keys(value).length > 0;
  return Boolean(value);
}

// Python's `str(value)` for the JSON values a claim can hold.
function pythonStr(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "True" : "False";
  return typeof value === "number" ? String(value) : JSON.stringify(value);
}

/**
 * PyJWT's `decode(token, key, algorithms=["HS256"])`: signature first, then the registered
 * claims in PyJWT's order (`iat` not in the future, `nbf`, `exp` with no leeway, `sub` a string).
 */
async function decodeJwt(
  token: string,
  secret: string,
  nowSeconds: number,
): Promise<{ claims: Record<string, unknown> } | { error: "invalid" | "expired" }> {
  const lastDot = token.lastIndexOf(".");
  const firstDot = token.indexOf(".");
  if (firstDot < 0 || firstDot === lastDot) return { error: "invalid" };
  const signingInput = token.slice(0, lastDot);
  const header = parseJsonObject(base64UrlDecode(token.slice(0, firstDot)));
  const payloadBytes = base64UrlDecode(token.slice(firstDot + 1, lastDot));
  const signature = base64UrlDecode(token.slice(lastDot + 1));
  if (header === undefined || payloadBytes === undefined || signature === undefined) {
    return { error: "invalid" };
  }
  if (header.alg !== "HS256") return { error: "invalid" };
  const expected = await hmacSha256(secret, signingInput);
  const hex = (bytes: Uint8Array) =>
    Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  if (!timingSafeEqual(hex(expected), hex(signature))) return { error: "invalid" };
  const claims = parseJsonObject(payloadBytes);
  if (claims === undefined) return { error: "invalid" };
  for (
    const [name, test] of [
      ["iat", (value: number) => value > nowSeconds],
      ["nbf", (value: number) => value > nowSeconds],
    ] as const
  ) {
    if (!Object.hasOwn(claims, name)) continue;
    const value = pythonInt(claims[name]);
    if (value === undefined || test(value)) return { error: "invalid" };
  }
  if (Object.hasOwn(claims, "exp")) {
    const exp = pythonInt(claims.exp);
    if (exp === undefined) return { error: "invalid" };
    if (exp <= nowSeconds) return { error: "expired" };
  }
  for (const name of ["sub", "jti"]) {
    if (Object.hasOwn(claims, name) && typeof claims[name] !== "string") {
      return { error: "invalid" };
    }
  }
  return { claims };
}

/**
 * The bearer guard: `Authorization` must start with `"Bearer "` (case-sensitive), the token
 * must verify, and `tenant_id` must be present and parse as a UUID. Returns the canonical
 * lowercase tenant id, or the exact 401 `detail`.
 */
export async function checkBearer(
  authorization: string | null,
  secret: string,
  nowMs: number,
): Promise<BearerResult> {
  const header = authorization ?? "";
  if (!header.startsWith("Bearer ")) return { ok: false, detail: BEARER_DETAIL.missing };
  const token = pythonStrip(header.slice("Bearer ".length));
  if (token === "") return { ok: false, detail: BEARER_DETAIL.missing };
  const decoded = await decodeJwt(token, secret, nowMs / 1000);
  if ("error" in decoded) {
    return {
      ok: false,
      detail: decoded.error === "expired" ? BEARER_DETAIL.expired : BEARER_DETAIL.invalid,
    };
  }
  const claim = decoded.claims.tenant_id;
  if (!truthy(claim)) return { ok: false, detail: BEARER_DETAIL.missingTenant };
  const tenantId = parsePythonUuid(pythonStr(claim));
  if (tenantId === undefined) return { ok: false, detail: BEARER_DETAIL.invalidTenant };
  return { ok: true, tenantId, claims: decoded.claims };
}
