/**
 * The client's printable summary, for `toJSON` and the inspect hooks: its
 * setup, with only whether each secret is set, never the secret itself.
 *
 * @module
 */

import type { ResolvedConfig } from "../config.ts";
import type { ClientSession } from "./session.ts";

/** The summary `VectorVueClient.toJSON` returns (no password, token or key). */
export function clientSummary(
  config: ResolvedConfig,
  session: ClientSession,
): Record<string, unknown> {
  return {
    baseUrl: config.baseUrl,
    tenantId: config.tenantId ?? session.tenantId,
    username: config.username,
    auth: session.canLogin ? "credentials" : "token",
    signing: config.signatureSecret !== undefined,
    responseVerification: config.responseSigningKey !== undefined,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    maxBatchSize: config.maxBatchSize,
    proxy: config.proxy?.display ?? null,
  };
}
