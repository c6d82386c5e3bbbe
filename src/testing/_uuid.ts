// The two UUID parsers the real server goes through: Python's `uuid.UUID(str)` (the JWT
// `tenant_id` claim) and PostgreSQL's `uuid` input (request ids and tenant ids in SQL).

function canonical(hex: string): string {
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Python's `str(uuid.UUID(text))`: `urn:`/`uuid:` prefixes and braces stripped, hyphens removed,
 * then exactly 32 hex digits. Returns the canonical lowercase form, or `undefined` where Python
 * raises `ValueError`.
 */
export function parsePythonUuid(text: string): string | undefined {
  const hex = text.replaceAll("urn:", "").replaceAll("uuid:", "").replace(/^[{}]+|[{}]+$/g, "")
    .replaceAll("-", "");
  return /^[0-9a-fA-F]{32}$/.test(hex) ? canonical(hex) : undefined;
}

const PG_UUID = /^[0-9a-fA-F]{4}(?:-?[0-9a-fA-F]{4}){7}$/;

/**
 * PostgreSQL's `uuid` input syntax: 32 hex digits in any case, an optional hyphen after any
 * group of four, optionally in braces. Returns the canonical lowercase form, or `undefined`
 * where PostgreSQL fails with "invalid input syntax for type uuid" (a 500 on the real server).
 */
export function parsePostgresUuid(text: string): string | undefined {
  const inner = text.startsWith("{") && text.endsWith("}") ? text.slice(1, -1) : text;
  return PG_UUID.test(inner) ? canonical(inner.replaceAll("-", "")) : undefined;
}
