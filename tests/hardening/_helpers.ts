// Shared by the hardening tests: the test certificates, an emulator served over real HTTPS on
// 127.0.0.1, a client that trusts only the test CA, and small helpers to catch rejections.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { VectorVueClient, type VectorVueConfig } from "../../mod.ts";
import {
  createVectorVueEmulator,
  type EmulatorOptions,
  type ServedEmulator,
  type VectorVueEmulator,
} from "../../src/testing/mod.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");

/** The private test CA the clients trust. */
export const CA = fixture("ca.pem");
/** Server certificate for 127.0.0.1, ::1 and localhost, issued by {@linkcode CA}. */
export const CERT = fixture("server.pem");
export const KEY = fixture("server-key.pem");
/** A self-signed certificate that no client here trusts. */
export const UNTRUSTED_CERT = fixture("untrusted.pem");
export const UNTRUSTED_KEY = fixture("untrusted-key.pem");

export { OTHER_TENANT, sampleEvent, sampleFinding, TENANT } from "../_fixtures.ts";

/**
 * The two ways the emulator serves: `Deno.serve` (HTTP/2 and HTTP/1.1 by ALPN; Node serves
 * HTTP/1.1 here) and HTTP/1.1 only on `node:https`.
 */
export const SERVING_MODES: readonly { readonly label: string; readonly http2?: boolean }[] = [
  { label: "default serving" },
  { label: "HTTP/1.1 only (http2: false)", http2: false },
];

/** Serves `emulator` over HTTPS on 127.0.0.1, runs `run`, and closes the server either way. */
export async function withServer<T>(
  emulator: VectorVueEmulator,
  run: (server: ServedEmulator) => Promise<T>,
  options: { http2?: boolean; cert?: string; key?: string; port?: number } = {},
): Promise<T> {
  const server = await emulator.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    cert: options.cert ?? CERT,
    key: options.key ?? KEY,
    http2: options.http2,
  });
  try {
    return await run(server);
  } finally {
    await server.close();
  }
}

/** A new emulator served over HTTPS for the duration of `run`. */
export function withEmulator<T>(
  emulatorOptions: EmulatorOptions,
  run: (emulator: VectorVueEmulator, server: ServedEmulator) => Promise<T>,
  serveOptions: { http2?: boolean } = {},
): Promise<T> {
  const emulator = createVectorVueEmulator(emulatorOptions);
  return withServer(emulator, (server) => run(emulator, server), serveOptions);
}

/**
 * A client of `baseUrl` that trusts only the test CA and retries quickly; runs `run` and closes
 * the client's connection pool either way.
 */
export async function withClient<T>(
  config: VectorVueConfig,
  run: (client: VectorVueClient) => Promise<T>,
): Promise<T> {
  const client = new VectorVueClient({
    caCerts: [CA],
    backoffMs: 1,
    maxBackoffMs: 5,
    ...config,
  });
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

/** The login options of the emulator's first user. */
export function credentialsOf(emulator: VectorVueEmulator): VectorVueConfig {
  const { username, password, tenantId } = emulator.defaults;
  return { username, password, tenantId };
}

/** What `promise` rejected with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection, but the promise resolved");
}

/** `rejection()`, checked to be an instance of `type`. */
export async function rejectionOf<T>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => T,
): Promise<T> {
  const error = await rejection(promise);
  assert.ok(
    error instanceof type,
    `expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`,
  );
  return error;
}
