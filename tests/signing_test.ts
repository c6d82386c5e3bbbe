import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { hmacHex, importHmacKey, signRequest, toHex } from "../src/signing.ts";

const encoder = new TextEncoder();
const SECRET = "signing-secret";
const TIMESTAMP = 1_700_000_000;
const ASCII_BODY = '{"event_type":"PROCESS_ANOMALY"}';
const ASCII_SIGNATURE = "f8724b5506723f3dc7c0025ae902ee4a4f1b5caca6fb37c3a9d9ff8e0215ad5a";
const UTF8_BODY = '{"message":"café ✓","severity":"high"}';
const UTF8_SIGNATURE = "f33f097d50466a540c5b6f88e6784c719fb039c338ce63ab25833385bda42287";

describe("signRequest()", () => {
  test("signRequest() matches the server's test vector for an ASCII body", async () => {
    const key = await importHmacKey(SECRET);
    const headers = await signRequest(key, TIMESTAMP, encoder.encode(ASCII_BODY));
    assert.deepEqual(headers, { "X-Timestamp": "1700000000", "X-Signature": ASCII_SIGNATURE });
  });

  test("signRequest() signs the UTF-8 bytes of a non-ASCII body (server test vector)", async () => {
    const key = await importHmacKey(SECRET);
    const bytes = encoder.encode(UTF8_BODY);
    assert.notEqual(bytes.length, UTF8_BODY.length, "the vector must exercise multi-byte UTF-8");
    const headers = await signRequest(key, TIMESTAMP, bytes);
    assert.equal(headers["X-Signature"], UTF8_SIGNATURE);
  });

  test("signRequest() gives lower-case hex of 64 characters", async () => {
    const key = await importHmacKey(SECRET);
    const { "X-Signature": signature } = await signRequest(key, TIMESTAMP, encoder.encode("{}"));
    assert.match(signature, /^[0-9a-f]{64}$/);
  });

  test("signRequest() floors fractional seconds into an integer X-Timestamp", async () => {
    const key = await importHmacKey(SECRET);
    const headers = await signRequest(key, 1_700_000_000.999, encoder.encode(ASCII_BODY));
    assert.equal(headers["X-Timestamp"], "1700000000");
    assert.equal(headers["X-Signature"], ASCII_SIGNATURE);
  });

  test("signRequest() covers the timestamp: another second gives another signature", async () => {
    const key = await importHmacKey(SECRET);
    const headers = await signRequest(key, TIMESTAMP + 1, encoder.encode(ASCII_BODY));
    assert.equal(headers["X-Timestamp"], "1700000001");
    assert.notEqual(headers["X-Signature"], ASCII_SIGNATURE);
  });

  test("signRequest() covers the secret: another secret gives another signature", async () => {
    const key = await importHmacKey("another-secret");
    const headers = await signRequest(key, TIMESTAMP, encoder.encode(ASCII_BODY));
    assert.notEqual(headers["X-Signature"], ASCII_SIGNATURE);
  });

  test("signRequest() signs exactly '<ts>.' + body, as hmacHex over those bytes", async () => {
    const key = await importHmacKey(SECRET);
    const expected = await hmacHex(key, encoder.encode(`1700000000.${ASCII_BODY}`));
    assert.equal(expected, ASCII_SIGNATURE);
    const empty = await signRequest(key, TIMESTAMP, new Uint8Array());
    assert.equal(empty["X-Signature"], await hmacHex(key, encoder.encode("1700000000.")));
  });
});

describe("toHex()", () => {
  test("toHex() pads every byte to two lower-case digits", () => {
    assert.equal(toHex(new Uint8Array([0, 1, 15, 16, 171, 255])), "00010f10abff");
  });

  test("toHex() accepts an ArrayBuffer and an empty input", () => {
    assert.equal(toHex(new Uint8Array([222, 173, 190, 239]).buffer), "deadbeef");
    assert.equal(toHex(new Uint8Array()), "");
  });

  test("toHex() reads only the view's own bytes of a larger buffer", () => {
    const view = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
    assert.equal(toHex(view), "0203");
  });
});

describe("importHmacKey()", () => {
  test("importHmacKey() makes a non-extractable HMAC-SHA256 signing key", async () => {
    const key = await importHmacKey(SECRET);
    assert.equal(key.type, "secret");
    assert.equal(key.extractable, false);
    assert.deepEqual(key.usages, ["sign"]);
    assert.equal(key.algorithm.name, "HMAC");
    assert.equal((key.algorithm as HmacKeyAlgorithm).hash.name, "SHA-256");
  });
});
