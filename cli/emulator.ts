/**
 * `vectorvue emulator` (and `deno task emulator`): the VectorVue emulator as a server over
 * HTTPS, with a fresh test CA by default so it runs from the npm package too.
 *
 * @module
 */
import { createVectorVueEmulator, EMULATOR_DEFAULTS } from "../src/testing/mod.ts";
import { type FlagSpec, UsageError } from "./args.ts";
import { type Command, EXIT } from "./command.ts";
import { createTestCertificates } from "./test_certificates.ts";
import { defaultHelp, readFlag } from "./flag_options.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

/** The emulator's default rate limit as `--rate-limit` writes it (`240/60`), from its table. */
const DEFAULT_RATE = `${EMULATOR_DEFAULTS.integrationRequests}/${
  EMULATOR_DEFAULTS.integrationWindowMs / 1000
}`;

const FLAGS: readonly FlagSpec[] = [
  {
    name: "hostname",
    type: "string",
    value: "IP",
    help: `address to listen on ${defaultHelp("hostname")}`,
  },
  {
    name: "port",
    type: "integer",
    value: "N",
    help: `port, 0 for a free one ${defaultHelp("port")}`,
  },
  {
    name: "ca-out",
    type: "string",
    value: "FILE",
    help: "write the CA certificate clients must trust here (default: a temporary file)",
  },
  { name: "cert", type: "string", value: "FILE", help: "serve this PEM certificate instead" },
  { name: "key", type: "string", value: "FILE", help: "its PEM private key" },
  {
    name: "ca",
    type: "string",
    value: "FILE",
    help: "the CA that signed --cert (printed for clients)",
  },
  {
    name: "signature-secret",
    type: "string",
    value: "S",
    help: "require signed requests (a test server's own secret)",
  },
  { name: "compliance-signing-key", type: "string", value: "K", help: "sign response envelopes" },
  {
    name: "max-batch-size",
    type: "integer",
    value: "N",
    help: `server batch maximum ${defaultHelp("max-batch-size")}`,
  },
  { name: "http1", type: "boolean", help: "offer HTTP/1.1 only (no HTTP/2 by ALPN)" },
  {
    name: "rate-limit",
    type: "string",
    value: "N/S",
    help:
      `N requests per S seconds per client address (default ${DEFAULT_RATE}, the real server's)`,
  },
  { name: "no-rate-limit", type: "boolean", help: "turn the server's rate limits off" },
];

/** The `emulator` command. */
export const emulatorCommand: Command = {
  name: "emulator",
  summary: "run the VectorVue emulator over HTTPS, for trying the client and the commands",
  usage: "vectorvue emulator [options]",
  description: [
    "Serves the VectorVue emulator (login, events, findings, batches, status, rate limits,",
    "optional request and response signing) over HTTPS until Ctrl+C. Without --cert it makes a",
    "fresh CA and server certificate for 127.0.0.1, ::1 and localhost, and writes the CA to",
    "--ca-out (or a temporary file) for clients to trust: VECTORVUE_CA_CERT=<that file>.",
    "It prints the URL and the test credentials.",
  ].join("\n"),
  flags: FLAGS,
  examples: [
    "vectorvue emulator --port 8443 --ca-out /tmp/vv-ca.pem",
    "vectorvue emulator --rate-limit 20/5    # the real average in a 5 s window, to try pacing",
    "VECTORVUE_BASE_URL=https://127.0.0.1:8443 VECTORVUE_CA_CERT=/tmp/vv-ca.pem \\",
    "  VECTORVUE_USERNAME=<printed> VECTORVUE_PASSWORD=<printed> \\",
    "  VECTORVUE_TENANT_ID=<printed> vectorvue whoami",
  ],
  run: (args, system) => serveEmulator(args.flags, system),
  check: (args) => Promise.resolve(readFlags(args.flags).problems),
};

type Flags = Readonly<Record<string, string | number | boolean | undefined>>;

/** The flags' problems (all of them), and the port and rate limit they give. */
function readFlags(flags: Flags) {
  const problems: string[] = [];
  const hostname = readFlag<string>("hostname", flags, problems);
  const port = readFlag<number>("port", flags, problems);
  const maxBatchSize = readFlag<number>("max-batch-size", flags, problems);
  if ((flags.cert === undefined) !== (flags.key === undefined)) {
    problems.push("--cert and --key go together");
  }
  if (flags.cert !== undefined && flags["ca-out"] !== undefined) {
    problems.push("--ca-out is for the generated CA; with --cert, name its CA with --ca");
  }
  let rateLimit: { requests: number; windowMs: number } | false | undefined;
  if (flags["no-rate-limit"]) rateLimit = false;
  if (typeof flags["rate-limit"] === "string") {
    const match = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(flags["rate-limit"]);
    if (!match || Number(match[1]) < 1 || Number(match[2]) <= 0) {
      problems.push(
        `--rate-limit must be REQUESTS/SECONDS such as 20/5, got "${flags["rate-limit"]}"`,
      );
    } else if (rateLimit === false) {
      problems.push("--rate-limit and --no-rate-limit contradict each other");
    } else {
      rateLimit = { requests: Number(match[1]), windowMs: Number(match[2]) * 1000 };
    }
  }
  return { problems, hostname, port, maxBatchSize, rateLimit };
}

async function serveEmulator(flags: Flags, system: CliSystem): Promise<number> {
  const { problems, hostname, port, maxBatchSize, rateLimit } = readFlags(flags);
  if (problems.length > 0) throw new UsageError(problems);

  let cert: string, key: string, caPath: string | undefined;
  if (typeof flags.cert === "string" && typeof flags.key === "string") {
    [cert, key] = await Promise.all([
      system.readTextFile(flags.cert),
      system.readTextFile(flags.key),
    ]);
    caPath = typeof flags.ca === "string" ? system.resolvePath(flags.ca) : undefined;
  } else {
    const certificates = await createTestCertificates();
    ({ cert, key } = certificates);
    caPath = system.resolvePath(
      (flags["ca-out"] as string | undefined) ??
        `${system.tempDir()}/vectorvue-emulator-ca-${crypto.randomUUID().slice(0, 8)}.pem`,
    );
    await system.writeFileAtomic(caPath, certificates.ca);
  }
  const emulator = createVectorVueEmulator({
    signatureSecret: flags["signature-secret"] as string | undefined,
    complianceSigningKey: flags["compliance-signing-key"] as string | undefined,
    maxBatchSize,
    rateLimit,
  });
  const server = await emulator.serve({
    hostname,
    port,
    cert,
    key,
    http2: flags.http1 ? false : undefined,
  });
  const lines = [
    `VectorVue emulator listening on ${server.url}`,
    `  CA certificate   ${
      caPath ?? "(not given)"
    }  (the certificate names 127.0.0.1, ::1, localhost)`,
    `  username         ${EMULATOR_DEFAULTS.username}`,
    `  password         ${EMULATOR_DEFAULTS.password}`,
    `  tenant_id        ${EMULATOR_DEFAULTS.tenantId}`,
    `  request signing  ${flags["signature-secret"] ? "required" : "off"}`,
    `  response signing ${flags["compliance-signing-key"] ? "on" : "off"}`,
    `  rate limiting    ${
      rateLimit === false
        ? "off"
        : rateLimit
        ? `${rateLimit.requests} requests per ${rateLimit.windowMs / 1000} s`
        : `${EMULATOR_DEFAULTS.integrationRequests} requests per ${
          EMULATOR_DEFAULTS.integrationWindowMs / 1000
        } s`
    }`,
    `Try: VECTORVUE_BASE_URL=${server.url} VECTORVUE_CA_CERT=${caPath ?? "<ca.pem>"} \\`,
    `  VECTORVUE_USERNAME=${EMULATOR_DEFAULTS.username} VECTORVUE_PASSWORD=${EMULATOR_DEFAULTS.password} \\`,
    `  VECTORVUE_TENANT_ID=${EMULATOR_DEFAULTS.tenantId} vectorvue whoami`,
    "Press Ctrl+C to stop.",
    "",
  ];
  await system.stdout(lines.join("\n"));
  await new Promise<void>((resolve) => {
    const stop = () => {
      for (const remove of removers) remove();
      resolve();
    };
    const removers = [system.onSignal("SIGINT", stop), system.onSignal("SIGTERM", stop)];
  });
  await server.close();
  return EXIT.ok;
}
