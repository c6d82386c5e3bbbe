/**
 * One pacer per address in a process. The server's limit is per client
 * address, and every client in one process reaches a server from the same
 * address: clients that would pace on their own (an events client beside a
 * findings client, one client per tenant, four workers) would race each other
 * into the window and learn of one another only through 429s. So clients of
 * one server share one pacer: what one sends, the others count, and no 429
 * comes from within the process. Neighbours in other processes are still
 * unknown and handled by the pacer's probing.
 *
 * Clients share a pacer when they pace the same limit to the same origin
 * through the same proxy with the same back-off and the same `fetch` (an
 * injected `fetch`, as tests use, is its own world). The pacer lives while a
 * client uses it: the last `close()` forgets it.
 *
 * @module
 */

import { Pacer, type PauseEvent, type RateLimit } from "./pacer.ts";
import type { BackoffOptions } from "../retry.ts";

/** What decides whether two clients share a pacer. */
export interface PacerKey {
  /** The server's origin (`https://host:port`). */
  readonly origin: string;
  /** The proxy's URL, when requests go through one. */
  readonly proxy: string | undefined;
  readonly rateLimit: RateLimit | false;
  readonly backoff: BackoffOptions;
  /** An injected `fetch` (its own set of pacers), or `undefined` for the runtime's. */
  readonly fetch: object | undefined;
}

/** A client's use of a shared pacer. */
export interface PacerUse {
  readonly pacer: Pacer;
  /** The client is done with it (closed); the last release forgets the pacer. Idempotent. */
  release(): void;
}

interface Entry {
  readonly pacer: Pacer;
  /** Who hears the pauses, by where they log (two clients with one logger log a pause once). */
  readonly listeners: Map<object, { readonly hear: (event: PauseEvent) => void; users: number }>;
}

const withRuntimeFetch = new Map<string, Entry>();
const withInjectedFetch = new WeakMap<object, Map<string, Entry>>();

function entriesFor(fetch: object | undefined): Map<string, Entry> {
  if (fetch === undefined) return withRuntimeFetch;
  let entries = withInjectedFetch.get(fetch);
  if (!entries) withInjectedFetch.set(fetch, entries = new Map());
  return entries;
}

/**
 * The pacer for `key`, shared with every other client that uses the same key now; `onPause`
 * hears the pauses of the shared pacer until `release()`, once for all the clients that give
 * the same `heardBy` (their logger). A client that does not pace for a rate limit gets a pacer
 * of its own (it only pauses for an unavailable server).
 */
export function usePacer(
  key: PacerKey,
  onPause: (event: PauseEvent) => void,
  heardBy: object,
): PacerUse {
  if (key.rateLimit === false) {
    return { pacer: new Pacer(false, { backoff: key.backoff, onPause }), release() {} };
  }
  const entries = entriesFor(key.fetch);
  const name = JSON.stringify([
    key.origin,
    key.proxy ?? null,
    key.rateLimit.requests,
    key.rateLimit.windowMs,
    key.backoff.backoffMs,
    key.backoff.maxBackoffMs,
  ]);
  let entry = entries.get(name);
  if (!entry) {
    const listeners: Entry["listeners"] = new Map();
    const pacer = new Pacer(key.rateLimit, {
      backoff: key.backoff,
      onPause: (event) => listeners.forEach((listener) => listener.hear(event)),
    });
    entries.set(name, entry = { pacer, listeners });
  }
  const { pacer, listeners } = entry;
  const listener = listeners.get(heardBy) ?? { hear: onPause, users: 0 };
  listener.users++;
  listeners.set(heardBy, listener);
  let released = false;
  return {
    pacer,
    release() {
      if (released) return;
      released = true;
      if (--listener.users === 0) listeners.delete(heardBy);
      if (listeners.size === 0 && entries.get(name)?.pacer === pacer) entries.delete(name);
    },
  };
}
