/**
 * The routes the client calls, as named in logs and errors.
 *
 * @module
 */

/**
 * The routes the client calls.
 *
 * @example
 * ```ts
 * import type { VectorVuePaths } from "@spectrastrike/vectorvue-client";
 *
 * const batchRoutes = (paths: VectorVuePaths) => [paths.eventsBatch, paths.findingsBatch];
 * ```
 */
export interface VectorVuePaths {
  /** Login (`POST`). */
  readonly login: string;
  /** One event (`POST`). */
  readonly events: string;
  /** A batch of events (`POST`). */
  readonly eventsBatch: string;
  /** One finding (`POST`). */
  readonly findings: string;
  /** A batch of findings (`POST`). */
  readonly findingsBatch: string;
  /** Ingest status of a request (`GET`), a template. */
  readonly ingestStatus: string;
  /** Client telemetry (`POST`). */
  readonly clientEvents: string;
}

/**
 * Paths of the VectorVue API, relative to `baseUrl`. `ingestStatus` is a
 * template: `{request_id}` stands for the id.
 *
 * @example Match a log record to a route
 * ```ts
 * import { PATHS } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PATHS.eventsBatch, "/api/v1/integrations/spectrastrike/events/batch");
 * ```
 */
export const PATHS: VectorVuePaths = Object.freeze({
  login: "/api/v1/client/auth/login",
  events: "/api/v1/integrations/spectrastrike/events",
  eventsBatch: "/api/v1/integrations/spectrastrike/events/batch",
  findings: "/api/v1/integrations/spectrastrike/findings",
  findingsBatch: "/api/v1/integrations/spectrastrike/findings/batch",
  ingestStatus: "/api/v1/integrations/spectrastrike/ingest/status/{request_id}",
  clientEvents: "/api/v1/client/events",
});

/** The routes the server's rate limit covers (status included). */
export const RATE_LIMITED_PREFIX = "/api/v1/integrations/spectrastrike/";
