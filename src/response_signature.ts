/**
 * Verifying VectorVue's response signatures: HMAC-SHA256 hex over
 * `"<path>|<tenant_id>|<signed_at>|<canonical data>"`, where the canonical
 * data is Python's `json.dumps(data, sort_keys=True, separators=(",", ":"))`.
 *
 * @module
 */

import { pythonCanonicalJson } from "./canonical_json.ts";
import type { SignatureState } from "./envelope.ts";
import { hmacHex } from "./signing.ts";

export { importHmacKey as importResponseKey } from "./signing.ts";

const encoder = new TextEncoder();

/** The status route, signed under its template path. */
const STATUS_PATH = "/api/v1/integrations/spectrastrike/ingest/status/{request_id}";

/** Routes whose signed bytes the client can rebuild from the answer. */
export const VERIFIABLE_PATHS: ReadonlySet<string> = new Set([
  "/api/v1/integrations/spectrastrike/events",
  "/api/v1/integrations/spectrastrike/events/batch",
  "/api/v1/integrations/spectrastrike/findings",
  "/api/v1/integrations/spectrastrike/findings/batch",
  STATUS_PATH,
]);

const PYDANTIC_DATETIME =
  /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Python's `str(datetime)` of a datetime that pydantic printed as JSON:
 * `2026-02-22T10:00:00.250000Z` becomes `2026-02-22 10:00:00.250000+00:00`
 * (no fraction when it is zero). Other strings are returned as they are.
 */
export function pythonStrFromJsonDatetime(value: string): string {
  const match = PYDANTIC_DATETIME.exec(value);
  if (!match) return value;
  const [, date, time, fraction, zone] = match;
  const micros = (fraction ?? "").padEnd(6, "0");
  return `${date} ${time}${/^0+$/.test(micros) ? "" : `.${micros}`}${
    zone === "Z" ? "+00:00" : zone
  }`;
}

/**
 * The data as the server signed it. The status route signs its record with
 * `created_at`/`updated_at` as Python `str(datetime)`, not the ISO form the
 * JSON carries, so those two are converted back.
 */
export function signedData(path: string, data: unknown): unknown {
  if (path !== STATUS_PATH || data === null || typeof data !== "object" || Array.isArray(data)) {
    return data;
  }
  const record = { ...(data as Record<string, unknown>) };
  for (const field of ["created_at", "updated_at"]) {
    const value = record[field];
    if (typeof value === "string") record[field] = pythonStrFromJsonDatetime(value);
  }
  return record;
}

/** Compares two strings in time that depends only on their length. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/** The expected signature of `data` as the server computes it. */
export async function computeResponseSignature(
  key: CryptoKey,
  path: string,
  tenantId: string,
  signedAt: string,
  data: unknown,
): Promise<string> {
  const message = `${path}|${tenantId}|${signedAt}|${pythonCanonicalJson(signedData(path, data))}`;
  return await hmacHex(key, encoder.encode(message));
}

/** What verification concluded, and why when it did not verify. */
export interface VerificationResult {
  readonly state: SignatureState | "mismatch";
  readonly reason?: string;
}

/**
 * Checks an envelope's `signature` against the key. A signature object with
 * a wrong value is a `mismatch`; one that cannot be checked (no key, a
 * string-shaped signature without `signed_at`, an unverifiable route, data
 * that has no canonical form) is `unverified`.
 */
export async function verifyResponseSignature(
  key: CryptoKey | undefined,
  path: string,
  tenantId: string | undefined,
  signature: unknown,
  data: unknown,
): Promise<VerificationResult> {
  if (signature === null || signature === undefined) return { state: "absent" };
  if (!key) return { state: "unverified", reason: "no responseSigningKey is configured" };
  if (!VERIFIABLE_PATHS.has(path)) {
    return { state: "unverified", reason: "this route's signed form cannot be rebuilt" };
  }
  if (tenantId === undefined) return { state: "unverified", reason: "the tenant is not known" };
  const fields = signature as { algorithm?: unknown; signed_at?: unknown; signature?: unknown };
  if (
    typeof signature !== "object" || typeof fields.signed_at !== "string" ||
    typeof fields.signature !== "string"
  ) {
    return { state: "unverified", reason: "the signature has no signed_at and value to check" };
  }
  if (fields.algorithm !== undefined && fields.algorithm !== "hmac-sha256") {
    return { state: "unverified", reason: `unknown algorithm ${String(fields.algorithm)}` };
  }
  let expected: string;
  try {
    expected = await computeResponseSignature(key, path, tenantId, fields.signed_at, data);
  } catch {
    return { state: "unverified", reason: "the data has no canonical JSON form" };
  }
  return constantTimeEqual(expected, fields.signature.toLowerCase())
    ? { state: "verified" }
    : { state: "mismatch", reason: "the response signature does not match its data" };
}
