// A small HTTP CONNECT proxy on loopback for the proxy tests: it tunnels bytes and never
// terminates TLS, so it can see the CONNECT request line and nothing of what goes through.
// Built on `node:net`, so it runs under `deno test` and `node --test` alike.
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { Buffer } from "node:buffer";

/** A running proxy. */
export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`, without credentials. */
  readonly url: string;
  readonly port: number;
  /** Every request line received, in order (`CONNECT 127.0.0.1:443 HTTP/1.1`). */
  readonly log: readonly string[];
  /** Tunnels opened (CONNECTs answered 200). */
  readonly tunnels: number;
  close(): Promise<void>;
}

/** Options of {@linkcode startConnectProxy}. */
export interface ConnectProxyOptions {
  /** When set, a CONNECT without `Proxy-Authorization: Basic base64(user:password)` gets 407. */
  readonly credentials?: { readonly username: string; readonly password: string };
}

const HEAD_LIMIT = 16 * 1024;
const LOOPBACK = new Set(["127.0.0.1", "::1", "[::1]", "localhost"]);

/** Starts a CONNECT proxy on 127.0.0.1 with a free port. It only tunnels to loopback. */
export function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const log: string[] = [];
  const sockets = new Set<Socket>();
  let tunnels = 0;
  const expected = options.credentials
    ? "Basic " +
      Buffer.from(`${options.credentials.username}:${options.credentials.password}`).toString(
        "base64",
      )
    : undefined;

  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => client.destroy());
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) {
        if (head.length > HEAD_LIMIT) client.destroy();
        return;
      }
      client.off("data", onData);
      client.pause();
      const lines = head.subarray(0, end).toString("latin1").split("\r\n");
      const rest = head.subarray(end + 4);
      const requestLine = lines[0];
      log.push(requestLine);
      const [method, target] = requestLine.split(" ");
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) {
          headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
      }
      const refuse = (status: string, extra = "") =>
        client.end(`HTTP/1.1 ${status}\r\n${extra}content-length: 0\r\nconnection: close\r\n\r\n`);
      if (method !== "CONNECT") return refuse("405 Method Not Allowed");
      if (expected !== undefined && headers.get("proxy-authorization") !== expected) {
        return refuse(
          "407 Proxy Authentication Required",
          'proxy-authenticate: Basic realm="t"\r\n',
        );
      }
      const colon = target?.lastIndexOf(":") ?? -1;
      const host = colon > 0 ? target.slice(0, colon) : "";
      const port = Number(target?.slice(colon + 1));
      if (!LOOPBACK.has(host) || !Number.isInteger(port)) return refuse("403 Forbidden");
      const upstream = createConnection({ host: host.replace(/^\[|\]$/g, ""), port });
      sockets.add(upstream);
      upstream.on("close", () => {
        sockets.delete(upstream);
        client.destroy();
      });
      upstream.on("error", () => {
        if (!client.writableEnded) refuse("502 Bad Gateway");
        upstream.destroy();
      });
      upstream.once("connect", () => {
        tunnels++;
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (rest.length > 0) upstream.write(rest);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      client.on("close", () => upstream.destroy());
    };
    client.on("data", onData);
  });

  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        log,
        get tunnels() {
          return tunnels;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
