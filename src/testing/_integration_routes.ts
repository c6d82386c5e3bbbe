// The SpectraStrike integration routes (`/api/v1/integrations/spectrastrike/*`): the four POST
// ingestion routes and the status poll, step for step in the real server's order.
import { pythonCanonicalJson } from "../canonical_json.ts";
import type { EmulatorContext, IncomingRequest } from "./_context.ts";
import { sha256Hex } from "./_crypto.ts";
import {
  admit,
  type Caller,
  envelopeResponse,
  errorEnvelope,
  persistedRequestId,
  readJsonBody,
  requestIdOf,
  signedEnvelope,
} from "./_envelope.ts";
import { detailResponse, internalServerError, jsonResponse } from "./_http.ts";
import { EVENTS, FINDINGS, type ItemKind } from "./_item_kinds.ts";
import { jsonbStringify } from "./_jsonb.ts";
import { checkBearer } from "./_jwt.ts";
import { validateModel } from "../payloads/_pydantic.ts";
import { fromEpochMs, pydanticJson, pythonStr } from "../payloads/_python_datetime.ts";
import { pythonStrip } from "../payloads/_python_text.ts";
import type { BatchItemResult } from "./_store.ts";
import { parsePostgresUuid } from "./_uuid.ts";

/** Path prefix of every integration route. */
export const INTEGRATION_PREFIX = "/api/v1/integrations/spectrastrike";
const STATUS_TEMPLATE = `${INTEGRATION_PREFIX}/ingest/status/{request_id}`;

/**
 * The answer stored under an idempotency key: replayed when the payload is the same, a 409
 * when it differs; `undefined` when the key is new.
 */
function replayed(
  ctx: EmulatorContext,
  caller: Caller,
  incoming: IncomingRequest,
  idempotencyKey: string,
  requestHash: string,
): Response | undefined {
  const { nowMs, path: endpoint } = incoming;
  const stored = ctx.store.idempotent(caller.tenantId, endpoint, idempotencyKey);
  if (stored !== undefined && stored.requestHash !== requestHash) {
    return errorEnvelope(
      caller.requestId,
      "idempotency_conflict",
      "Idempotency-Key reuse with different payload",
      409,
      nowMs,
    );
  }
  if (stored !== undefined) {
    return jsonResponse(
      stored.statusCode,
      undefined,
      nowMs,
      { "x-idempotent-replay": "true" },
      jsonbStringify(stored.responseJson),
    );
  }
  return undefined;
}

/** `POST .../events` and `POST .../findings`: one item; idempotency keys only on events. */
async function ingestOne(
  kind: ItemKind,
  ctx: EmulatorContext,
  incoming: IncomingRequest,
): Promise<Response> {
  const caller = await admit(ctx, incoming);
  if (caller instanceof Response) return caller;
  const { nowMs, path: endpoint } = incoming;
  const idempotencyKey = kind === EVENTS
    ? pythonStrip(incoming.request.headers.get("idempotency-key") ?? "") || null
    : null;
  const body = readJsonBody(incoming, caller.requestId);
  if (!body.ok) return body.response;

  const requestHash = await sha256Hex(pythonCanonicalJson(body.value));
  if (idempotencyKey !== null) {
    // The replay check runs before schema validation, as on the server.
    const replay = replayed(ctx, caller, incoming, idempotencyKey, requestHash);
    if (replay !== undefined) return replay;
  }

  const validated = validateModel(kind.model, body.value);
  if (!validated.ok) {
    return errorEnvelope(
      caller.requestId,
      "validation_failed",
      "Payload validation failed",
      422,
      nowMs,
    );
  }
  const uid = await kind.id(validated.value);
  const requestId = persistedRequestId(ctx, caller);
  if (requestId === undefined) return internalServerError(nowMs);
  kind.store(ctx, { ...caller, requestId }, uid, validated.value, nowMs);
  ctx.store.recordStatus({
    requestId,
    tenantId: caller.tenantId,
    endpoint,
    status: "accepted",
    total: 1,
    accepted: 1,
    failed: 0,
    failedItems: [],
    idempotencyKey: pythonStrip(incoming.request.headers.get("idempotency-key") ?? "") || null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
  const envelope = await signedEnvelope(ctx, {
    requestId: caller.requestId,
    status: "accepted",
    data: { [kind.idField]: uid },
    path: endpoint,
    tenantId: caller.tenantId,
    nowMs,
  });
  if (idempotencyKey !== null) {
    ctx.store.storeIdempotent(caller.tenantId, endpoint, idempotencyKey, {
      requestHash,
      responseJson: structuredClone(envelope),
      statusCode: 202,
    });
  }
  return envelopeResponse(202, envelope, nowMs);
}

/** Each item of a batch validated on its own: its result, and the accepted items with their ids. */
async function validateItems(kind: ItemKind, items: readonly unknown[]): Promise<{
  results: BatchItemResult[];
  accepted: { uid: string; item: Record<string, unknown> }[];
}> {
  const results: BatchItemResult[] = [];
  const accepted: { uid: string; item: Record<string, unknown> }[] = [];
  for (const [index, raw] of items.entries()) {
    const validated = validateModel(kind.model, raw);
    if (validated.ok) {
      const uid = await kind.id(validated.value);
      accepted.push({ uid, item: validated.value });
      results.push({
        index,
        item_id: uid,
        status: "accepted",
        error_code: null,
        error_message: null,
      });
    } else {
      results.push({
        index,
        item_id: null,
        status: "failed",
        error_code: "validation_failed",
        error_message: validated.issues[0].msg,
      });
    }
  }
  return { results, accepted };
}

/** `POST .../events/batch` and `POST .../findings/batch`: 202 even when every item failed. */
async function ingestBatch(
  kind: ItemKind,
  ctx: EmulatorContext,
  incoming: IncomingRequest,
): Promise<Response> {
  const caller = await admit(ctx, incoming);
  if (caller instanceof Response) return caller;
  const { nowMs, path: endpoint } = incoming;
  const body = readJsonBody(incoming, caller.requestId);
  if (!body.ok) return body.response;
  if (!Array.isArray(body.value)) {
    return errorEnvelope(
      caller.requestId,
      "validation_failed",
      "Batch payload must be an array",
      422,
      nowMs,
    );
  }
  const max = ctx.config.maxBatchSize;
  if (body.value.length > max) {
    return errorEnvelope(
      caller.requestId,
      "batch_too_large",
      `Batch size exceeds configured maximum (${max})`,
      422,
      nowMs,
    );
  }

  const { results, accepted } = await validateItems(kind, body.value);
  // Even an all-invalid batch writes a status row, so a bad request id or unknown tenant is a
  // 500 whatever the items were.
  const requestId = persistedRequestId(ctx, caller);
  if (requestId === undefined) return internalServerError(nowMs);
  for (const { uid, item } of accepted) kind.store(ctx, { ...caller, requestId }, uid, item, nowMs);

  const total = body.value.length;
  const failed = total - accepted.length;
  const status = failed === 0 ? "accepted" : accepted.length === 0 ? "failed" : "partial";
  ctx.store.recordStatus({
    requestId,
    tenantId: caller.tenantId,
    endpoint,
    status,
    total,
    accepted: accepted.length,
    failed,
    failedItems: results.filter((result) => result.status === "failed"),
    idempotencyKey: pythonStrip(incoming.request.headers.get("idempotency-key") ?? "") || null,
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
  });
  const envelope = await signedEnvelope(ctx, {
    requestId: caller.requestId,
    status,
    data: { summary: { total, accepted: accepted.length, failed }, results },
    path: endpoint,
    tenantId: caller.tenantId,
    nowMs,
  });
  return envelopeResponse(202, envelope, nowMs);
}

/**
 * `GET .../ingest/status/{request_id}`: the tenant's own records only (another tenant's id is
 * "Request not found"); the envelope's `request_id` is this request's, its status is always
 * `accepted`, and the signature covers the template path.
 */
async function ingestStatus(
  ctx: EmulatorContext,
  incoming: IncomingRequest,
  pathRequestId: string,
): Promise<Response> {
  const { request, nowMs } = incoming;
  const requestId = requestIdOf(request);
  const bearer = await checkBearer(
    request.headers.get("authorization"),
    ctx.config.jwtSecret,
    nowMs,
  );
  if (!bearer.ok) return detailResponse(401, bearer.detail, nowMs);
  const lookup = parsePostgresUuid(pathRequestId);
  // The lookup compares against a `uuid` column: a malformed id fails in PostgreSQL.
  if (lookup === undefined) return internalServerError(nowMs);
  const record = ctx.store.status(lookup, bearer.tenantId);
  if (record === undefined) return detailResponse(404, "Request not found", nowMs);

  const created = fromEpochMs(record.createdAtMs);
  const updated = fromEpochMs(record.updatedAtMs);
  const data = {
    request_id: record.requestId,
    status: record.status,
    endpoint: record.endpoint,
    counts: { total: record.total, accepted: record.accepted, failed: record.failed },
    failed_items: record.failedItems,
    created_at: pydanticJson(created),
    updated_at: pydanticJson(updated),
  };
  // The server signs `model_dump(mode="python")`: its datetimes reach `json.dumps` through
  // `default=str`, so the signed text differs from the JSON the client receives.
  const signed = { ...data, created_at: pythonStr(created), updated_at: pythonStr(updated) };
  const envelope = await signedEnvelope(ctx, {
    requestId,
    status: "accepted",
    data,
    path: STATUS_TEMPLATE,
    tenantId: bearer.tenantId,
    nowMs,
    signed,
  });
  return envelopeResponse(200, envelope, nowMs);
}

/** Handlers of the integration routes, by route. */
export const integrationHandlers = {
  events: (ctx: EmulatorContext, incoming: IncomingRequest): Promise<Response> =>
    ingestOne(EVENTS, ctx, incoming),
  eventsBatch: (ctx: EmulatorContext, incoming: IncomingRequest): Promise<Response> =>
    ingestBatch(EVENTS, ctx, incoming),
  findings: (ctx: EmulatorContext, incoming: IncomingRequest): Promise<Response> =>
    ingestOne(FINDINGS, ctx, incoming),
  findingsBatch: (ctx: EmulatorContext, incoming: IncomingRequest): Promise<Response> =>
    ingestBatch(FINDINGS, ctx, incoming),
  status: ingestStatus,
};
