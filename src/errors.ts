/**
 * The error tree of the client. Everything the client throws on its own
 * account is a {@linkcode VectorVueError}; a caller's abort rejects with the
 * signal's own `reason`, as `fetch` does.
 *
 * ```
 * VectorVueError
 * ├── VectorVueConfigError          bad options, all problems at once
 * ├── VectorVueSerializationError   a payload JSON cannot carry, or a bad batch
 * ├── VectorVueTokenError           a token without tenant_id, expired, mismatched
 * ├── VectorVueSpoolError           a batcher's spool: disk full, read-only, locked...
 * │   └── VectorVueSpoolLockedError another process holds the spool directory
 * ├── VectorVueTransportError       no HTTP answer: connection, timeout, TLS
 * ├── VectorVueClientClosedError    a call on a client after close()
 * ├── VectorVueHookError            one of the caller's hooks threw
 * └── VectorVueAPIError             the server answered with an error
 *     ├── VectorVueAuthError        401, 403
 *     ├── VectorVueNotFoundError    404
 *     ├── VectorVueConflictError    409
 *     ├── VectorVueValidationError  400, 422
 *     ├── VectorVueRateLimitError   429
 *     ├── VectorVuePayloadTooLargeError  413
 *     ├── VectorVueServerError      5xx (502/503/504: the server is unavailable)
 *     └── VectorVueResponseError    an answer that is not what the contract says
 *         └── VectorVueSignatureError  a response signature that does not verify
 * ```
 *
 * @module
 */

export { VectorVueError } from "./errors/base.ts";
export {
  type TransportFailureKind,
  VectorVueClientClosedError,
  VectorVueConfigError,
  VectorVueHookError,
  VectorVueSerializationError,
  VectorVueTokenError,
  VectorVueTransportError,
} from "./errors/local.ts";
export {
  type APIErrorInit,
  VectorVueAPIError,
  VectorVueAuthError,
  VectorVueConflictError,
  VectorVueNotFoundError,
  VectorVuePayloadTooLargeError,
  VectorVueRateLimitError,
  VectorVueResponseError,
  VectorVueServerError,
  VectorVueSignatureError,
  VectorVueValidationError,
} from "./errors/api.ts";
export { apiErrorFor, errorCodeForStatus } from "./errors/factory.ts";
