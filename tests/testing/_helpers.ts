// Shared fixtures for the emulator's own tests: route paths, sample payloads, and a small
// in-memory caller.
import {
  createVectorVueEmulator,
  type EmulatorOptions,
  type VectorVueEmulator,
} from "../../src/testing/mod.ts";

export const BASE = "https://127.0.0.1";
export const LOGIN = "/api/v1/client/auth/login";
export const CLIENT_EVENTS = "/api/v1/client/events";
export const EVENTS = "/api/v1/integrations/spectrastrike/events";
export const EVENTS_BATCH = "/api/v1/integrations/spectrastrike/events/batch";
export const FINDINGS = "/api/v1/integrations/spectrastrike/findings";
export const FINDINGS_BATCH = "/api/v1/integrations/spectrastrike/findings/batch";
export const STATUS = "/api/v1/integrations/spectrastrike/ingest/status/";

export {
  OTHER_TENANT,
  SAMPLE_EVENT,
  SAMPLE_EVENT_ID,
  SAMPLE_FINDING,
  SAMPLE_FINDING_ID,
  TENANT,
} from "../_fixtures.ts";
/** 2026-02-22T10:00:00Z, the contract's example instant. */
export const T0 = Date.parse("2026-02-22T10:00:00Z");

/** A settable clock for `now`. */
export function manualClock(start = T0): { now: () => number; advance(ms: number): void } {
  let current = start;
  return {
    now: () => current,
    advance(ms: number) {
      current += ms;
    },
  };
}

export interface CallOptions {
  /** A value to send as JSON, or a string sent as is. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly remoteAddr?: string;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // deno-lint-ignore no-explicit-any
  readonly json: any;
}

/** Sends one request through `emulator.fetch` and reads the whole answer. */
export async function call(
  emulator: VectorVueEmulator,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await emulator.fetch(
    new Request(`${BASE}${path}`, { method, headers, body }),
    options.remoteAddr === undefined ? undefined : { remoteAddr: options.remoteAddr },
  );
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** An emulator with a token for its default user. */
export async function withToken(
  options?: EmulatorOptions,
): Promise<{ emulator: VectorVueEmulator; token: string }> {
  const emulator = createVectorVueEmulator(options);
  return { emulator, token: await emulator.issueToken() };
}

/** Decodes the payload segment of a JWT. */
export function jwtPart(token: string, index: 0 | 1): Record<string, unknown> {
  const segment = token.split(".")[index].replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(segment.padEnd(Math.ceil(segment.length / 4) * 4, "=")));
}
