/**
 * The one factory from an HTTP answer to its error class, and the error code
 * of a status when the body names none.
 *
 * @module
 */

import {
  type APIErrorInit,
  VectorVueAPIError,
  VectorVueAuthError,
  VectorVueConflictError,
  VectorVueNotFoundError,
  VectorVuePayloadTooLargeError,
  VectorVueRateLimitError,
  VectorVueResponseError,
  VectorVueServerError,
  VectorVueValidationError,
} from "./api.ts";

/** The error code the client uses for a status when the body gives none. */
export function errorCodeForStatus(status: number): string {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "conflict";
    case 413:
      return "payload_too_large";
    case 422:
      return "validation_failed";
    case 429:
      return "rate_limited";
    case 502:
      return "bad_gateway";
    case 503:
      return "service_unavailable";
    case 504:
      return "gateway_timeout";
  }
  if (status >= 300 && status < 400) return "unexpected_redirect";
  if (status >= 500) return "server_error";
  if (status >= 400) return "client_error";
  return "invalid_response";
}

/**
 * Picks the {@linkcode VectorVueAPIError} subclass for an HTTP status: the
 * one factory from response to error class.
 */
export function apiErrorFor(message: string, init: APIErrorInit): VectorVueAPIError {
  const status = init.httpStatus;
  if (status === 401 || status === 403) return new VectorVueAuthError(message, init);
  if (status === 404) return new VectorVueNotFoundError(message, init);
  if (status === 409) return new VectorVueConflictError(message, init);
  if (status === 400 || status === 422) return new VectorVueValidationError(message, init);
  if (status === 429) return new VectorVueRateLimitError(message, init);
  if (status === 413) return new VectorVuePayloadTooLargeError(message, init);
  if (status >= 500) return new VectorVueServerError(message, init);
  if (status >= 200 && status < 400) return new VectorVueResponseError(message, init);
  return new VectorVueAPIError(message, init);
}
