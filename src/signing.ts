/**
 * HMAC-SHA256 request signing, as the VectorVue server checks it: header
 * `X-Timestamp` (unix seconds) and `X-Signature`, the lower-case hex HMAC of
 * `"<X-Timestamp>." + <body bytes exactly as sent>`, keyed with the shared
 * secret as UTF-8. Built on WebCrypto only.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Imports a UTF-8 secret as an HMAC-SHA256 signing key (do it once per secret). */
export function importHmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
}

/** Lower-case hex of some bytes. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let hex = "";
  for (const byte of view) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** Lower-case hex HMAC-SHA256 of `data` under `key`. */
export async function hmacHex(key: CryptoKey, data: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.sign("HMAC", key, data as Uint8Array<ArrayBuffer>));
}

/** The two signing headers of one attempt. */
export interface SignatureHeaders {
  /** Unix seconds, as an integer string. */
  readonly "X-Timestamp": string;
  /** Lower-case hex HMAC-SHA256. */
  readonly "X-Signature": string;
}

/**
 * Signs one attempt: the bytes are `"<timestamp>." + body`. Call it for every
 * attempt, since the server rejects timestamps more than 300 s away.
 *
 * @param timestampSeconds Unix time in whole seconds.
 * @param body The request body exactly as it will be sent.
 */
export async function signRequest(
  key: CryptoKey,
  timestampSeconds: number,
  body: Uint8Array,
): Promise<SignatureHeaders> {
  const timestamp = String(Math.floor(timestampSeconds));
  const prefix = encoder.encode(`${timestamp}.`);
  const message = new Uint8Array(prefix.length + body.length);
  message.set(prefix, 0);
  message.set(body, prefix.length);
  return { "X-Timestamp": timestamp, "X-Signature": await hmacHex(key, message) };
}
