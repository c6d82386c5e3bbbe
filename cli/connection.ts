/**
 * Client configuration for the commands that talk to VectorVue: the `VECTORVUE_*` variables,
 * overridden by flags for non-secret options; secrets only from the environment or from files.
 *
 * @module
 */
import { configFromEnv } from "../src/env.ts";
import { VectorVueClient } from "../src/client.ts";
import type { VectorVueConfig } from "../src/config.ts";
import { VectorVueConfigError } from "../src/errors.ts";
import { type FlagSpec, UsageError } from "./args.ts";
import type { CliSystem } from "./_system_common.ts";

/** Flags of every command that connects. */
export const CONNECTION_FLAGS: readonly FlagSpec[] = [
  { name: "base-url", type: "string", value: "URL", help: "server (VECTORVUE_BASE_URL)" },
  {
    name: "ca-cert",
    type: "string",
    value: "FILE",
    help: "trust this PEM CA certificate (VECTORVUE_CA_CERT)",
  },
  { name: "username", type: "string", value: "NAME", help: "login user (VECTORVUE_USERNAME)" },
  { name: "tenant-id", type: "string", value: "ID", help: "tenant (VECTORVUE_TENANT_ID)" },
  {
    name: "password-file",
    type: "string",
    value: "FILE",
    help: "read the password from FILE (else VECTORVUE_PASSWORD)",
  },
  {
    name: "token-file",
    type: "string",
    value: "FILE",
    help: "read a bearer token from FILE (else VECTORVUE_TOKEN)",
  },
  {
    name: "signature-secret-file",
    type: "string",
    value: "FILE",
    help: "request signing secret from FILE (else VECTORVUE_SIGNATURE_SECRET)",
  },
  {
    name: "response-signing-key-file",
    type: "string",
    value: "FILE",
    help: "key to verify response signatures (else VECTORVUE_RESPONSE_SIGNING_KEY)",
  },
  {
    name: "timeout-seconds",
    type: "string",
    value: "S",
    help: "time limit of one attempt (VECTORVUE_TIMEOUT_SECONDS)",
  },
];

/** What the environment section of each connecting command's help says. */
export const CONNECTION_HELP = "Connection: the VECTORVUE_* variables (see the README), " +
  "overridden by the flags below. Secrets are read only from the environment or from files.";

type Flags = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * The client configuration the flags and environment describe, checked by building a client:
 * every problem (the environment's, the files', the client's own) is in one {@linkcode UsageError}.
 */
export async function connectionConfig(
  flags: Flags,
  system: CliSystem,
  extra: Partial<VectorVueConfig> = {},
): Promise<VectorVueConfig> {
  const problems: string[] = [];
  let config: VectorVueConfig = {};
  try {
    config = { ...configFromEnv(system.env) };
  } catch (error) {
    if (!(error instanceof VectorVueConfigError)) throw error;
    problems.push(...error.problems);
  }
  const text = (name: string) =>
    typeof flags[name] === "string" ? flags[name] as string : undefined;
  const readSecret = async (flag: string): Promise<string | undefined> => {
    const path = text(flag);
    if (path === undefined) return undefined;
    try {
      const value = (await system.readTextFile(path)).trim();
      if (value === "") problems.push(`--${flag} ${path} is empty`);
      return value;
    } catch (error) {
      problems.push(`--${flag} ${path} cannot be read: ${(error as Error).message}`);
      return undefined;
    }
  };
  const overrides: Record<string, unknown> = {};
  if (text("base-url") !== undefined) overrides.baseUrl = text("base-url");
  if (text("username") !== undefined) overrides.username = text("username");
  if (text("tenant-id") !== undefined) overrides.tenantId = text("tenant-id");
  const timeout = text("timeout-seconds");
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      problems.push(`--timeout-seconds must be a positive number of seconds, got "${timeout}"`);
    } else overrides.timeoutMs = Math.round(seconds * 1000);
  }
  const caPath = text("ca-cert");
  if (caPath !== undefined) {
    try {
      const pem = await system.readTextFile(caPath);
      if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
        problems.push(`--ca-cert ${caPath} holds no PEM certificate`);
      } else overrides.caCerts = [pem];
    } catch (error) {
      problems.push(`--ca-cert ${caPath} cannot be read: ${(error as Error).message}`);
    }
  }
  const secrets: Array<[string, keyof VectorVueConfig]> = [
    ["password-file", "password"],
    ["token-file", "token"],
    ["signature-secret-file", "signatureSecret"],
    ["response-signing-key-file", "responseSigningKey"],
  ];
  for (const [flag, option] of secrets) {
    const value = await readSecret(flag);
    if (value !== undefined && value !== "") overrides[option] = value;
  }
  config = { ...config, ...overrides, ...extra };
  if (problems.length === 0) {
    try {
      // Building a client is what checks the configuration; it opens nothing yet.
      await new VectorVueClient(config).close();
    } catch (error) {
      if (!(error instanceof VectorVueConfigError)) throw error;
      problems.push(...error.problems);
    }
  }
  if (problems.length > 0) throw new UsageError(problems);
  return config;
}
