// Datetimes as the real server sees and prints them: pydantic v2 (lax mode) parses request
// fields, Python's `str(datetime)` feeds deterministic ids and signatures (`default=str`),
// pydantic's JSON mode prints response fields, and `datetime.isoformat()` prints `signed_at`.

/** A Python `datetime`; `offsetMinutes` is `null` for a naive value. */
export interface PyDateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly microsecond: number;
  readonly offsetMinutes: number | null;
}

/** A pydantic validation failure for one datetime field. */
export interface DatetimeError {
  readonly type: string;
  readonly msg: string;
  readonly ctx?: Readonly<Record<string, string>>;
}

/** Outcome of {@linkcode parsePydanticDatetime}. */
export type DatetimeResult =
  | { readonly ok: true; readonly value: PyDateTime }
  | { readonly ok: false; readonly error: DatetimeError };

const encoder = new TextEncoder();
const MS_WATERSHED = 20_000_000_000;
const MAX_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z
const MIN_SECONDS = -62_135_596_800; // 0001-01-01T00:00:00Z

/** A UTC-aware datetime for an instant in epoch milliseconds (the emulator's clock). */
export function fromEpochMs(ms: number): PyDateTime {
  const date = new Date(Math.floor(ms));
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    hour: date.getUTCHours(),
    minute: date.getUTCMinutes(),
    second: date.getUTCSeconds(),
    microsecond: date.getUTCMilliseconds() * 1000,
    offsetMinutes: 0,
  };
}

/**
 * Validates a value the way a pydantic v2 `datetime` field does in lax mode: RFC 3339-like
 * strings, date-only strings (midnight, naive), and unix timestamps as numbers or numeric strings
 * (seconds, or milliseconds above 2e10). Error types and messages are pydantic's.
 */
export function parsePydanticDatetime(input: unknown): DatetimeResult {
  if (typeof input === "number") return fromTimestamp(input);
  if (typeof input !== "string") {
    return failure("datetime_type", "Input should be a valid datetime");
  }
  const bytes = encoder.encode(input);
  const parsed = parseRfc3339(bytes);
  if (parsed !== undefined) {
    return parsed.year === 0
      ? failure("datetime_parsing", "Input should be a valid datetime", "year 0 is out of range")
      : { ok: true, value: parsed };
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(input)) return fromTimestamp(Number(input));
  // In lax mode pydantic retries the string as a date; when that fails too, the date parser's
  // error is the one reported.
  const date = parseDate(bytes);
  if (typeof date === "string") {
    return failure("datetime_from_date_parsing", "Input should be a valid datetime or date", date);
  }
  if (bytes.length > 10) {
    return failure(
      "datetime_from_date_parsing",
      "Input should be a valid datetime or date",
      "unexpected extra characters at the end of the input",
    );
  }
  return {
    ok: true,
    value: { ...date, hour: 0, minute: 0, second: 0, microsecond: 0, offsetMinutes: null },
  };
}

function failure(type: string, msg: string, detail?: string): DatetimeResult {
  return detail === undefined
    ? { ok: false, error: { type, msg } }
    : { ok: false, error: { type, msg: `${msg}, ${detail}`, ctx: { error: detail } } };
}

function fromTimestamp(value: number): DatetimeResult {
  const fail = (detail: string) =>
    failure("datetime_parsing", "Input should be a valid datetime", detail);
  if (Number.isNaN(value)) return fail("NaN values not permitted");
  if (!Number.isFinite(value)) return fail("dates after 9999 are not supported as unix timestamps");
  const whole = Math.floor(value);
  const fractionMicros = Math.round((value - whole) * 1_000_000);
  const totalMicros = Math.abs(whole) > MS_WATERSHED
    ? BigInt(whole) * 1000n + BigInt(Math.floor(fractionMicros / 1000))
    : BigInt(whole) * 1_000_000n + BigInt(fractionMicros);
  const seconds = Number(totalMicros / 1_000_000n) - (totalMicros % 1_000_000n < 0n ? 1 : 0);
  if (seconds > MAX_SECONDS) return fail("dates after 9999 are not supported as unix timestamps");
  if (seconds < MIN_SECONDS) return fail("dates before 0001 are not supported as unix timestamps");
  const micros = Number(((totalMicros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  return { ok: true, value: { ...fromEpochMs(seconds * 1000), microsecond: micros } };
}

const isDigit = (byte: number | undefined) => byte !== undefined && byte >= 0x30 && byte <= 0x39;
const digits = (bytes: Uint8Array, start: number, count: number): number | undefined => {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    if (!isDigit(bytes[i])) return undefined;
    value = value * 10 + bytes[i] - 0x30;
  }
  return value;
};

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

// speedate's `Date::parse_bytes_partial`: the first ten bytes as YYYY-MM-DD, or its error text.
function parseDate(bytes: Uint8Array): { year: number; month: number; day: number } | string {
  if (bytes.length < 10) return "input is too short";
  const year = digits(bytes, 0, 4);
  if (year === undefined) return "invalid character in year";
  if (bytes[4] !== 0x2d) return "invalid date separator, expected `-`";
  const month = digits(bytes, 5, 2);
  if (month === undefined) return "invalid character in month";
  if (bytes[7] !== 0x2d) return "invalid date separator, expected `-`";
  const day = digits(bytes, 8, 2);
  if (day === undefined) return "invalid character in day";
  if (month < 1 || month > 12) return "month value is outside expected range of 1-12";
  if (day < 1 || day > daysInMonth(year, month)) return "day value is outside expected range";
  return { year, month, day };
}

// speedate's RFC 3339 datetime: date, one of `T t _ space`, HH:MM[:SS[(.|,)fraction]],
// then nothing (naive), `Z`/`z`, or ±HH[:]MM. Only success matters: failures are reported
// through the date fallback above, exactly as pydantic does.
function parseRfc3339(bytes: Uint8Array): PyDateTime | undefined {
  const date = parseDate(bytes);
  if (typeof date === "string" || ![0x54, 0x74, 0x5f, 0x20].includes(bytes[10])) return undefined;
  const hour = digits(bytes, 11, 2);
  const minute = digits(bytes, 14, 2);
  if (hour === undefined || bytes[13] !== 0x3a || minute === undefined) return undefined;
  if (hour > 23 || minute > 59) return undefined;
  let position = 16;
  let second = 0;
  let microsecond = 0;
  if (bytes[position] === 0x3a) {
    const parsed = digits(bytes, position + 1, 2);
    if (parsed === undefined || parsed > 59) return undefined;
    second = parsed;
    position += 3;
    if (bytes[position] === 0x2e || bytes[position] === 0x2c) {
      position++;
      let fraction = "";
      while (isDigit(bytes[position])) fraction += String.fromCharCode(bytes[position++]);
      if (fraction === "") return undefined;
      // More than six digits are truncated (pydantic's default `microseconds_precision`).
      microsecond = Number(fraction.slice(0, 6).padEnd(6, "0"));
    }
  }
  let offsetMinutes: number | null = null;
  const sign = bytes[position];
  if (sign === 0x5a || sign === 0x7a) {
    offsetMinutes = 0;
    position++;
  } else if (sign === 0x2b || sign === 0x2d) {
    const offsetHour = digits(bytes, position + 1, 2);
    position += 3;
    if (bytes[position] === 0x3a) position++;
    const offsetMinute = digits(bytes, position, 2);
    position += 2;
    if (offsetHour === undefined || offsetMinute === undefined) return undefined;
    if (offsetHour > 23 || offsetMinute > 59) return undefined;
    offsetMinutes = (sign === 0x2d ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  if (position !== bytes.length) return undefined;
  return { ...date, hour, minute, second, microsecond, offsetMinutes };
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

function formatOffset(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const absolute = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}

function format(dt: PyDateTime, separator: string, utc: string | undefined): string {
  const date = `${pad(dt.year, 4)}-${pad(dt.month)}-${pad(dt.day)}`;
  const time = `${pad(dt.hour)}:${pad(dt.minute)}:${pad(dt.second)}`;
  const fraction = dt.microsecond === 0 ? "" : `.${pad(dt.microsecond, 6)}`;
  let zone = "";
  if (dt.offsetMinutes !== null) {
    zone = dt.offsetMinutes === 0 && utc !== undefined ? utc : formatOffset(dt.offsetMinutes);
  }
  return `${date}${separator}${time}${fraction}${zone}`;
}

/** Python's `str(dt)`: `2026-02-22 10:00:00.500000+00:00` (no fraction when it is zero). */
export function pythonStr(dt: PyDateTime): string {
  return format(dt, " ", undefined);
}

/** Python's `dt.isoformat()`: `2026-02-22T10:00:00.500000+00:00` (no fraction when zero). */
export function pythonIsoformat(dt: PyDateTime): string {
  return format(dt, "T", undefined);
}

/** Pydantic v2 JSON mode: `2026-02-22T10:00:00.500000Z` (UTC as `Z`, other offsets as `+05:30`). */
export function pydanticJson(dt: PyDateTime): string {
  return format(dt, "T", "Z");
}
