// The integration routes' response envelope and the steps every POST route starts with: the
// request id, the optional request signature, the bearer guard, and reading the JSON body.
import type { EmulatorContext, IncomingRequest } from "./_context.ts";
import { detailResponse, internalServerError, jsonResponse } from "./_http.ts";
import { checkBearer } from "./_jwt.ts";
import { pythonStrip } from "../payloads/_python_text.ts";
import { checkRequestSignature, type EnvelopeSignature, signEnvelope } from "./_signing.ts";
import { parsePostgresUuid } from "./_uuid.ts";

/** The `status` values an envelope can carry. */
export type EnvelopeStatus = "accepted" | "partial" | "failed" | "replayed";

/** The integration response envelope, in the server's field order. */
export interface Envelope {
  readonly request_id: string;
  readonly status: EnvelopeStatus;
  readonly data: unknown;
  readonly errors: readonly { readonly code: string; readonly message: string }[];
  readonly signature: EnvelopeSignature | null;
}

/** What the routes know once the signature and bearer checks passed. */
export interface Caller {
  readonly requestId: string;
  readonly tenantId: string;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** An envelope as a JSON response. */
export function envelopeResponse(status: number, envelope: Envelope, nowMs: number): Response {
  return jsonResponse(status, envelope, nowMs);
}

/** What a success envelope says, and what its signature covers. */
export interface SignedEnvelopeFields {
  readonly requestId: string;
  readonly status: EnvelopeStatus;
  /** The data as the client receives it. */
  readonly data: unknown;
  /** The path the signature covers (the route's template for a path with a parameter). */
  readonly path: string;
  readonly tenantId: string;
  readonly nowMs: number;
  /** The data as the server holds it when that differs from `data` (datetimes). */
  readonly signed?: unknown;
}

/**
 * A success envelope as the server builds it: no errors, and the compliance signature (or
 * `null` when no signing key is configured).
 */
export async function signedEnvelope(
  ctx: EmulatorContext,
  fields: SignedEnvelopeFields,
): Promise<Envelope> {
  return {
    request_id: fields.requestId,
    status: fields.status,
    data: fields.data,
    errors: [],
    signature: await signEnvelope(
      ctx.config.complianceSigningKey,
      fields.path,
      fields.tenantId,
      "signed" in fields ? fields.signed : fields.data,
      fields.nowMs,
    ),
  };
}

/** `_error_response`: a failed envelope with empty data and one error, never signed. */
export function errorEnvelope(
  requestId: string,
  code: string,
  message: string,
  status: number,
  nowMs: number,
): Response {
  return envelopeResponse(status, {
    request_id: requestId,
    status: "failed",
    data: {},
    errors: [{ code, message }],
    signature: null,
  }, nowMs);
}

/**
 * `_request_id`: the X-Request-ID header as sent (stripped), else a fresh UUID4. It is only
 * validated when the database stores it (see {@linkcode persistedRequestId}).
 */
export function requestIdOf(request: Request): string {
  return pythonStrip(request.headers.get("x-request-id") ?? "") || crypto.randomUUID();
}

/** The start of every POST route: request id, optional request signature, bearer guard. */
export async function admit(
  ctx: EmulatorContext,
  incoming: IncomingRequest,
): Promise<Caller | Response> {
  const { request, body, nowMs } = incoming;
  const requestId = requestIdOf(request);
  const { signatureSecret, signatureMaxSkewSeconds } = ctx.config;
  if (signatureSecret !== undefined) {
    const check = await checkRequestSignature(
      signatureSecret,
      signatureMaxSkewSeconds,
      request.headers,
      body,
      nowMs,
    );
    if (!check.ok) {
      return "crash" in check
        ? internalServerError(nowMs)
        : detailResponse(401, check.detail, nowMs);
    }
  }
  const bearer = await checkBearer(
    request.headers.get("authorization"),
    ctx.config.jwtSecret,
    nowMs,
  );
  if (!bearer.ok) return detailResponse(401, bearer.detail, nowMs);
  return { requestId, tenantId: bearer.tenantId };
}

/** Outcome of {@linkcode readJsonBody}. */
export type JsonBody = { readonly ok: true; readonly value: unknown } | {
  readonly ok: false;
  readonly response: Response;
};

/**
 * `_read_json_body`: empty → "Request body is required", bad JSON → "Invalid JSON payload",
 * both as 422 envelopes. Bytes that are not UTF-8 make `json.loads` raise outside that handler.
 */
export function readJsonBody(incoming: IncomingRequest, requestId: string): JsonBody {
  const { body, nowMs } = incoming;
  const fail = (message: string) => ({
    ok: false as const,
    response: errorEnvelope(requestId, "validation_failed", message, 422, nowMs),
  });
  if (body.length === 0) return fail("Request body is required");
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return { ok: false, response: internalServerError(nowMs) };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return fail("Invalid JSON payload");
  }
}

/**
 * The request id and tenant only meet the database when something is stored: a request id that
 * is not a UUID fails the `uuid` column and a tenant the server does not know fails the foreign
 * key, and both surface as a 500. Returns the canonical request id, or `undefined` for "500".
 */
export function persistedRequestId(ctx: EmulatorContext, caller: Caller): string | undefined {
  const requestId = parsePostgresUuid(caller.requestId);
  return requestId !== undefined && ctx.config.tenants.has(caller.tenantId) ? requestId : undefined;
}
