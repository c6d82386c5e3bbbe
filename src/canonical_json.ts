// Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))`, byte for byte.
//
// VectorVue signs `"<path>|<tenant>|<signed_at>|<canonical data>"`, where the canonical data is
// produced by that Python call. A verifier (or this emulator) must reproduce the exact bytes,
// which `JSON.stringify` does not: Python escapes every non-ASCII character (`ensure_ascii`),
// sorts keys by code point, and prints floats with `repr`.

/**
 * Serialises a JSON-compatible value exactly as Python's
 * `json.dumps(value, sort_keys=True, separators=(",", ":"))` does.
 *
 * - Strings: `"` and `\` escaped, `\n \r \t \b \f` short forms, every other character outside
 *   printable ASCII as `\uXXXX` (lowercase hex; astral characters as surrogate pairs).
 * - Object keys sorted by Unicode code point (Python's `str` order, not UTF-16 order).
 * - Numbers: safe integers as integers (`2`, not `2.0`: JSON parsed by JavaScript cannot tell
 *   `2` from `2.0`, and the server's signed data only holds integers), other values as Python's
 *   float `repr` (`1e-05`, `1e+16`, `0.1`); `NaN`/`Infinity` as Python writes them.
 * - `undefined` and functions are dropped from objects and become `null` in arrays, and values
 *   with `toJSON` (such as `Date`) are converted first, as with `JSON.stringify`.
 *
 * @param value A value made of plain objects, arrays, strings, numbers, booleans and `null`.
 * @returns The canonical JSON text (ASCII only).
 * @throws {TypeError} On a `bigint`, a symbol, or a cyclic structure.
 *
 * @example Canonical form of a batch summary
 * ```ts
 * import assert from "node:assert/strict";
 * import { pythonCanonicalJson } from "@spectrastrike/vectorvue-client/testing";
 *
 * const text = pythonCanonicalJson({ total: 2, message: "é", accepted: 1 });
 * assert.equal(text, '{"accepted":1,"message":"\\u00e9","total":2}');
 * ```
 */
export function pythonCanonicalJson(value: unknown): string {
  return write(value, new Set()) ?? "null";
}

function write(value: unknown, seen: Set<object>): string | undefined {
  if (value === null) return "null";
  if (typeof value === "object" || typeof value === "function") {
    const withToJson = value as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === "function") return write(withToJson.toJSON(), seen);
  }
  switch (typeof value) {
    case "string":
      return quote(value);
    case "number":
      return formatNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
    case "function":
      return undefined;
    case "bigint":
    case "symbol":
      throw new TypeError(`Cannot serialise a ${typeof value} as canonical JSON`);
  }
  const object = value as object;
  if (seen.has(object)) {
    throw new TypeError("Cannot serialise a cyclic structure as canonical JSON");
  }
  seen.add(object);
  try {
    if (Array.isArray(object)) {
      return `[${object.map((item) => write(item, seen) ?? "null").join(",")}]`;
    }
    const record = object as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort(compareCodePoints)) {
      const text = write(record[key], seen);
      if (text !== undefined) parts.push(`${quote(key)}:${text}`);
    }
    return `{${parts.join(",")}}`;
  } finally {
    seen.delete(object);
  }
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

// Iterating UTF-16 code units (not code points) yields exactly Python's surrogate-pair escapes
// for astral characters, and escapes lone surrogates the way Python does too.
function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const char = text[i];
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (unit >= 0x20 && unit <= 0x7e) out += char;
    else out += `\\u${unit.toString(16).padStart(4, "0")}`;
  }
  return `${out}"`;
}

// Python compares `str` by code point; JavaScript's default sort compares UTF-16 code units,
// which orders astral characters before U+E000..U+FFFF.
function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a);
  const right = Array.from(b);
  const length = Math.min(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const difference = left[i].codePointAt(0)! - right[i].codePointAt(0)!;
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  // Integral values beyond 2^53 cannot have come from an exact JSON integer; print them as the
  // Python float they most likely were.
  if (Number.isSafeInteger(value)) return String(value === 0 ? 0 : value);
  return pythonFloatRepr(value);
}

// Both engines print the shortest digit string that round-trips; only the layout differs.
// Python's `repr` uses positional notation for decimal exponents -4..15, scientific otherwise,
// with a signed exponent of at least two digits and no ".0" on a one-digit mantissa.
function pythonFloatRepr(value: number): string {
  const [mantissa, exponentText] = value.toExponential().split("e");
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    const head = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expSign = exponent < 0 ? "-" : "+";
    return `${sign}${head}e${expSign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const integerPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${integerPart}.${fraction === "" ? "0" : fraction}`;
}
