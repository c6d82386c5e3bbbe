// `deno task emulator`: runs the VectorVue emulator standalone over HTTPS with the committed test
// certificate, and prints what a client needs to reach it. Stops on Ctrl+C (or SIGTERM).
//
//   deno run --allow-net --allow-read scripts/emulator.ts [options]
//
//   --hostname <ip>                  address to listen on (default 127.0.0.1)
//   --port <n>                       port, 0 for a free one (default 8443)
//   --signature-secret <s>           require signed requests (X-Timestamp / X-Signature)
//   --compliance-signing-key <k>     sign response envelopes
//   --max-batch-size <n>             server batch maximum (default 250)
//   --http1                          offer HTTP/1.1 only (no HTTP/2 by ALPN)
//   --no-rate-limit                  turn the server's rate limits off (for benchmarks)
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createVectorVueEmulator, EMULATOR_DEFAULTS } from "../src/testing/mod.ts";

const USAGE = "usage: scripts/emulator.ts [--hostname IP] [--port N] [--signature-secret S] " +
  "[--compliance-signing-key K] [--max-batch-size N] [--http1] [--no-rate-limit]";

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  Deno.exit(2);
}

let args;
try {
  args = parseArgs({
    args: Deno.args,
    options: {
      hostname: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "8443" },
      "signature-secret": { type: "string" },
      "compliance-signing-key": { type: "string" },
      "max-batch-size": { type: "string" },
      http1: { type: "boolean", default: false },
      "no-rate-limit": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (args.help) {
  console.log(USAGE);
  Deno.exit(0);
}

const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  fail(`--port must be 0..65535: ${args.port}`);
}
const maxBatchSize = args["max-batch-size"] === undefined
  ? undefined
  : Number(args["max-batch-size"]);
if (maxBatchSize !== undefined && !Number.isInteger(maxBatchSize)) {
  fail(`--max-batch-size must be an integer: ${args["max-batch-size"]}`);
}

const fixtures = new URL("../tests/fixtures/", import.meta.url);
const caPath = fileURLToPath(new URL("ca.pem", fixtures));
const emulator = createVectorVueEmulator({
  signatureSecret: args["signature-secret"],
  complianceSigningKey: args["compliance-signing-key"],
  maxBatchSize,
  rateLimit: args["no-rate-limit"] ? false : undefined,
});
const server = await emulator.serve({
  hostname: args.hostname,
  port,
  cert: Deno.readTextFileSync(new URL("server.pem", fixtures)),
  key: Deno.readTextFileSync(new URL("server-key.pem", fixtures)),
  http2: args.http1 ? false : undefined,
});

console.log(`VectorVue emulator listening on ${server.url}`);
console.log(
  `  CA certificate  ${caPath}  (the server certificate names 127.0.0.1, ::1, localhost)`,
);
console.log(`  username        ${EMULATOR_DEFAULTS.username}`);
console.log(`  password        ${EMULATOR_DEFAULTS.password}`);
console.log(`  tenant_id       ${EMULATOR_DEFAULTS.tenantId}`);
console.log(`  request signing ${args["signature-secret"] ? "required" : "off"}`);
console.log(`  response signing ${args["compliance-signing-key"] ? "on" : "off"}`);
console.log(`  rate limiting   ${args["no-rate-limit"] ? "off" : "on"}`);
console.log(`Try: curl --cacert ${caPath} -H 'content-type: application/json' \\`);
console.log(
  `  -d '{"username":"${EMULATOR_DEFAULTS.username}","password":"${EMULATOR_DEFAULTS.password}"}' ` +
    `${server.url}/api/v1/client/auth/login`,
);
console.log("Press Ctrl+C to stop.");

const stop = async () => {
  await server.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
