// pythonCanonicalJson against CPython's `json.dumps(value, sort_keys=True, separators=(",", ":"))`
// (expected strings produced with CPython 3.11) and the contract's signature vectors.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { pythonCanonicalJson } from "../../src/testing/mod.ts";
import { TENANT } from "../_fixtures.ts";

const SIGNED_AT = "2026-02-22T10:00:00.000000+00:00";
const sign = (path: string, data: unknown) =>
  createHmac("sha256", "compliance-key")
    .update(`${path}|${TENANT}|${SIGNED_AT}|${pythonCanonicalJson(data)}`)
    .digest("hex");

describe("pythonCanonicalJson", () => {
  test("reproduces the contract's single-event signature vector", () => {
    assert.equal(
      sign("/api/v1/integrations/spectrastrike/events", {
        event_id: "evt_0123456789abcdef01234567",
      }),
      "a43d1dbb0db2c9bde9be8970c5c75304ded74a5ca6923ca8d09f1b63bf33ec38",
    );
  });

  test("reproduces the contract's batch signature vector (non-ASCII escaped)", () => {
    const data = {
      summary: { total: 2, accepted: 1, failed: 1 },
      results: [
        { index: 0, item_id: "evt_a", status: "accepted", error_code: null, error_message: null },
        {
          index: 1,
          item_id: null,
          status: "failed",
          error_code: "validation_failed",
          error_message: "Field required — é",
        },
      ],
    };
    assert.equal(
      sign("/api/v1/integrations/spectrastrike/events/batch", data),
      "560cfea6ceb9da0e2c3e6ee43b0ea3e9729f88ddc7790eeec3d7290ee59cf55f",
    );
  });

  test("sorts keys by code point and escapes like ensure_ascii", () => {
    const value = {
      "é": '\u2028\x7f\x00\x1f"\\/\u{1F600}\ud800',
      b: [true, false, null],
      "a\u{1F600}": 1,
      "a\uffff": 2,
    };
    assert.equal(
      pythonCanonicalJson(value),
      '{"a\\uffff":2,"a\\ud83d\\ude00":1,"b":[true,false,null],' +
        '"\\u00e9":"\\u2028\\u007f\\u0000\\u001f\\"\\\\/\\ud83d\\ude00\\ud800"}',
    );
  });

  test("prints numbers as Python's int and float repr do", () => {
    const cases: [number, string][] = [
      [0, "0"],
      [-0, "0"],
      [42, "42"],
      [0.1, "0.1"],
      [1.5, "1.5"],
      [123.456, "123.456"],
      [0.0001, "0.0001"],
      [1e-5, "1e-05"],
      [1.5e-7, "1.5e-07"],
      [-2.75e-10, "-2.75e-10"],
      [0.30000000000000004, "0.30000000000000004"],
      [1234567890123456.8, "1234567890123456.8"],
      [2500000000000000.5, "2500000000000000.5"],
      [1e16, "1e+16"],
      [1e22, "1e+22"],
      [1.7976931348623157e308, "1.7976931348623157e+308"],
      [5e-324, "5e-324"],
      [NaN, "NaN"],
      [Infinity, "Infinity"],
      [-Infinity, "-Infinity"],
    ];
    for (const [value, expected] of cases) {
      assert.equal(pythonCanonicalJson(value), expected, String(value));
    }
  });

  test("drops undefined from objects, nulls it in arrays, and honours toJSON", () => {
    assert.equal(pythonCanonicalJson({ a: undefined, b: [undefined] }), '{"b":[null]}');
    assert.equal(pythonCanonicalJson({ at: new Date(0) }), '{"at":"1970-01-01T00:00:00.000Z"}');
  });

  test("throws a TypeError on a cycle or a bigint", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => pythonCanonicalJson(cyclic), TypeError);
    assert.throws(() => pythonCanonicalJson({ n: 1n }), TypeError);
  });
});
