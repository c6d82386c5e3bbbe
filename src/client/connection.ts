/**
 * The client's connection pool and its lifecycle: opened at the first
 * request (the injected `fetch`, or the runtime's transport with the TLS and
 * proxy options), released by `close()`, after which nothing is sent.
 *
 * @module
 */

import type { ResolvedConfig } from "../config.ts";
import { VectorVueConfigError } from "../errors.ts";
import { sendAttempt } from "../transport/attempt.ts";
import { createHttpTransport, type Transport } from "../platform/network.ts";

/** The transport of one client, opened once and closed once. */
export class ClientConnection {
  readonly #config: ResolvedConfig;
  #transport: Promise<Transport> | undefined;
  #closed = false;

  /** A connection for `config`; nothing is opened yet. */
  constructor(config: ResolvedConfig) {
    this.#config = config;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The transport, opened at the first call. */
  open(): Promise<Transport> {
    const config = this.#config;
    const injected = config.fetch;
    if (injected) {
      this.#transport ??= Promise.resolve({
        send: (request, limits) => sendAttempt(injected, request, limits),
        close: () => Promise.resolve(),
      });
      return this.#transport;
    }
    this.#transport ??= createHttpTransport({
      caCerts: config.caCerts,
      verifyTls: config.verifyTls,
      cert: config.tls?.cert,
      key: config.tls?.key,
      http2: config.http2,
      maxConnections: config.maxConnections,
      proxy: config.proxy,
    }).catch((error: unknown) => {
      // A PEM that looks like one but does not parse is only found out here.
      const reason = error instanceof Error ? error.message : String(error);
      throw new VectorVueConfigError([`caCerts/tls could not be loaded: ${reason}`], {
        cause: error,
      });
    });
    return this.#transport;
  }

  /** Marks the client closed and releases the pool. */
  async close(): Promise<void> {
    this.#closed = true;
    const pending = this.#transport;
    this.#transport = undefined;
    // A pool that failed to load has nothing to release. Requests still in flight finish on
    // their own (within timeoutMs), so close() does not wait for them.
    const transport = await pending?.catch(() => undefined);
    void transport?.close();
  }
}
