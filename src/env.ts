/**
 * Options from environment variables, for scripts and the QA smoke run.
 * Durations keep the design note's seconds (`VECTORVUE_TIMEOUT_SECONDS`).
 *
 * @module
 */

import { processEnv, readTextFile } from "./_runtime_deno.ts";
import { type VectorVueConfig, withRedactedPrinting } from "./config.ts";
import { VectorVueConfigError } from "./errors.ts";

/**
 * The variables {@linkcode configFromEnv} reads, and the option each sets.
 *
 * @example List the variables a deployment may set
 * ```ts
 * import { ENV_VARIABLES } from "@spectrastrike/vectorvue-client";
 *
 * console.assert(ENV_VARIABLES.VECTORVUE_TIMEOUT_SECONDS === "timeoutMs");
 * ```
 */
export const ENV_VARIABLES: Readonly<Record<string, string>> = Object.freeze({
  VECTORVUE_BASE_URL: "baseUrl",
  VECTORVUE_USERNAME: "username",
  VECTORVUE_PASSWORD: "password",
  VECTORVUE_TENANT_ID: "tenantId",
  VECTORVUE_TOKEN: "token",
  VECTORVUE_TIMEOUT_SECONDS: "timeoutMs",
  VECTORVUE_VERIFY_TLS: "verifyTls",
  VECTORVUE_CA_CERT: "caCerts",
  VECTORVUE_SIGNATURE_SECRET: "signatureSecret",
  VECTORVUE_RESPONSE_SIGNING_KEY: "responseSigningKey",
  VECTORVUE_MAX_RETRIES: "maxRetries",
  VECTORVUE_BACKOFF_SECONDS: "backoffMs",
  VECTORVUE_MAX_BATCH_SIZE: "maxBatchSize",
  VECTORVUE_REQUIRE_HTTPS: "requireHttps",
});

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

/**
 * Reads client options from `VECTORVUE_*` variables (see
 * {@linkcode ENV_VARIABLES}). Unset or empty variables are left out, so the
 * client's defaults apply. `VECTORVUE_CA_CERT` is a path to a PEM file.
 * Malformed values are all reported in one {@linkcode VectorVueConfigError}.
 * The result prints with secrets redacted.
 *
 * @param env Variables to read; the process environment by default.
 *
 * @example Build a client from the environment
 * ```ts
 * import { configFromEnv, VectorVueClient } from "@spectrastrike/vectorvue-client";
 *
 * const config = configFromEnv({
 *   VECTORVUE_BASE_URL: "https://vectorvue.internal",
 *   VECTORVUE_TOKEN: "eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRfaWQiOiIxMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDEifQ.c2ln",
 *   VECTORVUE_TIMEOUT_SECONDS: "2.5",
 * });
 * console.assert(config.timeoutMs === 2500);
 * const client = new VectorVueClient(config);
 * ```
 */
export function configFromEnv(env?: Record<string, string | undefined>): VectorVueConfig {
  const source = env ?? processEnv();
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  const read = (name: string): string | undefined => {
    const value = source[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const seconds = (name: string, option: string) => {
    const value = read(name);
    if (value === undefined) return;
    const parsed = Number(value);
    if (!Number.isFinite(parsed)) {
      problems.push(`${name} must be a number of seconds, got "${value}"`);
    } else config[option] = Math.round(parsed * 1000);
  };
  const integer = (name: string, option: string) => {
    const value = read(name);
    if (value === undefined) return;
    if (!/^\d+$/.test(value)) problems.push(`${name} must be a whole number, got "${value}"`);
    else config[option] = Number(value);
  };
  const flag = (name: string, option: string) => {
    const value = read(name)?.toLowerCase();
    if (value === undefined) return;
    if (TRUE.has(value)) config[option] = true;
    else if (FALSE.has(value)) config[option] = false;
    else problems.push(`${name} must be true or false, got "${value}"`);
  };

  for (
    const name of ["BASE_URL", "USERNAME", "PASSWORD", "TENANT_ID", "TOKEN", "SIGNATURE_SECRET"]
  ) {
    const variable = `VECTORVUE_${name}`;
    const value = read(variable);
    if (value !== undefined) config[ENV_VARIABLES[variable]] = value;
  }
  const responseKey = read("VECTORVUE_RESPONSE_SIGNING_KEY");
  if (responseKey !== undefined) config.responseSigningKey = responseKey;
  seconds("VECTORVUE_TIMEOUT_SECONDS", "timeoutMs");
  seconds("VECTORVUE_BACKOFF_SECONDS", "backoffMs");
  integer("VECTORVUE_MAX_RETRIES", "maxRetries");
  integer("VECTORVUE_MAX_BATCH_SIZE", "maxBatchSize");
  flag("VECTORVUE_VERIFY_TLS", "verifyTls");
  flag("VECTORVUE_REQUIRE_HTTPS", "requireHttps");
  const caPath = read("VECTORVUE_CA_CERT");
  if (caPath !== undefined) {
    try {
      const pem = readTextFile(caPath);
      if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
        problems.push(`VECTORVUE_CA_CERT (${caPath}) holds no PEM certificate`);
      } else {
        config.caCerts = [pem];
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problems.push(`VECTORVUE_CA_CERT (${caPath}) cannot be read: ${reason}`);
    }
  }
  if (problems.length > 0) throw new VectorVueConfigError(problems);
  return withRedactedPrinting(config as VectorVueConfig);
}
