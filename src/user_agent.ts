/**
 * The `User-Agent` the client sends, so the server's logs can tell this
 * client and its version from curl: `vectorvue-client/<version> (<runtime>
 * <version>)`, and the application's own product token after it when the
 * `appName` option gives one.
 *
 * @module
 */

import { runtimeLabel } from "./platform/process.ts";

/**
 * The version of this client, as in `deno.json` (a test keeps the two equal).
 *
 * @example Log which client version is running
 * ```ts
 * import assert from "node:assert/strict";
 * import { VERSION } from "@spectrastrike/vectorvue-client";
 *
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION = "0.1.0";

/** An HTTP product token, `name` or `name/version` (RFC 9110, section 10.1.5). */
const PRODUCT = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(\/[!#$%&'*+.^_`|~0-9A-Za-z-]+)?$/;

/** Why `appName` cannot go into a `User-Agent`, or `undefined` when it can. */
export function appNameProblem(appName: unknown): string | undefined {
  if (typeof appName === "string" && PRODUCT.test(appName)) return undefined;
  const shown = typeof appName === "string" ? JSON.stringify(appName) : typeof appName;
  return `appName must be an HTTP product token like "spectrastrike-sensor/4.2.0" ` +
    `(letters, digits and !#$%&'*+.^_\`|~- with at most one "/"), got ${shown}`;
}

/** The `User-Agent` header value, with `appName` (already checked) appended. */
export function userAgent(appName?: string): string {
  const base = `vectorvue-client/${VERSION} (${runtimeLabel()})`;
  return appName === undefined ? base : `${base} ${appName}`;
}
