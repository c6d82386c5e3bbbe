/**
 * Fresh TLS certificates for the emulator, made with WebCrypto: a throw-away CA (its key is
 * never written anywhere) and a server certificate for 127.0.0.1, ::1 and localhost, both
 * ECDSA P-256. This is what lets `vectorvue emulator` and `vectorvue qa` run from the npm
 * package, which ships no key material: each run trusts only its own CA.
 *
 * @module
 */

/** PEM texts: the CA to trust, and the server's certificate and PKCS#8 key. */
export interface TestCertificates {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

// DER, the small part of it a certificate needs.
function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}
function tlv(tag: number, ...content: Array<Uint8Array | number[]>): number[] {
  const body = content.flatMap((part) => Array.from(part));
  return [tag, ...length(body.length), ...body];
}
const sequence = (...parts: number[][]) => tlv(0x30, ...parts);
const set = (...parts: number[][]) => tlv(0x31, ...parts);
const explicit = (n: number, ...parts: number[][]) => tlv(0xa0 + n, ...parts);
const octets = (bytes: Uint8Array | number[]) => tlv(0x04, bytes);
const bits = (bytes: Uint8Array | number[], unused = 0) => tlv(0x03, [unused], bytes);
const bool = (value: boolean) => tlv(0x01, [value ? 0xff : 0]);
const utf8 = (text: string) => tlv(0x0c, new TextEncoder().encode(text));

function integer(bytes: Uint8Array | number[]): number[] {
  let value = Array.from(bytes);
  while (value.length > 1 && value[0] === 0 && value[1] < 0x80) value = value.slice(1);
  if (value[0] >= 0x80) value = [0, ...value];
  return tlv(0x02, value);
}

function oid(dotted: string): number[] {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const body = [a * 40 + b];
  for (const arc of rest) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) {
      chunk.unshift(0x80 | (v & 0x7f));
    }
    body.push(...chunk);
  }
  return tlv(0x06, body);
}

function time(date: Date): number[] {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
  return tlv(0x17, new TextEncoder().encode(`${iso.slice(2)}Z`)); // UTCTime, before 2050
}

const name = (commonName: string) => sequence(set(sequence(oid("2.5.4.3"), utf8(commonName))));
const ECDSA_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));
const extension = (id: string, critical: boolean, value: number[]) =>
  critical ? sequence(oid(id), bool(true), octets(value)) : sequence(oid(id), octets(value));

/** WebCrypto's ECDSA signature (r ‖ s) as the DER `ECDSA-Sig-Value` X.509 wants. */
function derSignature(raw: Uint8Array): number[] {
  const half = raw.length / 2;
  return sequence(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

function pem(label: string, der: ArrayBuffer | number[]): string {
  const bytes = der instanceof ArrayBuffer ? new Uint8Array(der) : Uint8Array.from(der);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const base64 = btoa(binary).replace(/.{64}/g, "$&\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;

async function keyId(spki: ArrayBuffer): Promise<number[]> {
  return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-1", spki)));
}

async function certificate(options: {
  subject: string;
  issuer: string;
  spki: ArrayBuffer;
  signer: CryptoKey;
  extensions: number[][];
  days: number;
}): Promise<number[]> {
  const now = Date.now();
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  const tbs = sequence(
    explicit(0, integer([2])),
    integer(serial),
    ECDSA_SHA256,
    name(options.issuer),
    sequence(time(new Date(now - 86_400_000)), time(new Date(now + options.days * 86_400_000))),
    name(options.subject),
    Array.from(new Uint8Array(options.spki)),
    explicit(3, sequence(...options.extensions)),
  );
  const signature = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      options.signer,
      Uint8Array.from(tbs),
    ),
  );
  return sequence(tbs, ECDSA_SHA256, bits(derSignature(signature)));
}

/** Makes a CA and a server certificate signed by it, valid from a day ago for `days` days. */
export async function createTestCertificates(days = 30): Promise<TestCertificates> {
  const caKeys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const serverKeys = await crypto.subtle.generateKey(EC, true, ["sign", "verify"]) as CryptoKeyPair;
  const caSpki = await crypto.subtle.exportKey("spki", caKeys.publicKey);
  const serverSpki = await crypto.subtle.exportKey("spki", serverKeys.publicKey);
  const caKeyId = await keyId(caSpki);
  const caName = `vectorvue emulator CA ${crypto.randomUUID().slice(0, 8)} (trust for tests only)`;
  const ca = await certificate({
    subject: caName,
    issuer: caName,
    spki: caSpki,
    signer: caKeys.privateKey,
    days,
    extensions: [
      extension("2.5.29.19", true, sequence(bool(true), integer([0]))), // CA, pathlen 0
      extension("2.5.29.15", true, bits([0x06], 1)), // keyCertSign, cRLSign
      extension("2.5.29.14", false, octets(caKeyId)),
    ],
  });
  const san = sequence(
    tlv(0x87, [127, 0, 0, 1]),
    tlv(0x87, [...new Array(15).fill(0), 1]),
    tlv(0x82, new TextEncoder().encode("localhost")),
  );
  const server = await certificate({
    subject: "localhost",
    issuer: caName,
    spki: serverSpki,
    signer: caKeys.privateKey,
    days,
    extensions: [
      extension("2.5.29.19", true, sequence()),
      extension("2.5.29.15", true, bits([0x80], 7)), // digitalSignature
      extension("2.5.29.37", false, sequence(oid("1.3.6.1.5.5.7.3.1"))), // serverAuth
      extension("2.5.29.17", false, san),
      extension("2.5.29.14", false, octets(await keyId(serverSpki))),
      extension("2.5.29.35", false, sequence(tlv(0x80, caKeyId))),
    ],
  });
  return {
    ca: pem("CERTIFICATE", ca),
    cert: pem("CERTIFICATE", server),
    key: pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", serverKeys.privateKey)),
  };
}
