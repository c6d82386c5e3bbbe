/**
 * Hooks: the caller's functions around every attempt, for tracing and
 * metrics (`beforeRequest`, `afterResponse`, `beforeRetry`). They see one
 * context object per attempt, with the token and request signature redacted;
 * they may add headers, never read or replace the client's own. A hook that
 * throws fails the call with a {@linkcode VectorVueHookError}.
 *
 * @module
 */

import { type VectorVueError, VectorVueHookError } from "./errors.ts";
import { REDACTED } from "./logger.ts";

/**
 * What a hook knows of one attempt. The same object goes to every hook of the
 * attempt, filled in as it progresses, so a hook may keep per-attempt state in
 * a `WeakMap` keyed by it (a span, a start time).
 *
 * @example Count attempts per route
 * ```ts
 * import type { HookContext } from "@spectrastrike/vectorvue-client";
 *
 * const attempts = new Map<string, number>();
 * const count = (context: HookContext) => {
 *   attempts.set(context.route, (attempts.get(context.route) ?? 0) + 1);
 * };
 * ```
 */
export interface HookContext {
  /** HTTP method. */
  readonly method: "GET" | "POST";
  /** The route as documented, a template for status (`.../ingest/status/{request_id}`). */
  readonly route: string;
  /** The full URL requested. */
  readonly url: string;
  /** 1 for the first attempt of a call, 2 for its first retry, and so on. */
  readonly attempt: number;
  /** The `X-Request-ID` this attempt sends. */
  readonly requestId: string;
  /**
   * The request headers. In `beforeRequest` a hook may `set()` or `append()`
   * headers of its own (`traceparent`, `baggage`); `Authorization` and
   * `X-Signature` read as `[REDACTED]`, and the client's own headers
   * (`authorization`, `x-signature`, `x-timestamp`, `idempotency-key`,
   * `x-request-id`, `content-type`, `accept`) cannot be changed.
   */
  readonly headers: Headers;
  /** The HTTP status, from `afterResponse` on; `undefined` before, or without an answer. */
  readonly status: number | undefined;
  /** Time from sending to the whole answer read, from `afterResponse` on. */
  readonly durationMs: number | undefined;
  /** In `beforeRetry`: how long the client waits before the next attempt. */
  readonly delayMs: number | undefined;
  /**
   * In `beforeRetry`: why the attempt is retried, the error the call would
   * have failed with (a {@linkcode VectorVueTransportError} for a connection
   * failure or timeout, a {@linkcode VectorVueAPIError} for 429/502/503/504).
   */
  readonly error: VectorVueError | undefined;
}

/**
 * A hook: called with the attempt's context; may be async, and is awaited.
 *
 * @example Propagate a W3C trace context
 * ```ts
 * import type { Hook } from "@spectrastrike/vectorvue-client";
 *
 * const addTraceparent: Hook = (context) => {
 *   context.headers.set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
 * };
 * ```
 */
export type Hook = (context: HookContext) => void | Promise<void>;

/**
 * The `hooks` option: lists of functions, run in order, each awaited.
 *
 * @example Time every attempt
 * ```ts
 * import type { VectorVueHooks } from "@spectrastrike/vectorvue-client";
 *
 * const latencies: number[] = [];
 * const hooks: VectorVueHooks = {
 *   afterResponse: [(context) => void latencies.push(context.durationMs ?? 0)],
 * };
 * ```
 */
export interface VectorVueHooks {
  /** Before every attempt is sent; may add headers. */
  readonly beforeRequest?: readonly Hook[];
  /** After every attempt that got an HTTP answer, whatever its status. */
  readonly afterResponse?: readonly Hook[];
  /** Before the wait ahead of every retry. */
  readonly beforeRetry?: readonly Hook[];
}

/** The phases, in the order they run. */
export const HOOK_NAMES = ["beforeRequest", "afterResponse", "beforeRetry"] as const;

/** Which phase a hook ran in. */
export type HookName = typeof HOOK_NAMES[number];

/** Headers the client sets and a hook may not change. */
const OWNED = [
  "authorization",
  "x-signature",
  "x-timestamp",
  "idempotency-key",
  "x-request-id",
  "content-type",
  "accept",
];
/** Of those, the ones hooks only see redacted. */
const SECRET = new Set(["authorization", "x-signature"]);

function redacted(name: string, value: string): string {
  if (!SECRET.has(name)) return value;
  // Keep the scheme, so a hook can tell a bearer token is present.
  return name === "authorization" ? value.replace(/^(\S+\s+)?.*$/, `$1${REDACTED}`) : REDACTED;
}

/** Problems with the `hooks` option (empty when it is usable). */
export function hooksProblems(hooks: unknown): string[] {
  if (hooks === undefined) return [];
  if (hooks === null || typeof hooks !== "object" || Array.isArray(hooks)) {
    return ["hooks must be an object like { beforeRequest: [fn] }"];
  }
  const problems: string[] = [];
  for (const [name, list] of Object.entries(hooks)) {
    if (!(HOOK_NAMES as readonly string[]).includes(name)) {
      problems.push(`hooks.${name} is not a hook; use ${HOOK_NAMES.join(", ")}`);
    } else if (
      list !== undefined &&
      (!Array.isArray(list) || !list.every((hook) => typeof hook === "function"))
    ) {
      problems.push(`hooks.${name} must be an array of functions`);
    }
  }
  return problems;
}

/** The mutable side of a {@linkcode HookContext}, which only the client writes. */
export type AttemptContext = { -readonly [K in keyof HookContext]: HookContext[K] };

/** A context for one attempt, its headers copied with the secrets redacted. */
export function attemptContext(
  fields: Pick<HookContext, "method" | "route" | "url" | "attempt" | "requestId">,
  headers: Readonly<Record<string, string>>,
): AttemptContext {
  const visible = new Headers();
  for (const [name, value] of Object.entries(headers)) visible.set(name, redacted(name, value));
  return {
    ...fields,
    headers: visible,
    status: undefined,
    durationMs: undefined,
    delayMs: undefined,
    error: undefined,
  };
}

/** The headers to send: the client's own, and whatever the hooks added. */
export function headersToSend(
  own: Readonly<Record<string, string>>,
  context: HookContext,
): Record<string, string> {
  const out: Record<string, string> = {};
  context.headers.forEach((value, name) => (out[name] = value));
  for (const name of OWNED) {
    if (own[name] === undefined) delete out[name];
    else out[name] = own[name];
  }
  return out;
}

/** The hook's name for messages: the function's own name, when it has one. */
function nameOf(phase: HookName, position: number, hook: Hook): string {
  return `${phase} hook #${position}${hook.name ? ` (${hook.name})` : ""}`;
}

/**
 * Runs one phase's hooks in order. A hook that throws, or changes a header the
 * client owns, rejects with a {@linkcode VectorVueHookError} naming it; `scrub`
 * cleans the message of secrets the hook's error may quote.
 */
export async function runHooks(
  phase: HookName,
  hooks: readonly Hook[] | undefined,
  context: AttemptContext,
  scrub: (text: string) => string,
): Promise<void> {
  if (!hooks || hooks.length === 0) return;
  const owned = OWNED.map((name) => [name, context.headers.get(name)] as const);
  for (const [index, hook] of hooks.entries()) {
    const which = nameOf(phase, index + 1, hook);
    try {
      await hook(context);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new VectorVueHookError(scrub(`${which} threw: ${reason}`), phase, index + 1, {
        cause: error,
      });
    }
    const changed = owned.find(([name, value]) => context.headers.get(name) !== value);
    if (changed) {
      throw new VectorVueHookError(
        `${which} changed the ${changed[0]} header, which the client sets itself`,
        phase,
        index + 1,
      );
    }
  }
}
