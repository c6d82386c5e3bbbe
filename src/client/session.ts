/**
 * The session: the bearer token, logging in (one login shared by every
 * caller that needs it) and renewing the token before it expires.
 *
 * @module
 */

import type { ResolvedConfig } from "../config.ts";
import { VectorVueResponseError, VectorVueTokenError } from "../errors.ts";
import { inspectToken, type TokenInfo } from "../jwt.ts";
import type { Scrubber } from "../logger.ts";
import { serializeObject } from "../serialize.ts";
import type { AnswerErrors } from "./answer_errors.ts";
import type { CallOptions } from "./call_options.ts";
import type { ServerClock } from "./clock.ts";
import type { ClientLog } from "./log.ts";
import type { Exchange, Operation } from "./operation.ts";
import { PATHS } from "./paths.ts";

/** Renew a token this long before it expires. */
const TOKEN_RENEW_MARGIN_MS = 60_000;

interface Token {
  readonly token: string;
  readonly info: TokenInfo;
  /** When the token was issued (`iat`, else when the client got it), to size the renewal margin. */
  readonly obtainedAtMs: number;
}

interface SharedLogin {
  readonly promise: Promise<Token>;
  readonly controller: AbortController;
  waiters: number;
}

/** How the session sends its login: the client's call pipeline. */
export type Exchanger = (operation: Operation, limits: CallOptions) => Promise<Exchange>;

/** What the session needs of the client. */
export interface SessionParts {
  readonly config: ResolvedConfig;
  readonly clock: ServerClock;
  readonly scrubber: Scrubber;
  readonly errors: AnswerErrors;
  readonly log: ClientLog;
  readonly exchange: Exchanger;
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The token of one client, and the logins that renew it. */
export class ClientSession {
  readonly #parts: SessionParts;
  #current: Token | undefined;
  /** The login being made, shared by its waiters; it stops when the last one leaves. */
  #loginInFlight: SharedLogin | undefined;

  /** A session for `parts.config`: its configured `token`, if any, is checked now. */
  constructor(parts: SessionParts) {
    this.#parts = parts;
    const { token, tenantId } = parts.config;
    if (token !== undefined) {
      const info = inspectToken(token, tenantId) as TokenInfo;
      this.#current = { token, info, obtainedAtMs: info.issuedAtMs ?? Date.now() };
    }
  }

  /** Whether credentials are configured, so the client can log in (and renew). */
  get canLogin(): boolean {
    return this.#parts.config.username !== undefined;
  }

  /** The tenant of the current token, if there is one. */
  get tenantId(): string | undefined {
    return this.#current?.info.tenantId;
  }

  /** Logs in now (with credentials) or checks the configured token; returns the token. */
  async login(limits: CallOptions): Promise<string> {
    if (!this.canLogin) return await this.bearer(limits);
    const session = await this.#sharedLogin(limits);
    return session.token;
  }

  /** Drops `token` after the server refused it, unless a newer one replaced it already. */
  forget(token: string | undefined): void {
    if (this.#current?.token === token) this.#current = undefined;
  }

  /** The token for a request; a login it needs is made within the call's `limits`. */
  async bearer(limits: CallOptions = {}): Promise<string> {
    const session = this.#current;
    const expiresAt = session?.info.expiresAtMs;
    // Renew 60 s early, or half-way for a token that lives less than two minutes.
    // Without credentials there is nothing to renew with: use the token until it expires.
    const margin = session && expiresAt !== undefined && this.canLogin
      ? Math.min(TOKEN_RENEW_MARGIN_MS, (expiresAt - session.obtainedAtMs) / 2)
      : 0;
    const fresh = expiresAt === undefined || expiresAt - margin > this.#parts.clock.now();
    if (session && fresh) return session.token;
    if (this.canLogin) return (await this.#sharedLogin(limits)).token;
    if (!session) {
      throw new VectorVueTokenError("no token is available and no credentials are configured");
    }
    throw new VectorVueTokenError(
      `the configured token expired at ${new Date(expiresAt!).toISOString()}; ` +
        "configure username, password and tenantId so the client can renew it",
    );
  }

  #sharedLogin(limits: CallOptions): Promise<Token> {
    const { signal } = limits;
    let login = this.#loginInFlight;
    if (!login) {
      // Shared by every caller, so no one caller's signal may cancel it: each races its own,
      // and the login itself is aborted only when every caller has left. The per-attempt
      // limits of the call that starts it apply to it.
      const controller = new AbortController();
      const started: SharedLogin = {
        promise: this.#performLogin({
          signal: controller.signal,
          timeoutMs: limits.timeoutMs,
          maxRetries: limits.maxRetries,
        }),
        controller,
        waiters: 0,
      };
      started.promise.then(() => {}, () => {}).finally(() => {
        if (this.#loginInFlight === started) this.#loginInFlight = undefined;
      });
      this.#loginInFlight = login = started;
    }
    const joined = login;
    joined.waiters++;
    return raceSignal(joined.promise, signal).finally(() => {
      joined.waiters--;
      if (joined.waiters > 0) return;
      // The last waiter left (or the login settled): nobody wants a login still running.
      joined.controller.abort(signal?.reason);
      if (this.#loginInFlight === joined) this.#loginInFlight = undefined;
    });
  }

  async #performLogin(limits: CallOptions): Promise<Token> {
    const { config, errors, scrubber, clock } = this.#parts;
    const { username, password, tenantId } = config;
    const body = serializeObject({ username, password, tenant_id: tenantId }, "login");
    const exchange = await this.#parts.exchange({
      method: "POST",
      path: PATHS.login,
      endpoint: PATHS.login,
      body,
      auth: false,
      sign: false,
      expect: "object",
    }, limits);
    const { answer, parsed } = exchange;
    if (answer.status < 200 || answer.status >= 300) {
      throw errors.apiError(PATHS.login, "POST", exchange);
    }
    const value = parsed.kind === "json" ? parsed.value as Record<string, unknown> | null : null;
    const nested = value?.data as Record<string, unknown> | null | undefined;
    const token = value?.access_token ?? nested?.access_token;
    if (typeof token !== "string" || token === "") {
      throw new VectorVueResponseError(
        `POST ${exchange.url} answered ${answer.status} without an access_token`,
        errors.responseErrorInit(exchange),
      );
    }
    scrubber.addRecent(token);
    const info = inspectToken(token, tenantId);
    if (typeof info === "string") throw new VectorVueTokenError(`login succeeded, but ${info}`);
    const session = { token, info, obtainedAtMs: info.issuedAtMs ?? clock.now() };
    this.#current = session;
    this.#parts.log("info", "vectorvue login", {
      endpoint: PATHS.login,
      tenantId: info.tenantId,
      username,
      expiresAt: info.expiresAtMs === undefined ? null : new Date(info.expiresAtMs).toISOString(),
      retryCount: exchange.retryCount,
    });
    return session;
  }
}
