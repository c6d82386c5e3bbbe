/**
 * The caller's hooks around one attempt: one context per attempt, shared by
 * every hook of it, and none made for a client without hooks.
 *
 * @module
 */

import type { VectorVueError } from "../errors.ts";
import {
  type AttemptContext,
  attemptContext,
  headersToSend,
  type HookContext,
  runHooks,
  type VectorVueHooks,
} from "../hooks.ts";

/** The hooks of one attempt. */
export class AttemptHooks {
  readonly #hooks: VectorVueHooks;
  readonly #context: AttemptContext;
  readonly #scrub: (text: string) => string;

  private constructor(
    hooks: VectorVueHooks,
    context: AttemptContext,
    scrub: (text: string) => string,
  ) {
    this.#hooks = hooks;
    this.#context = context;
    this.#scrub = scrub;
  }

  /** The hooks of an attempt, or `undefined` when the client has none. */
  static start(
    hooks: VectorVueHooks,
    scrub: (text: string) => string,
    facts: Pick<HookContext, "method" | "route" | "url" | "attempt" | "requestId">,
    headers: Readonly<Record<string, string>>,
  ): AttemptHooks | undefined {
    const { beforeRequest, afterResponse, beforeRetry } = hooks;
    if (!(beforeRequest?.length || afterResponse?.length || beforeRetry?.length)) return undefined;
    return new AttemptHooks(hooks, attemptContext(facts, headers), scrub);
  }

  /** The headers to send: the client's own and those the hooks added. */
  headersToSend(own: Readonly<Record<string, string>>): Record<string, string> {
    return headersToSend(own, this.#context);
  }

  /** Runs `beforeRequest`. */
  async beforeRequest(): Promise<void> {
    await runHooks("beforeRequest", this.#hooks.beforeRequest, this.#context, this.#scrub);
  }

  /** Runs `afterResponse` with the answer's status. */
  async afterResponse(status: number, durationMs: number): Promise<void> {
    this.#context.status = status;
    this.#context.durationMs = durationMs;
    await runHooks("afterResponse", this.#hooks.afterResponse, this.#context, this.#scrub);
  }

  /** Runs `beforeRetry`; the error is made only when a hook will see it. */
  async beforeRetry(delayMs: number, error: () => VectorVueError): Promise<void> {
    const { beforeRetry } = this.#hooks;
    if (!beforeRetry?.length) return;
    this.#context.delayMs = delayMs;
    this.#context.error = error();
    await runHooks("beforeRetry", beforeRetry, this.#context, this.#scrub);
  }
}
