/**
 * Whether the shipper is delivering, from what the client's hooks see of every attempt: the
 * state changes the log reports once each (paused for the rate limit, server unavailable,
 * refused, delivering again) and the answer `/healthz` gives (503 with the reason once the
 * server has been unreachable or refusing for longer than a threshold).
 *
 * @module
 */
import type { HookContext, VectorVueHooks } from "../mod.ts";
import { describeError } from "./errors.ts";

/** What the shipper's deliveries are doing. */
export type DeliveryState = "starting" | "delivering" | "rate_limited" | "unavailable" | "refused";

/** A change of state, with why. */
export interface StateChange {
  readonly state: DeliveryState;
  readonly previous: DeliveryState;
  readonly reason: string;
}

/**
 * How long after the last 429 the shipper counts as paused for the rate limit: a window of the
 * real server. Under a shared limit, 429s and accepted batches alternate every few seconds;
 * without this the log would say "paused" and "delivering" for every other batch.
 */
export const RATE_LIMIT_QUIET_MS = 60_000;

/** Answers to a batch that say the route is not there: every batch would get the same. */
const NO_ROUTE: ReadonlySet<number> = new Set([404, 405, 410]);

/** See the module comment. */
export class DeliveryHealth {
  readonly #thresholdMs: number;
  readonly #onChange: (change: StateChange) => void;
  readonly #now: () => number;
  #state: DeliveryState = "starting";
  /** The first attempt since the last good answer (undefined: none outstanding). */
  #troubleSince: number | undefined;
  #reason = "";
  #last429 = -Infinity;

  constructor(
    thresholdMs: number,
    onChange: (change: StateChange) => void,
    now: () => number = () => Date.now(),
  ) {
    this.#thresholdMs = thresholdMs;
    this.#onChange = onChange;
    this.#now = now;
  }

  /** The state now. */
  get state(): DeliveryState {
    return this.#state;
  }

  /** The client hooks that feed this. */
  hooks(): VectorVueHooks {
    return {
      beforeRequest: [() => this.attemptStarted()],
      afterResponse: [
        (context: HookContext) =>
          this.answered(context.status ?? 0, !context.route.includes("/auth/")),
      ],
      beforeRetry: [(context: HookContext) => {
        // An attempt that got an answer was seen by afterResponse: only the unanswered remain.
        if (context.status === undefined && context.error !== undefined) {
          this.#trouble("unavailable", `server unreachable: ${describeError(context.error)}`);
        }
      }],
    };
  }

  /** An attempt leaves: the clock of "no good answer since" starts, if it is not running. */
  attemptStarted(): void {
    this.#troubleSince ??= this.#now();
  }

  /**
   * An attempt got an HTTP answer with `status`; `delivery` is false for a login, whose success
   * says the server is there but not yet that it takes batches.
   */
  answered(status: number, delivery = true): void {
    if (status >= 500) {
      this.#trouble("unavailable", `server answered HTTP ${status}`);
      return;
    }
    if (status === 401 || status === 403 || status === 407) {
      // The client logs in again on an expired token: only a refusal that lasts matters.
      this.#trouble("refused", `server refused the credentials: HTTP ${status}`);
      return;
    }
    if (delivery && NO_ROUTE.has(status)) {
      // Every batch will get the same answer (a wrong base URL, a server without the route):
      // as good as unreachable. A 422 or 409 is about one batch, and is not counted here.
      this.#trouble("refused", `server has no such route: HTTP ${status}`);
      return;
    }
    // Any other answer (a 429 included) is a server that is there and judging requests.
    this.#troubleSince = undefined;
    if (!delivery) return;
    const now = this.#now();
    if (status === 429) {
      this.#last429 = now;
      this.#set("rate_limited", "the server's rate limit for this address is full");
    } else if (status < 300 && now - this.#last429 >= RATE_LIMIT_QUIET_MS) {
      this.#set("delivering", "the server accepts batches");
    } else if (status < 300 && this.#state !== "rate_limited") {
      this.#set("delivering", "the server accepts batches");
    }
  }

  /** Whether `/healthz` says 200, and why not. */
  check(): { readonly healthy: boolean; readonly reason: string } {
    const since = this.#troubleSince;
    if (since === undefined || this.#now() - since <= this.#thresholdMs) {
      return { healthy: true, reason: this.#state === "starting" ? "starting" : this.#state };
    }
    const seconds = Math.round((this.#now() - since) / 1000);
    const why = this.#reason || "no answer from the server";
    return { healthy: false, reason: `${why} (no good answer for ${seconds} s)` };
  }

  #trouble(state: DeliveryState, reason: string): void {
    this.#troubleSince ??= this.#now();
    this.#reason = reason;
    this.#set(state, reason);
  }

  #set(state: DeliveryState, reason: string): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.#onChange({ state, previous, reason });
  }
}
