/**
 * The response envelope of the SpectraStrike integration routes, and the
 * pure parsing that turns any HTTP answer into either an envelope or the
 * facts an error needs. Nothing here throws on a hostile body.
 *
 * @module
 */

/**
 * Envelope statuses the server uses today.
 *
 * @example
 * ```ts
 * import type { EnvelopeStatus } from "@spectrastrike/vectorvue-client";
 *
 * const delivered: EnvelopeStatus[] = ["accepted", "replayed"];
 * ```
 */
export type EnvelopeStatus = "accepted" | "partial" | "failed" | "replayed";

/**
 * One item of an envelope's `errors`, with `code` and `message` filled from
 * either spelling the server uses (`code`/`message` or
 * `error_code`/`error_message`); other fields are kept.
 *
 * @example
 * ```ts
 * import type { EnvelopeError } from "@spectrastrike/vectorvue-client";
 *
 * const describe = (error: EnvelopeError) => `${error.code}: ${error.message}`;
 * ```
 */
export interface EnvelopeError {
  /** Machine-readable code, such as `validation_failed`. */
  readonly code: string;
  /** Human-readable message. */
  readonly message: string;
  /** Any other field the server sent. */
  readonly [field: string]: unknown;
}

/**
 * The server's response signature, when it signs (an object on current servers).
 *
 * @example
 * ```ts
 * import type { EnvelopeSignature } from "@spectrastrike/vectorvue-client";
 *
 * const signedAt = (signature: EnvelopeSignature) => signature.signed_at;
 * ```
 */
export interface EnvelopeSignature {
  /** `hmac-sha256`. */
  readonly algorithm?: string;
  /** When the server signed, ISO-8601. */
  readonly signed_at?: string;
  /** Lower-case hex HMAC. */
  readonly signature?: string;
  /** Any other field the server sent. */
  readonly [field: string]: unknown;
}

/**
 * Whether the response signature was checked: `verified` (it matched the
 * `responseSigningKey`), `unverified` (present, but no key is configured or
 * the route's signed form cannot be reproduced), `absent` (none sent).
 *
 * @example
 * ```ts
 * import type { SignatureState } from "@spectrastrike/vectorvue-client";
 *
 * const trusted = (state: SignatureState) => state === "verified";
 * ```
 */
export type SignatureState = "verified" | "unverified" | "absent";

/**
 * What every successful call resolves to.
 *
 * @example Check the outcome of a call
 * ```ts
 * import type { ResponseEnvelope } from "@spectrastrike/vectorvue-client";
 *
 * function summary(envelope: ResponseEnvelope): string {
 *   return `${envelope.status} ${envelope.requestId} after ${envelope.retryCount} retries`;
 * }
 * ```
 */
export interface ResponseEnvelope<Data = unknown> {
  /** The server's `request_id`, or `null` when the body has none. */
  readonly requestId: string | null;
  /** `accepted`, `partial`, `failed` or `replayed` (a newer server may add others). */
  readonly status: EnvelopeStatus | (string & Record<never, never>);
  /** The server's `data`, untouched; for a body that is not an envelope, the whole body. */
  readonly data: Data;
  /** The envelope's `errors`, normalised to `code`/`message`. */
  readonly errors: readonly EnvelopeError[];
  /** The server's response signature as sent (object or string), or `null`. */
  readonly signature: EnvelopeSignature | string | null;
  /** Whether the signature was checked; see {@linkcode SignatureState}. */
  readonly signatureState: SignatureState;
  /** HTTP status of the answer. */
  readonly httpStatus: number;
  /** Response headers, lower-case keys. */
  readonly headers: Readonly<Record<string, string>>;
  /** Retries made before this answer (0 when the first attempt succeeded). */
  readonly retryCount: number;
  /** The server answered from its idempotency store: this exact call was already processed. */
  readonly replayed: boolean;
  /** `status` is `accepted` or `replayed` and `errors` is empty. */
  readonly ok: boolean;
}

/** A body as received: parsed JSON, or text when it was not JSON. */
export type ParsedBody =
  | { readonly kind: "json"; readonly value: unknown }
  | { readonly kind: "text"; readonly text: string };

/** Parses a body as JSON when it is JSON, whatever the content type claims. */
export function parseBody(text: string): ParsedBody {
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[") || trimmed.startsWith('"')) {
    try {
      return { kind: "json", value: JSON.parse(trimmed) };
    } catch {
      // Truncated or malformed JSON is reported as text.
    }
  }
  return { kind: "text", text };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

// `String()` of a nested array recurses once per level, so a 20 KB body of brackets would
// overflow the stack; a hostile body must yield a message, never a RangeError.
function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Array.isArray(value) ? "[nested array]" : "[unprintable value]";
  }
}

/** Normalises one `errors` item; non-objects become a message. */
export function normalizeEnvelopeError(item: unknown): EnvelopeError {
  if (!isRecord(item)) return { code: "unknown", message: printable(item) };
  return {
    ...item,
    code: stringOr(item.code, stringOr(item.error_code, "unknown")),
    message: stringOr(item.message, stringOr(item.error_message, "")),
  };
}

/** Whether a JSON value has the shape of an envelope (a `status` string and an `errors` array or `request_id`). */
export function isEnvelopeShape(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && typeof value.status === "string" &&
    (Array.isArray(value.errors) || "request_id" in value);
}

/** The facts of an answer that do not come from the body. */
export interface ExchangeFacts {
  readonly httpStatus: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly retryCount: number;
  readonly signatureState?: SignatureState;
}

/**
 * Builds the envelope of a successful answer. A body that is an envelope is
 * read field by field; any other JSON body (such as `{"accepted": true}`)
 * becomes `data` whole, with status `accepted`. Replay is detected from the
 * `X-Idempotent-Replay` header, since the replayed body still says accepted.
 */
export function toEnvelope(value: unknown, facts: ExchangeFacts): ResponseEnvelope {
  const replayHeader = facts.headers["x-idempotent-replay"]?.trim().toLowerCase() === "true";
  if (!isEnvelopeShape(value)) {
    return {
      requestId: null,
      status: replayHeader ? "replayed" : "accepted",
      data: value,
      errors: [],
      signature: null,
      signatureState: "absent",
      httpStatus: facts.httpStatus,
      headers: facts.headers,
      retryCount: facts.retryCount,
      replayed: replayHeader,
      ok: true,
    };
  }
  const errors = Array.isArray(value.errors) ? value.errors.map(normalizeEnvelopeError) : [];
  const replayed = replayHeader || value.status === "replayed";
  const status = replayed ? "replayed" : (value.status as string);
  const signature = isRecord(value.signature) || typeof value.signature === "string"
    ? value.signature as EnvelopeSignature | string
    : null;
  return {
    requestId: typeof value.request_id === "string" ? value.request_id : null,
    status,
    data: value.data ?? null,
    errors,
    signature,
    signatureState: signature === null ? "absent" : facts.signatureState ?? "unverified",
    httpStatus: facts.httpStatus,
    headers: facts.headers,
    retryCount: facts.retryCount,
    replayed,
    ok: (status === "accepted" || status === "replayed") && errors.length === 0,
  };
}

/** What an error answer says: its code, message and request id, when it says them. */
export interface ErrorFacts {
  readonly errorCode: string | undefined;
  readonly message: string | undefined;
  readonly requestId: string | null;
}

function describeDetailItem(item: unknown): string {
  if (!isRecord(item)) return printable(item);
  // Only `loc` and `msg`: FastAPI's `input` may echo the request, password included.
  const loc = Array.isArray(item.loc) ? item.loc.map(printable).join(".") : undefined;
  const msg = stringOr(item.msg, "invalid");
  return loc ? `${loc}: ${msg}` : msg;
}

const MAX_MESSAGE_LENGTH = 500;

function clip(text: string): string {
  const single = text.replace(/\s+/g, " ").trim();
  return single.length > MAX_MESSAGE_LENGTH ? `${single.slice(0, MAX_MESSAGE_LENGTH)}…` : single;
}

/**
 * Reads the code and message of an error answer: an envelope's first error,
 * FastAPI's `detail` (string or list), or a short excerpt of a text body
 * (HTML is reduced to its title or text).
 */
export function readErrorFacts(body: ParsedBody): ErrorFacts {
  if (body.kind === "text") {
    // `[^<>]` rather than `[^>]`: each attempt then stops at the next "<", so a body of ten
    // million "<" takes linear time instead of hours (the timeout does not cover parsing).
    const title = /<title[^<>]*>([^<]*)<\/title>/i.exec(body.text)?.[1];
    const text = title ?? body.text.replace(/<[^<>]*>/g, " ");
    return { errorCode: undefined, message: clip(text) || undefined, requestId: null };
  }
  const value = body.value;
  if (!isRecord(value)) {
    return { errorCode: undefined, message: undefined, requestId: null };
  }
  const requestId = typeof value.request_id === "string" ? value.request_id : null;
  if (Array.isArray(value.errors) && value.errors.length > 0) {
    const first = normalizeEnvelopeError(value.errors[0]);
    return {
      errorCode: first.code === "unknown" ? undefined : first.code,
      message: first.message ? clip(first.message) : undefined,
      requestId,
    };
  }
  const detail = value.detail;
  if (typeof detail === "string") return { errorCode: undefined, message: clip(detail), requestId };
  if (Array.isArray(detail) && detail.length > 0) {
    return {
      errorCode: undefined,
      message: clip(detail.map(describeDetailItem).join("; ")),
      requestId,
    };
  }
  const code = typeof value.error_code === "string" ? value.error_code : undefined;
  const message = typeof value.error_message === "string" ? clip(value.error_message) : undefined;
  return { errorCode: code, message, requestId };
}
