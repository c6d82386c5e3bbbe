// The hashing and HMAC primitives the emulated server uses, on Web Crypto only.

const encoder = new TextEncoder();

function toBytes(data: string | Uint8Array): Uint8Array<ArrayBuffer> {
  return typeof data === "string" ? encoder.encode(data) : new Uint8Array(data);
}

function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Lowercase hex SHA-256 of a UTF-8 string or of raw bytes (Python's `hashlib.sha256().hexdigest()`). */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", toBytes(data)));
}

/** Raw HMAC-SHA256 of `data` under a UTF-8 `key`. */
export async function hmacSha256(key: string, data: string | Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey(
    "raw",
    encoder.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, toBytes(data)));
}

/** Lowercase hex HMAC-SHA256 (Python's `hmac.new(key, data, sha256).hexdigest()`). */
export async function hmacSha256Hex(key: string, data: string | Uint8Array): Promise<string> {
  const mac = await hmacSha256(key, data);
  return toHex(mac.buffer as ArrayBuffer);
}

/** Constant-time comparison, as `hmac.compare_digest` does for the server. */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  let difference = left.length ^ right.length;
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    difference |= (left[i] ?? 0) ^ (right[i] ?? 0);
  }
  return difference === 0;
}

/** Base64url without padding, as JWT segments use. */
export function base64UrlEncode(data: string | Uint8Array): string {
  let binary = "";
  for (const byte of toBytes(data)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Decodes base64url like PyJWT does (padding optional); returns `undefined` for text that is not
 * base64url, which the caller reports as an invalid token.
 */
export function base64UrlDecode(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return undefined;
  const base64 = text.replace(/=+$/, "").replaceAll("-", "+").replaceAll("_", "/");
  if (base64.length % 4 === 1) return undefined;
  try {
    const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "="));
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}
