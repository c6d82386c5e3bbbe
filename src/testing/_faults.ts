// Fault injection: what a test can make the emulator (or the network in front of it) do to the
// next matching requests, and how a queued fault turns into a response, a slow body, or a
// dropped connection.
import { delay } from "./_abort.ts";
import { fixedResponse } from "./_http.ts";
import { markStreamed } from "../platform/serving.ts";

/**
 * A fault for {@linkcode VectorVueEmulator.inject}: how to misbehave on the next `count`
 * requests whose path matches.
 *
 * With `status`, `body` or `redirect` the emulator answers with that response instead of
 * handling the request (like a proxy in front of the server would). Without them the request is
 * handled normally and the fault only shapes the answer: `delayMs` first, then `headers`,
 * `retryAfter`, `contentType`, `trickleMs` and `drop: "mid-body"` apply to the real response
 * (so "the server stored it but the client lost the answer" can be tested).
 * `drop: "before-response"` closes the connection without answering and without handling the
 * request.
 *
 * @example Three 503s from a proxy, the first with Retry-After
 * ```ts
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator();
 * emulator.inject({ status: 503, retryAfter: "1", body: "<html>Service Unavailable</html>" });
 * emulator.inject({ count: 2, path: /\/events$/, status: 503, contentType: "text/html" });
 * emulator.inject({ drop: "before-response", path: "/api/v1/integrations/spectrastrike/events" });
 * ```
 */
export interface Fault {
  /**
   * How many matching requests the fault applies to.
   * @default {1}, or no limit with `forMs`
   */
  readonly count?: number;
  /**
   * An outage: the fault applies to every matching request for this many ms after it was
   * injected (on the emulator's clock), then stops; with `count` as well, whichever ends first.
   * `emulator.inject({ forMs: 10_000, status: 503, body: "" })` is a server down for 10 s.
   */
  readonly forMs?: number;
  /**
   * Only requests whose URL path equals this string or matches this pattern. Without it the
   * fault matches every path except the login route (so a client can still log in).
   */
  readonly path?: string | RegExp;
  /**
   * Answer with this status instead of handling the request.
   * @default {200} when only `body` is given
   */
  readonly status?: number;
  /** Raw response body, for example `"<html>Bad Gateway</html>"`, `""`, or truncated JSON. */
  readonly body?: string;
  /** `Content-Type` of the answer. */
  readonly contentType?: string;
  /** `Retry-After` header value: seconds (`"2"`) or an HTTP-date. */
  readonly retryAfter?: string;
  /** Extra response headers (they win over every other header, `Date` included). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Wait this long before answering; aborted with the request or when the server closes. */
  readonly delayMs?: number;
  /**
   * Drop the connection so the client sees a network error, not an HTTP status:
   * `"before-response"` sends nothing; `"mid-body"` sends the status, headers and half the body.
   */
  readonly drop?: "before-response" | "mid-body";
  /** Answer with a redirect instead of handling the request. */
  readonly redirect?: { readonly status: 301 | 302 | 307 | 308; readonly location: string };
  /** Send the headers, then the body one byte every `trickleMs` (slow-server tests). */
  readonly trickleMs?: number;
}

const LOGIN_PATH = "/api/v1/client/auth/login";
const FAULT_KEYS = new Set([
  "count",
  "forMs",
  "path",
  "status",
  "body",
  "contentType",
  "retryAfter",
  "headers",
  "delayMs",
  "drop",
  "redirect",
  "trickleMs",
]);

const isNonNegative = (value: unknown) =>
  typeof value === "number" && Number.isFinite(value) && value >= 0;

/** Every problem with a fault, as messages that name the option and its value. */
export function faultProblems(fault: Fault): string[] {
  const problems: string[] = [];
  const say = (name: string, rule: string, value: unknown) =>
    problems.push(`'${name}' must be ${rule}: current value is ${JSON.stringify(value) ?? value}`);
  if (typeof fault !== "object" || fault === null) return ["a fault must be an object"];
  for (const key of Object.keys(fault)) {
    if (!FAULT_KEYS.has(key)) problems.push(`unknown fault option '${key}'`);
  }
  const { count, path, status, delayMs, trickleMs, drop, redirect } = fault;
  if (count !== undefined && !(Number.isInteger(count) && count >= 1)) {
    say("count", "an integer of at least 1", count);
  }
  if (path !== undefined && typeof path !== "string" && !(path instanceof RegExp)) {
    say("path", "a string or a RegExp", path);
  }
  if (status !== undefined && !(Number.isInteger(status) && status >= 200 && status <= 599)) {
    say("status", "an integer from 200 to 599", status);
  }
  for (const name of ["body", "contentType", "retryAfter"] as const) {
    if (fault[name] !== undefined && typeof fault[name] !== "string") {
      say(name, "a string", fault[name]);
    }
  }
  if (delayMs !== undefined && !isNonNegative(delayMs)) say("delayMs", "a number >= 0", delayMs);
  if (fault.forMs !== undefined && !isNonNegative(fault.forMs)) {
    say("forMs", "a number >= 0", fault.forMs);
  }
  if (trickleMs !== undefined && !isNonNegative(trickleMs)) {
    say("trickleMs", "a number >= 0", trickleMs);
  }
  if (drop !== undefined && drop !== "before-response" && drop !== "mid-body") {
    say("drop", '"before-response" or "mid-body"', drop);
  }
  if (
    redirect !== undefined &&
    !(typeof redirect === "object" && [301, 302, 307, 308].includes(redirect.status) &&
      typeof redirect.location === "string")
  ) {
    say("redirect", "{ status: 301|302|307|308, location: string }", redirect);
  }
  if (redirect !== undefined && (status !== undefined || fault.body !== undefined)) {
    problems.push("'redirect' cannot be combined with 'status' or 'body'");
  }
  return problems;
}

/** Queued faults, consumed in the order they were injected. */
export class FaultQueue {
  readonly #queue: { fault: Fault; remaining: number; until: number }[] = [];
  readonly #now: () => number;

  /** `now` is the clock `forMs` is measured on. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Queues a fault (validated by the caller). */
  add(fault: Fault): void {
    const timed = fault.forMs !== undefined;
    this.#queue.push({
      fault: { ...fault },
      remaining: fault.count ?? (timed ? Infinity : 1),
      until: timed ? this.#now() + fault.forMs! : Infinity,
    });
  }

  /** The first fault matching `path`, with one use consumed; `undefined` when none match. */
  take(path: string): Fault | undefined {
    const now = this.#now();
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      if (this.#queue[i].until <= now) this.#queue.splice(i, 1);
    }
    const index = this.#queue.findIndex(({ fault }) => matches(fault, path));
    if (index < 0) return undefined;
    const entry = this.#queue[index];
    entry.remaining--;
    if (entry.remaining === 0) this.#queue.splice(index, 1);
    return entry.fault;
  }

  /** Drops every queued fault. */
  clear(): void {
    this.#queue.length = 0;
  }
}

function matches(fault: Fault, path: string): boolean {
  if (fault.path === undefined) return path !== LOGIN_PATH;
  if (typeof fault.path === "string") return fault.path === path;
  fault.path.lastIndex = 0;
  return fault.path.test(path);
}

/**
 * Applies a fault. Resolves to the response to send, or `null` for "drop the connection before
 * responding". `handle` runs the real request handling when the fault does not replace it.
 */
export async function applyFault(
  fault: Fault,
  nowMs: () => number,
  signals: readonly AbortSignal[],
  handle: () => Promise<Response>,
): Promise<Response | null> {
  if (fault.delayMs !== undefined && fault.delayMs > 0) await delay(fault.delayMs, signals);
  if (fault.drop === "before-response") return null;
  let response: Response;
  if (fault.redirect !== undefined) {
    response = fixedResponse(fault.redirect.status, "", nowMs(), {
      location: fault.redirect.location,
    });
  } else if (fault.status !== undefined || fault.body !== undefined) {
    response = fixedResponse(fault.status ?? 200, fault.body ?? "", nowMs());
  } else {
    response = await handle();
  }
  const headers = new Headers(response.headers);
  if (fault.contentType !== undefined) headers.set("content-type", fault.contentType);
  if (fault.retryAfter !== undefined) headers.set("retry-after", fault.retryAfter);
  for (const [name, value] of Object.entries(fault.headers ?? {})) headers.set(name, value);
  const shaped = fault.drop === "mid-body" || (fault.trickleMs ?? 0) > 0;
  if (!shaped || response.body === null) {
    return new Response(response.body, { status: response.status, headers });
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const sent = fault.drop === "mid-body" ? bytes.subarray(0, Math.floor(bytes.length / 2)) : bytes;
  const body = shapedBody(sent, fault.drop === "mid-body", fault.trickleMs ?? 0, signals);
  return markStreamed(new Response(body, { status: response.status, headers }));
}

// A body that sends `bytes` (all at once, or one byte per `trickleMs`), then ends or errors.
// It only works when read (high-water mark 0), so an unread body never holds a timer, and a
// pending wait stops when the reader cancels or one of `signals` aborts.
function shapedBody(
  bytes: Uint8Array,
  failAtEnd: boolean,
  trickleMs: number,
  signals: readonly AbortSignal[],
): ReadableStream<Uint8Array> {
  const cancelled = new AbortController();
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset < bytes.length) {
        if (trickleMs > 0) {
          try {
            await delay(trickleMs, [...signals, cancelled.signal]);
          } catch (reason) {
            controller.error(reason);
            return;
          }
        }
        const size = trickleMs > 0 ? 1 : bytes.length;
        controller.enqueue(bytes.slice(offset, offset + size));
        offset += size;
      } else if (failAtEnd) {
        controller.error(new TypeError("connection dropped mid-body (emulated fault)"));
      } else {
        controller.close();
      }
    },
    cancel() {
      cancelled.abort();
    },
  }, { highWaterMark: 0 });
}
