// What every route handler receives: the emulator's state, and the request it is answering.
import type { EmulatorConfig } from "./_options.ts";
import type { SlidingWindowLimiter } from "./_rate_limit.ts";
import type { EmulatorStore } from "./_store.ts";

/** Per-emulator state shared by the routes. */
export interface EmulatorContext {
  readonly config: EmulatorConfig;
  readonly store: EmulatorStore;
  /** `undefined` when rate limiting is off. */
  readonly integrationLimiter: SlidingWindowLimiter | undefined;
  /** `undefined` when rate limiting is off. */
  readonly clientEventLimiter: SlidingWindowLimiter | undefined;
}

/** One request, with its body already read (the signature check needs the exact bytes). */
export interface IncomingRequest {
  readonly request: Request;
  readonly body: Uint8Array;
  /** The URL path, percent-decoded as Starlette matches it. */
  readonly path: string;
  readonly remoteAddr: string;
  /** The emulator's clock when the request arrived. */
  readonly nowMs: number;
}
