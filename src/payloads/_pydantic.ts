// A minimal re-implementation of the pydantic v2 behaviour the real server's models rely on:
// field order, error types and messages, `extra="forbid"`, defaults, and "after" validators.
// Only the features those models use are here.
import { parsePydanticDatetime, type PyDateTime } from "./_python_datetime.ts";
import { pythonLength } from "./_python_text.ts";

/** One pydantic error, shaped like an item of `ValidationError.errors()`. */
export interface ValidationIssue {
  readonly type: string;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly input: unknown;
  readonly ctx?: Readonly<Record<string, unknown>>;
}

type Problem = Omit<ValidationIssue, "loc" | "input">;
type Checked = { readonly ok: true; readonly value: unknown } | {
  readonly ok: false;
  readonly problem: Problem;
};

/** Validates one present field value. */
export type FieldCheck = (value: unknown) => Checked;

/** A model field: its name, whether it is required, and how it validates. */
export interface FieldSpec {
  readonly name: string;
  /** Absent from input: `undefined` means required ("Field required"), else the default. */
  readonly default?: () => unknown;
  readonly check: FieldCheck;
}

/** A model: the class name (it appears in messages), its fields in order, and `extra`. */
export interface ModelSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
  readonly extra: "forbid" | "ignore";
  /** FastAPI validates bodies with `from_attributes=True`, which changes the non-dict error. */
  readonly fromAttributes?: boolean;
}

/** Outcome of {@linkcode validateModel}: the validated fields, or every issue in pydantic's order. */
export type ModelResult =
  | { readonly ok: true; readonly value: Record<string, unknown> }
  | { readonly ok: false; readonly issues: readonly ValidationIssue[] };

const ok = (value: unknown): Checked => ({ ok: true, value });
const bad = (type: string, msg: string, ctx?: Record<string, unknown>): Checked => ({
  ok: false,
  problem: ctx === undefined ? { type, msg } : { type, msg, ctx },
});

/** True for a JSON object (what Python's `json.loads` turns into a `dict`). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates `input` against a model. Fields are checked in declaration order, then unknown keys
 * (in input order) when `extra` is `"forbid"`, which is the order pydantic reports errors in.
 */
export function validateModel(spec: ModelSpec, input: unknown): ModelResult {
  if (!isPlainObject(input)) {
    const issue: ValidationIssue = spec.fromAttributes
      ? {
        type: "model_attributes_type",
        loc: [],
        msg: "Input should be a valid dictionary or object to extract fields from",
        input,
      }
      : {
        type: "model_type",
        loc: [],
        msg: `Input should be a valid dictionary or instance of ${spec.name}`,
        input,
        ctx: { class_name: spec.name },
      };
    return { ok: false, issues: [issue] };
  }
  const issues: ValidationIssue[] = [];
  const value: Record<string, unknown> = {};
  for (const field of spec.fields) {
    if (!Object.hasOwn(input, field.name)) {
      if (field.default === undefined) {
        issues.push({ type: "missing", loc: [field.name], msg: "Field required", input });
      } else {
        value[field.name] = field.default();
      }
      continue;
    }
    const checked = field.check(input[field.name]);
    if (checked.ok) value[field.name] = checked.value;
    else issues.push({ ...checked.problem, loc: [field.name], input: input[field.name] });
  }
  if (spec.extra === "forbid") {
    const known = new Set(spec.fields.map((field) => field.name));
    for (const key of Object.keys(input)) {
      if (known.has(key)) continue;
      issues.push({
        type: "extra_forbidden",
        loc: [key],
        msg: "Extra inputs are not permitted",
        input: input[key],
      });
    }
  }
  return issues.length === 0 ? { ok: true, value } : { ok: false, issues };
}

/** Options of a `str` field (`Field(min_length=, max_length=, pattern=)`). */
export interface StrOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  /** `str | None`: `null` passes as `null`. */
  readonly nullable?: boolean;
  /** A `@field_validator` in "after" mode: returns the new value, or an error message. */
  readonly after?: (value: string) => { readonly value: string } | { readonly error: string };
}

const plural = (count: number) => (count === 1 ? "" : "s");

/** A pydantic `str` field. Lengths count code points, as Python's `len` does. */
export function strField(options: StrOptions = {}): FieldCheck {
  const pattern = options.pattern === undefined ? undefined : new RegExp(options.pattern, "u");
  return (value) => {
    if (value === null && options.nullable) return ok(null);
    if (typeof value !== "string") return bad("string_type", "Input should be a valid string");
    const length = pythonLength(value);
    const { minLength, maxLength } = options;
    if (minLength !== undefined && length < minLength) {
      return bad(
        "string_too_short",
        `String should have at least ${minLength} character${plural(minLength)}`,
        { min_length: minLength },
      );
    }
    if (maxLength !== undefined && length > maxLength) {
      return bad(
        "string_too_long",
        `String should have at most ${maxLength} character${plural(maxLength)}`,
        { max_length: maxLength },
      );
    }
    if (pattern !== undefined && !pattern.test(value)) {
      return bad(
        "string_pattern_mismatch",
        `String should match pattern '${options.pattern}'`,
        { pattern: options.pattern },
      );
    }
    if (options.after === undefined) return ok(value);
    const after = options.after(value);
    return "error" in after
      ? bad("value_error", `Value error, ${after.error}`, { error: after.error })
      : ok(after.value);
  };
}

/** A pydantic `datetime` field (lax mode); the value becomes a {@linkcode PyDateTime}. */
export function datetimeField(options: { readonly nullable?: boolean } = {}): FieldCheck {
  return (value) => {
    if (value === null && options.nullable) return ok(null);
    const parsed = parsePydanticDatetime(value);
    return parsed.ok ? ok(parsed.value satisfies PyDateTime) : { ok: false, problem: parsed.error };
  };
}

/** A pydantic `dict[str, Any]` field. */
export function dictField(): FieldCheck {
  return (value) =>
    isPlainObject(value) ? ok(value) : bad("dict_type", "Input should be a valid dictionary");
}
