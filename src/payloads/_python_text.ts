// Small Python string semantics the server relies on, where JavaScript differs.

// `str.strip()` removes what `str.isspace()` accepts; `String.prototype.trim` also removes
// U+FEFF, which Python keeps.
const PY_SPACE =
  "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "gu");

/** Python's `str.strip()` with no argument. */
export function pythonStrip(text: string): string {
  return text.replace(STRIP, "");
}

/** Python's `len(str)`: code points, not UTF-16 units. */
export function pythonLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/**
 * Python's `int(text)` for ASCII input: optional surrounding whitespace and sign, digits with
 * single underscores between them. Returns `undefined` where Python raises `ValueError`.
 */
export function parsePythonInt(text: string): number | undefined {
  const stripped = pythonStrip(text);
  if (!/^[+-]?\d+(_\d+)*$/.test(stripped)) return undefined;
  return Number(stripped.replaceAll("_", ""));
}
