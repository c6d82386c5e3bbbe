// Deno side of the serving capability. The npm build swaps every `*_deno.ts` import for its
// `*_node.ts` twin; `serving.ts` checks that both implement `ServingPlatform`.
import {
  type ConnectionHandler,
  FLUSH_BEFORE_DROP_MS,
  isStreamed,
  type ServedHttps,
  type ServeHttpOptions,
  type ServeHttpsOptions,
} from "./serving_common.ts";
import { serveWithNodeApi } from "./serving_node_api.ts";

// A body that fails before its first byte. On an HTTP/2 stream Deno.serve then resets the
// stream before sending headers, so the client's fetch rejects (a connection error, no status).
function failingBody(): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.error(new Error("connection dropped (emulated fault)"));
    },
  });
}

// Passes `body` through, but when it fails after sending something, fails only once what was
// sent had time to leave (see FLUSH_BEFORE_DROP_MS).
function flushBeforeFailing(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let sent = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
        } else {
          sent = true;
          controller.enqueue(value);
        }
      } catch (error) {
        if (sent) await new Promise((resolve) => setTimeout(resolve, FLUSH_BEFORE_DROP_MS));
        controller.error(error);
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/**
 * Serves `handler` over HTTPS. `Deno.serve` offers HTTP/2 and HTTP/1.1 by ALPN and has no option
 * to offer HTTP/1.1 alone, so `http2: false` uses `node:https` instead, where a dropped
 * connection is a destroyed socket. (Over an HTTP/1.1 connection to `Deno.serve` a
 * "before-response" drop cannot be done: Deno sends the head before the body fails.)
 */
export function serveHttps(
  handler: ConnectionHandler,
  options: ServeHttpsOptions,
): Promise<ServedHttps> {
  if (options.http2 === false) return serveWithNodeApi(handler, options);
  return new Promise((resolve, reject) => {
    try {
      const server = Deno.serve({
        hostname: options.hostname,
        port: options.port,
        cert: options.cert,
        key: options.key,
        // The default handler logs to the console; a failed body stream is a planned drop here.
        onError: () => new Response(failingBody()),
        onListen: (addr) => resolve({ port: addr.port, close: () => server.shutdown() }),
      }, async (request, info) => {
        let response: Response | null;
        try {
          response = await handler(request, { remoteAddr: info.remoteAddr.hostname });
        } catch {
          response = null;
        }
        if (response === null) return new Response(failingBody());
        // Fixed bodies go as they are, so Deno sends them with Content-Length like uvicorn.
        if (!isStreamed(response) || response.body === null) return response;
        return new Response(flushBeforeFailing(response.body), response);
      });
    } catch (error) {
      reject(error);
    }
  });
}

/**
 * Serves `handler` over plain HTTP/1.1 with the Node API, which Deno runs too: one code path for
 * a small local endpoint in both runtimes.
 */
export function serveHttp(
  handler: ConnectionHandler,
  options: ServeHttpOptions,
): Promise<ServedHttps> {
  return serveWithNodeApi(handler, options);
}
