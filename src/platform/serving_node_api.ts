// An HTTPS server on the `node:https` / `node:http2` API, converting between Node's request and
// response objects and web `Request`/`Response`. Node always serves with it; Deno uses it for
// HTTP/1.1-only serving, which `Deno.serve` cannot do (it always offers h2 by ALPN).
import { constants as http2Constants, createSecureServer } from "node:http2";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { createServer } from "node:https";
import { createServer as createPlainServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import {
  type ConnectionHandler,
  FLUSH_BEFORE_DROP_MS,
  type ServedHttps,
  type ServeHttpOptions,
  type ServeHttpsOptions,
} from "./serving_common.ts";

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

// A connection error the client must see: destroy the socket (HTTP/1.1) or reset the stream
// (HTTP/2, whose compatibility socket cannot be destroyed directly).
function dropConnection(request: NodeRequest): void {
  if ("stream" in request && request.stream !== undefined) {
    request.stream.close(http2Constants.NGHTTP2_INTERNAL_ERROR);
  } else {
    request.socket.destroy();
  }
}

async function readBody(request: NodeRequest): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of request) chunks.push(chunk as Uint8Array);
  const body = new Uint8Array(chunks.reduce((size, chunk) => size + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function toRequest(
  request: NodeRequest,
  body: Uint8Array<ArrayBuffer>,
  scheme: "http" | "https",
): Request {
  const headers = new Headers();
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    // HTTP/2 pseudo-headers (":path", ":authority", ...) are not header fields.
    if (!request.rawHeaders[i].startsWith(":")) {
      headers.append(request.rawHeaders[i], request.rawHeaders[i + 1]);
    }
  }
  const authority = "authority" in request ? request.authority : undefined;
  const host = headers.get("host") ?? authority ?? "localhost";
  const method = request.method ?? "GET";
  return new Request(`${scheme}://${host}${request.url ?? "/"}`, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : body,
  });
}

async function writeResponse(response: Response, target: NodeResponse): Promise<void> {
  target.statusCode = response.status;
  // Headers set here win over Node's own (`Date` included).
  for (const [name, value] of response.headers) target.setHeader(name, value);
  if (response.body === null) {
    target.end();
    return;
  }
  const writable = target as unknown as {
    write(chunk: Uint8Array): boolean;
    once(event: "drain", listener: () => void): void;
  };
  // A reader loop rather than `for await`: not every TypeScript DOM lib types ReadableStream as
  // async-iterable.
  const reader = response.body.getReader();
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    if (!writable.write(next.value)) {
      await new Promise<void>((resolve) => writable.once("drain", resolve));
    }
  }
  target.end();
}

/**
 * Serves `handler` over HTTPS with the Node API (HTTP/2 + HTTP/1.1 when `http2` is true); over
 * plain HTTP/1.1 when `options` has no certificate.
 */
export function serveWithNodeApi(
  handler: ConnectionHandler,
  options: ServeHttpsOptions | ServeHttpOptions,
): Promise<ServedHttps> {
  const sockets = new Set<Socket>();
  const scheme = "cert" in options ? "https" : "http";
  const listener = async (request: NodeRequest, response: NodeResponse) => {
    const disconnected = new AbortController();
    response.on("close", () => {
      if (!response.writableFinished) disconnected.abort(new Error("client disconnected"));
    });
    try {
      const answer = await handler(toRequest(request, await readBody(request), scheme), {
        remoteAddr: request.socket.remoteAddress ?? "",
        disconnected: disconnected.signal,
      });
      if (answer === null) dropConnection(request);
      else await writeResponse(answer, response);
    } catch {
      // A handler or body stream that fails is a dropped connection, never a completed answer;
      // what was already written gets a moment to reach the client first.
      if (response.headersSent) {
        await new Promise((resolve) => setTimeout(resolve, FLUSH_BEFORE_DROP_MS));
      }
      dropConnection(request);
    }
  };
  const server = !("cert" in options)
    ? createPlainServer(listener)
    : options.http2 === true
    ? createSecureServer({ cert: options.cert, key: options.key, allowHTTP1: true }, listener)
    : createServer({ cert: options.cert, key: options.key }, listener);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // `close()` only stops accepting; idle keep-alive connections would hold it open.
            for (const socket of sockets) socket.destroy();
          }),
      });
    });
  });
}
