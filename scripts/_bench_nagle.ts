// Why `deno task bench` recommends HTTP/1.1 in Deno: times one POST at a time from Deno's fetch,
// by protocol and body size, against a server that sets TCP_NODELAY (node:http2 with HTTP/1.1
// allowed), so any stall left is the client's. Deno's fetch leaves Nagle's algorithm on (its
// HTTP client cannot set TCP_NODELAY); over HTTP/2 it writes a request with a body of about a
// kilobyte or more in two writes, and the second waits for the server's delayed ACK (40 ms on
// Linux). Over HTTP/1.1 it writes the request at once.
//
//   deno run -A scripts/_bench_nagle.ts
import http2 from "node:http2";

const fixtures = new URL("../tests/fixtures/", import.meta.url);
const cert = Deno.readTextFileSync(new URL("server.pem", fixtures));
const key = Deno.readTextFileSync(new URL("server-key.pem", fixtures));
const ca = Deno.readTextFileSync(new URL("ca.pem", fixtures));
const ANSWER = JSON.stringify({ status: "accepted", errors: [], request_id: "r", data: {} });
const REQUESTS = 40;

const server = http2.createSecureServer({ cert, key, allowHTTP1: true }, (request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(202, {
      "content-type": "application/json",
      "content-length": String(ANSWER.length),
    });
    response.end(ANSWER);
  });
});
const port = await new Promise<number>((resolve) => {
  server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
});

const event = {
  source_system: "spectrastrike-bench",
  event_type: "PROCESS_ANOMALY",
  occurred_at: "2026-01-01T00:00:00Z",
  severity: "high",
  asset_ref: "host-1",
  message: "Unexpected parent-child process chain: explorer.exe > cmd.exe > powershell.exe",
};
const protocols = [
  { name: "HTTP/1.1", settings: { http2: false } },
  { name: "HTTP/2", settings: { http1: false, http2: true } },
];

console.log("| protocol | request body | median ms | 90th percentile ms |");
console.log("|----------|-------------:|----------:|-------------------:|");
try {
  for (const { name, settings } of protocols) {
    const client = Deno.createHttpClient({ caCerts: [ca], ...settings });
    for (const events of [1, 5, 100]) {
      const body = JSON.stringify(Array.from({ length: events }, () => event));
      const times: number[] = [];
      // One untimed request opens the connection; the rest reuse it, as a client does.
      for (let i = 0; i <= REQUESTS; i++) {
        const started = performance.now();
        const response = await fetch(`https://127.0.0.1:${port}/`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          client,
        });
        await response.text();
        if (i > 0) times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.floor(q * (times.length - 1))].toFixed(1);
      console.log(`| ${name} | ${body.length} bytes | ${at(0.5)} | ${at(0.9)} |`);
    }
    client.close();
  }
} finally {
  server.close();
}
