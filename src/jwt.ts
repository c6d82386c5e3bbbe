/**
 * Reading (not verifying) the claims of the bearer JWT: the client needs
 * `tenant_id` to check tenant isolation and `exp` to renew in time. The
 * server verifies the signature; the client has no key to do so.
 *
 * @module
 */

/** The claims the client looks at. Others are kept as they are. */
export interface JwtClaims {
  readonly tenant_id?: unknown;
  readonly exp?: unknown;
  readonly sub?: unknown;
  readonly [claim: string]: unknown;
}

function base64UrlDecode(segment: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return undefined;
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  try {
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * The payload of a compact JWS (`header.payload.signature`), or `undefined`
 * when the token is not one or its payload is not a JSON object.
 */
export function readJwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  const bytes = base64UrlDecode(parts[1]);
  if (!bytes) return undefined;
  try {
    const payload: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return undefined;
    return payload as JwtClaims;
  } catch {
    return undefined;
  }
}

/** The largest magnitude a `Date` can hold, in ms. */
const MAX_DATE_MS = 8.64e15;

/** A NumericDate claim in ms, clamped to Date's range so hostile values cannot make date arithmetic throw. */
function claimMs(value: unknown): number | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  return Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, value * 1000));
}

/** What the client needs from a token, checked. */
export interface TokenInfo {
  /** The `tenant_id` claim. */
  readonly tenantId: string;
  /** Expiry in ms since the epoch, or `undefined` when the token has no `exp`. */
  readonly expiresAtMs: number | undefined;
  /** Issue time (`iat`) in ms since the epoch, or `undefined`. */
  readonly issuedAtMs: number | undefined;
}

/**
 * Checks a token's claims against the configured tenant. Returns the problem
 * as a sentence (never containing the token), or the token's facts.
 */
export function inspectToken(
  token: string,
  expectedTenantId: string | undefined,
): TokenInfo | string {
  const claims = readJwtClaims(token);
  if (!claims) return "the token is not a JWT with a JSON payload";
  const tenantId = claims.tenant_id;
  if (typeof tenantId !== "string" || tenantId === "") {
    return "the token has no tenant_id claim, which VectorVue requires";
  }
  if (expectedTenantId !== undefined && tenantId.toLowerCase() !== expectedTenantId.toLowerCase()) {
    return `the token is for tenant ${tenantId}, not the configured tenantId ${expectedTenantId}`;
  }
  return {
    tenantId,
    expiresAtMs: claimMs(claims.exp),
    issuedAtMs: claimMs(claims.iat),
  };
}
