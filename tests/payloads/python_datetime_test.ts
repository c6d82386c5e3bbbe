// The emulator's pydantic-style datetime parsing and Python printing, against values and
// messages observed with pydantic 2.13 on CPython 3.11.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  parsePydanticDatetime,
  pydanticJson,
  pythonStr,
} from "../../src/payloads/_python_datetime.ts";

describe("parsePydanticDatetime", () => {
  test("parses what pydantic accepts and prints it as str() and pydantic JSON do", () => {
    const cases: [unknown, string, string][] = [
      ["2026-02-22T10:00:00Z", "2026-02-22 10:00:00+00:00", "2026-02-22T10:00:00Z"],
      ["2026-02-22T10:00Z", "2026-02-22 10:00:00+00:00", "2026-02-22T10:00:00Z"],
      ["2026-02-22T10:00:00", "2026-02-22 10:00:00", "2026-02-22T10:00:00"],
      ["2026-02-22", "2026-02-22 00:00:00", "2026-02-22T00:00:00"],
      [
        "2026-02-22 10:00:00.1234567+05:30",
        "2026-02-22 10:00:00.123456+05:30",
        "2026-02-22T10:00:00.123456+05:30",
      ],
      [
        "2026-02-22t10:00:00.5-0130",
        "2026-02-22 10:00:00.500000-01:30",
        "2026-02-22T10:00:00.500000-01:30",
      ],
      ["2026-02-22_10:00:00z", "2026-02-22 10:00:00+00:00", "2026-02-22T10:00:00Z"],
      ["2026-02-22T10:00:00,5Z", "2026-02-22 10:00:00.500000+00:00", "2026-02-22T10:00:00.500000Z"],
      ["2026-02-22T10:00:00-00:00", "2026-02-22 10:00:00+00:00", "2026-02-22T10:00:00Z"],
      ["2026-02-22T10:00:00.000Z", "2026-02-22 10:00:00+00:00", "2026-02-22T10:00:00Z"],
      ["2024-02-29", "2024-02-29 00:00:00", "2024-02-29T00:00:00"],
      [1700000000, "2023-11-14 22:13:20+00:00", "2023-11-14T22:13:20Z"],
      [1700000000.5, "2023-11-14 22:13:20.500000+00:00", "2023-11-14T22:13:20.500000Z"],
      [1700000000123, "2023-11-14 22:13:20.123000+00:00", "2023-11-14T22:13:20.123000Z"],
      [-5.5, "1969-12-31 23:59:54.500000+00:00", "1969-12-31T23:59:54.500000Z"],
      ["1700000000", "2023-11-14 22:13:20+00:00", "2023-11-14T22:13:20Z"],
      ["+1", "1970-01-01 00:00:01+00:00", "1970-01-01T00:00:01Z"],
      [".5", "1970-01-01 00:00:00.500000+00:00", "1970-01-01T00:00:00.500000Z"],
    ];
    for (const [input, str, json] of cases) {
      const parsed = parsePydanticDatetime(input);
      assert.ok(parsed.ok, `${input}: ${JSON.stringify(parsed)}`);
      assert.deepEqual(
        [pythonStr(parsed.value), pydanticJson(parsed.value)],
        [str, json],
        String(input),
      );
    }
  });

  test("fails with pydantic's error type and message", () => {
    const extra =
      "Input should be a valid datetime or date, unexpected extra characters at the end of the input";
    const cases: [unknown, string, string][] = [
      [
        "nope",
        "datetime_from_date_parsing",
        "Input should be a valid datetime or date, input is too short",
      ],
      [
        "",
        "datetime_from_date_parsing",
        "Input should be a valid datetime or date, input is too short",
      ],
      [
        " 2026-02-22",
        "datetime_from_date_parsing",
        "Input should be a valid datetime or date, invalid character in year",
      ],
      [
        "2026/02/22T10:00",
        "datetime_from_date_parsing",
        "Input should be a valid datetime or date, invalid date separator, expected `-`",
      ],
      [
        "2026-0a-22",
        "datetime_from_date_parsing",
        "Input should be a valid datetime or date, invalid character in month",
      ],
      [
        "2026-13-22T10:00:00Z",
        "datetime_from_date_parsing",
        "Input should be a valid datetime or date, month value is outside expected range of 1-12",
      ],
      [
        "2023-02-29",
        "datetime_from_date_parsing",
        "Input should be a valid datetime or date, day value is outside expected range",
      ],
      ["2026-02-22T25:00:00Z", "datetime_from_date_parsing", extra],
      ["2026-02-22T10:00:00+05", "datetime_from_date_parsing", extra],
      ["2026-02-22T10:00:00.Z", "datetime_from_date_parsing", extra],
      ["2026-02-22 ", "datetime_from_date_parsing", extra],
      [null, "datetime_type", "Input should be a valid datetime"],
      [true, "datetime_type", "Input should be a valid datetime"],
      [[1], "datetime_type", "Input should be a valid datetime"],
      [
        1e20,
        "datetime_parsing",
        "Input should be a valid datetime, dates after 9999 are not supported as unix timestamps",
      ],
      [NaN, "datetime_parsing", "Input should be a valid datetime, NaN values not permitted"],
    ];
    for (const [input, type, msg] of cases) {
      const parsed = parsePydanticDatetime(input);
      assert.ok(!parsed.ok, String(input));
      assert.deepEqual([parsed.error.type, parsed.error.msg], [type, msg], String(input));
    }
  });
});
