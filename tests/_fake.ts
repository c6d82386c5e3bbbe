// Test doubles shared by the client tests: a scripted fetch, JWTs, a capturing logger.
import { type LogFields, type Logger, VectorVueClient, type VectorVueConfig } from "../mod.ts";
import { TENANT } from "./_fixtures.ts";

export { OTHER_TENANT, sampleEvent, TENANT } from "./_fixtures.ts";

function base64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** An unsigned-looking HS256 JWT with the given claims (the client reads, never verifies). */
export function makeJwt(claims: Record<string, unknown>, signature = "c2lnbmF0dXJl"): string {
  return `${base64Url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${
    base64Url(JSON.stringify(claims))
  }.${signature}`;
}

/** A token for TENANT that expires in an hour. */
export function validJwt(extra: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return makeJwt({ sub: "operator", tenant_id: TENANT, iat: now, exp: now + 3600, ...extra });
}

/** What the fake fetch saw of one request. */
export interface Seen {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly redirect: RequestRedirect | undefined;
}

type Reply = Response | Error | ((seen: Seen) => Response | Error | Promise<Response | Error>);

/** A fetch that answers from a script, in order, and records every request. */
export function scriptedFetch(...replies: Reply[]) {
  const seen: Seen[] = [];
  const queue = [...replies];
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, key) => (headers[key] = value));
    const record: Seen = {
      url: request.url,
      method: request.method,
      headers,
      body: await request.text(),
      redirect: init?.redirect,
    };
    seen.push(record);
    const next = queue.shift();
    if (next === undefined) throw new Error(`unexpected request ${record.method} ${record.url}`);
    const reply = typeof next === "function" ? await next(record) : next;
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return { fetch: fetchImpl as typeof fetch, seen, remaining: () => queue.length };
}

/**
 * `fetch` whose every answer (or failure) takes `ms` longer: a run's time then outlasts a tiny
 * `deliveryBudgetMs` whatever the jitter of the pauses between attempts (which may be 0).
 */
export function withLatency(fetchImpl: typeof fetch, ms: number): typeof fetch {
  return async (input, init) => {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return await fetchImpl(input, init);
  };
}

/** A JSON response. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** An accepted envelope. */
export function accepted(data: unknown = { event_id: "evt_1" }, status = 202): Response {
  return json(status, {
    request_id: crypto.randomUUID(),
    status: "accepted",
    data,
    errors: [],
    signature: null,
  });
}

/** The login answer of the real server. */
export function loginOk(token = validJwt()): Response {
  return json(200, {
    access_token: token,
    token_type: "bearer",
    expires_in: 43200,
    tenant_id: TENANT,
    username: "operator",
  });
}

/** A logger that keeps every record. */
export function capturingLogger() {
  const records: { level: string; message: string; fields: LogFields }[] = [];
  const at = (level: string) => (message: string, fields: LogFields = {}) => {
    records.push({ level, message, fields });
  };
  const logger: Logger = {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
  return { logger, records };
}

/** Options of {@linkcode fakeBatchServer}. */
export interface FakeBatchServerOptions {
  /** Items for which this returns true are refused by the "server". */
  readonly refuse?: (item: Record<string, unknown>) => boolean;
  /** Batches longer than this get 422 batch_too_large. */
  readonly serverMaxBatch?: number;
  /** Statuses (or thrown errors) for the next requests, before normal answers. */
  readonly faults?: (number | Error | { status: number; headers?: Record<string, string> })[];
  /** Delay before each answer, in ms. */
  readonly delayMs?: number;
}

/**
 * A fetch that answers the batch routes as the server does: 202 with
 * per-item results, de-duplicating stored items by their `id` field.
 */
export function fakeBatchServer(options: FakeBatchServerOptions = {}) {
  const stored = new Map<string, Record<string, unknown>>();
  const faults = [...(options.faults ?? [])];
  const batchSizes: number[] = [];
  let inFlight = 0;
  let peakInFlight = 0;
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    inFlight++;
    peakInFlight = Math.max(peakInFlight, inFlight);
    try {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      const request = new Request(input, init);
      const items = JSON.parse(await request.text()) as Record<string, unknown>[];
      const fault = faults.shift();
      if (fault instanceof Error) throw fault;
      if (typeof fault === "number") return json(fault, { detail: "injected" });
      if (fault) return json(fault.status, { detail: "injected" }, fault.headers);
      if (options.serverMaxBatch !== undefined && items.length > options.serverMaxBatch) {
        return json(422, {
          request_id: crypto.randomUUID(),
          status: "failed",
          data: null,
          errors: [{
            code: "batch_too_large",
            message: `Batch size exceeds configured maximum (${options.serverMaxBatch})`,
          }],
          signature: null,
        });
      }
      batchSizes.push(items.length);
      const results = items.map((item, index) => {
        if (options.refuse?.(item)) {
          return {
            index,
            item_id: null,
            status: "failed",
            error_code: "validation_failed",
            error_message: "Field required",
          };
        }
        const id = String(item.id);
        stored.set(id, item);
        return { index, item_id: id, status: "accepted", error_code: null, error_message: null };
      });
      const failed = results.filter((r) => r.status === "failed").length;
      return json(202, {
        request_id: crypto.randomUUID(),
        status: failed === 0 ? "accepted" : failed === items.length ? "failed" : "partial",
        data: {
          summary: { total: items.length, accepted: items.length - failed, failed },
          results,
        },
        errors: [],
        signature: null,
      });
    } finally {
      inFlight--;
    }
  };
  return {
    fetch: fetchImpl as typeof fetch,
    stored,
    batchSizes,
    peakInFlight: () => peakInFlight,
  };
}

/** A token client on the given fetch, with back-off short enough for tests. */
export function fakeClient(fetchImpl: typeof fetch, extra: VectorVueConfig = {}): VectorVueClient {
  return new VectorVueClient({
    baseUrl: "https://vectorvue.test",
    token: validJwt(),
    backoffMs: 1,
    maxBackoffMs: 2,
    fetch: fetchImpl,
    ...extra,
  });
}

/**
 * Records the timers created through the global `setTimeout` while `run` is
 * pending, so a test can check that none is left behind. Deno's `node:test`
 * shim runs without the op sanitizer, and Node has none, so this is the check.
 */
export async function withTimerSpy<T>(
  run: (spy: { pending(): number; created(): number; delays(): number[] }) => Promise<T>,
): Promise<T> {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const live = new Set<unknown>();
  let created = 0;
  const delays: number[] = [];
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, ms?: number) => {
    delays.push(ms ?? 0);
    const id: unknown = realSetTimeout(() => {
      live.delete(id);
      callback();
    }, ms);
    live.add(id);
    created++;
    return id;
  }) as typeof setTimeout;
  globalThis.clearTimeout = ((id?: unknown) => {
    live.delete(id);
    realClearTimeout(id as number);
  }) as typeof clearTimeout;
  try {
    return await run({
      pending: () => live.size,
      created: () => created,
      delays: () => [...delays],
    });
  } finally {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
    for (const id of live) realClearTimeout(id as number);
  }
}
