// Idempotent replays return the response the server stored in a PostgreSQL `jsonb` column, and
// `jsonb` does not keep key order: it sorts keys by length, then bytewise. A faithful replay has
// the same values in that order.

const encoder = new TextEncoder();

function compareJsonbKeys(a: string, b: string): number {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.length !== right.length) return left.length - right.length;
  for (let i = 0; i < left.length; i++) {
    if (left[i] !== right[i]) return left[i] - right[i];
  }
  return 0;
}

/**
 * Serialises `value` as Starlette would after a round trip through `jsonb`: compact JSON with
 * object keys in `jsonb` order. (Built as text because JavaScript objects always enumerate
 * integer-like keys first, whatever order they are inserted in.)
 */
export function jsonbStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => jsonbStringify(item)).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort(compareJsonbKeys)
      .map((key) => `${JSON.stringify(key)}:${jsonbStringify(record[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
