// The client API routes: login (`POST /api/v1/client/auth/login`) and client telemetry
// (`POST /api/v1/client/events`). Their bodies are FastAPI request models, so bad bodies get
// FastAPI's list-shaped 422 `detail`, not an envelope.
import type { EmulatorContext, IncomingRequest } from "./_context.ts";
import { detailResponse, internalServerError, jsonResponse } from "./_http.ts";
import { checkBearer, signJwt } from "./_jwt.ts";
import { type ModelSpec, validateModel, type ValidationIssue } from "../payloads/_pydantic.ts";
import { fromEpochMs, pydanticJson, type PyDateTime } from "../payloads/_python_datetime.ts";
import { pythonStrip } from "../payloads/_python_text.ts";
import {
  CLIENT_EVENT_MODEL,
  CLIENT_EVENT_TYPES,
  CLIENT_OBJECT_TYPES,
  LOGIN_MODEL,
} from "../payloads/rules.ts";
import { parsePostgresUuid } from "./_uuid.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder();

function validationError(issues: readonly ValidationIssue[], nowMs: number): Response {
  const detail = issues.map(({ type, loc, msg, input, ctx }) =>
    ctx === undefined
      ? { type, loc: ["body", ...loc], msg, input }
      : { type, loc: ["body", ...loc], msg, input, ctx }
  );
  return detailResponse(422, detail, nowMs);
}

/**
 * FastAPI's reading of a Pydantic body parameter: no body is "Field required" at `["body"]`;
 * a JSON content type (or none) is parsed as JSON; any other content type hands the raw text to
 * the model; then the model validates.
 */
function readModelBody(
  model: ModelSpec,
  incoming: IncomingRequest,
): { readonly value: Record<string, unknown> } | Response {
  const { body, nowMs, request } = incoming;
  const missing = () =>
    validationError([{ type: "missing", loc: [], msg: "Field required", input: null }], nowMs);
  if (body.length === 0) return missing();
  const contentType = request.headers.get("content-type");
  const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
  const [main, sub = ""] = mediaType.includes("/") ? mediaType.split("/") : ["text", "plain"];
  let value: unknown;
  if (
    contentType === null || (main === "application" && (sub === "json" || sub.endsWith("+json")))
  ) {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      return detailResponse(400, "There was an error parsing the body", nowMs);
    }
    try {
      value = JSON.parse(text);
    } catch {
      // Python reports the position and reason of the syntax error; this reports where the
      // document starts and Python's most common reason.
      const position = text.length - text.trimStart().length;
      return detailResponse(422, [{
        type: "json_invalid",
        loc: ["body", position],
        msg: "JSON decode error",
        input: {},
        ctx: { error: "Expecting value" },
      }], nowMs);
    }
    if (value === null) return missing();
  } else {
    value = lenient.decode(body);
  }
  const validated = validateModel(model, value);
  return validated.ok ? { value: validated.value } : validationError(validated.issues, nowMs);
}

/**
 * `client_login`: credentials, then the tenant (explicit, or the only active one), then the
 * user's access to it; answers the non-envelope token body.
 */
async function login(ctx: EmulatorContext, incoming: IncomingRequest): Promise<Response> {
  const { nowMs } = incoming;
  const body = readModelBody(LOGIN_MODEL, incoming);
  if (body instanceof Response) return body;
  const username = pythonStrip(body.value.username as string);
  const password = body.value.password as string;
  if (username === "" || password === "") {
    return detailResponse(400, "username and password are required", nowMs);
  }
  const user = ctx.config.users.find((candidate) => candidate.username === username);
  if (user === undefined || user.password !== password) {
    return detailResponse(401, "Invalid credentials", nowMs);
  }

  let tenantId: string;
  const requested = body.value.tenant_id as string | null;
  if (requested) {
    const id = parsePostgresUuid(requested);
    // Compared against a `uuid` column: a malformed id fails in PostgreSQL.
    if (id === undefined) return internalServerError(nowMs);
    const active = ctx.config.tenants.get(id);
    if (active === undefined) return detailResponse(401, "Unknown tenant_id", nowMs);
    if (!active) return detailResponse(403, "Tenant is inactive", nowMs);
    tenantId = id;
  } else {
    const active = [...ctx.config.tenants].filter(([, isActive]) => isActive);
    if (active.length !== 1) {
      return detailResponse(400, "tenant_id is required for multi-tenant login", nowMs);
    }
    tenantId = active[0][0];
  }
  if (user.tenantId !== tenantId) {
    return detailResponse(403, "User is not authorized for tenant", nowMs);
  }

  const iat = Math.floor(nowMs / 1000);
  const ttl = ctx.config.tokenTtlSeconds;
  const accessToken = await signJwt({
    sub: user.username,
    tenant_id: tenantId,
    role: user.role,
    iat,
    exp: iat + ttl,
    iss: "vectorvue-client-api",
  }, ctx.config.jwtSecret);
  return jsonResponse(200, {
    access_token: accessToken,
    token_type: "bearer",
    expires_in: ttl,
    tenant_id: tenantId,
    username: user.username,
  }, nowMs);
}

/**
 * Client telemetry. The server source of this route was not available: the order here is
 * bearer guard, body model, event/object type, then the per tenant+user rate limit; the insert
 * is asynchronous on the server, so an event for an unknown tenant is answered 202 and dropped.
 */
async function clientEvents(ctx: EmulatorContext, incoming: IncomingRequest): Promise<Response> {
  const { nowMs, request } = incoming;
  const bearer = await checkBearer(
    request.headers.get("authorization"),
    ctx.config.jwtSecret,
    nowMs,
  );
  if (!bearer.ok) return detailResponse(401, bearer.detail, nowMs);
  const body = readModelBody(CLIENT_EVENT_MODEL, incoming);
  if (body instanceof Response) return body;
  const rawType = body.value.event_type as string;
  const eventType = pythonStrip(rawType).toUpperCase();
  if (!CLIENT_EVENT_TYPES.has(eventType)) {
    return detailResponse(422, `Unsupported event_type: ${rawType}`, nowMs);
  }
  const rawObjectType = body.value.object_type as string;
  const objectType = pythonStrip(rawObjectType).toLowerCase();
  if (!CLIENT_OBJECT_TYPES.has(objectType)) {
    return detailResponse(422, `Unsupported object_type: ${rawObjectType}`, nowMs);
  }
  const user = typeof bearer.claims.sub === "string" ? bearer.claims.sub : "";
  const limiter = ctx.clientEventLimiter;
  if (limiter !== undefined && !limiter.allow(JSON.stringify([bearer.tenantId, user]), nowMs)) {
    return detailResponse(429, "Event rate limit exceeded", nowMs);
  }
  if (ctx.config.tenants.has(bearer.tenantId)) {
    const timestamp = body.value.timestamp as PyDateTime | null;
    ctx.store.insertClientEvent(bearer.tenantId, {
      user,
      event_type: eventType,
      object_type: objectType,
      object_id: body.value.object_id as string | null,
      severity: body.value.severity as string | null,
      timestamp: pydanticJson(timestamp ?? fromEpochMs(nowMs)),
      metadata_json: body.value.metadata_json as Record<string, unknown>,
    });
  }
  return jsonResponse(202, { accepted: true }, nowMs);
}

/** Handlers of the client API routes, by route. */
export const clientHandlers = { login, clientEvents };
