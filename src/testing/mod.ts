/**
 * A VectorVue server emulator for tests, in the spirit of stripe-mock: a web-standard `fetch`
 * handler faithful to the VectorVue Client API 4.1 contract (login and JWTs, the bearer guard,
 * optional request signing, envelopes, validation, deterministic ids, idempotency, batches,
 * status records, response signatures, rate limits), which can also listen over real HTTPS in
 * Deno and Node, with fault injection (statuses, delays, dropped connections, redirects, slow
 * bodies) and inspection of what it received.
 *
 * @example Testing a client against the emulator without a network
 * ```ts
 * import assert from "node:assert/strict";
 * import { createVectorVueEmulator } from "@spectrastrike/vectorvue-client/testing";
 *
 * const emulator = createVectorVueEmulator();
 * const fetchImpl: typeof fetch = (input, init) => emulator.fetch(new Request(input, init));
 *
 * emulator.inject({ status: 503, body: "<html>Service Unavailable</html>" });
 * const response = await fetchImpl("https://127.0.0.1/api/v1/integrations/spectrastrike/events", {
 *   method: "POST",
 * });
 * assert.equal(response.status, 503);
 * ```
 *
 * @module
 */
export { pythonCanonicalJson } from "../canonical_json.ts";
export type { Fault } from "./_faults.ts";
export { EMULATOR_DEFAULTS, type EmulatorOptions, type EmulatorUser } from "./_options.ts";
export type { StoredClientEvent, StoredEvent, StoredFinding } from "./_store.ts";
export {
  createVectorVueEmulator,
  type RecordedRequest,
  type ServedEmulator,
  type ServeOptions,
  type TokenClaims,
  type VectorVueEmulator,
} from "./emulator.ts";
