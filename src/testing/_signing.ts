// The two HMAC schemes of the contract: the optional request signature the server checks on the
// POST integration routes, and the compliance signature it puts on envelopes.
import { pythonCanonicalJson } from "../canonical_json.ts";
import { hmacSha256Hex, timingSafeEqual } from "./_crypto.ts";
import { fromEpochMs, pythonIsoformat } from "../payloads/_python_datetime.ts";
import { parsePythonInt, pythonStrip } from "../payloads/_python_text.ts";

/** An envelope's `signature` object. */
export interface EnvelopeSignature {
  readonly algorithm: "hmac-sha256";
  readonly signed_at: string;
  readonly signature: string;
}

/** Outcome of {@linkcode checkRequestSignature}: pass, a 401 `detail`, or a server crash (500). */
export type SignatureCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly detail: string }
  | { readonly ok: false; readonly crash: true };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * `_verify_optional_signature`: both headers present, `X-Timestamp` a Python integer within the
 * skew window, and `X-Signature` equal to the lowercase hex HMAC-SHA256 of
 * `"<X-Timestamp>." + body` under the shared secret.
 */
export async function checkRequestSignature(
  secret: string,
  maxSkewSeconds: number,
  headers: Headers,
  body: Uint8Array,
  nowMs: number,
): Promise<SignatureCheck> {
  const signature = pythonStrip(headers.get("x-signature") ?? "");
  const timestamp = pythonStrip(headers.get("x-timestamp") ?? "");
  if (signature === "" || timestamp === "") {
    return { ok: false, detail: "Missing request signature headers" };
  }
  const seconds = parsePythonInt(timestamp);
  if (seconds === undefined) return { ok: false, detail: "Invalid X-Timestamp" };
  if (Math.abs(Math.floor(nowMs / 1000) - seconds) > maxSkewSeconds) {
    return { ok: false, detail: "Signature timestamp out of range" };
  }
  // The server does `raw_body.decode("utf-8")` here: a body that is not UTF-8 crashes it, and a
  // non-ASCII signature header makes `hmac.compare_digest` raise.
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, crash: true };
  }
  // deno-lint-ignore no-control-regex
  if (/[^\x00-\x7f]/.test(signature)) return { ok: false, crash: true };
  const expected = await hmacSha256Hex(secret, `${timestamp}.${text}`);
  return timingSafeEqual(expected, signature)
    ? { ok: true }
    : { ok: false, detail: "Invalid request signature" };
}

/**
 * `_sign_envelope`: HMAC-SHA256 hex over `"<path>|<tenant_id>|<signed_at>|<canonical data>"`,
 * where `signed_at` is Python's `datetime.now(timezone.utc).isoformat()` and the canonical data
 * is `json.dumps(data, sort_keys=True, separators=(",", ":"))` of the data as the server holds
 * it (datetimes as `str(datetime)`). `null` when no key is configured.
 */
export async function signEnvelope(
  key: string | undefined,
  path: string,
  tenantId: string,
  data: unknown,
  nowMs: number,
): Promise<EnvelopeSignature | null> {
  if (key === undefined) return null;
  const signedAt = pythonIsoformat(fromEpochMs(nowMs));
  const raw = `${path}|${tenantId}|${signedAt}|${pythonCanonicalJson(data)}`;
  return {
    algorithm: "hmac-sha256",
    signed_at: signedAt,
    signature: await hmacSha256Hex(key, raw),
  };
}
