/**
 * One line about an error for the terminal: the class and message of a client error (which
 * names the server's request id, and is already scrubbed of secrets).
 *
 * @module
 */
import { VectorVueError } from "../src/errors.ts";

/** `VectorVueAuthError: POST … failed with 401 unauthorized: Invalid credentials (request_id …)`. */
export function describeError(error: unknown): string {
  // Client errors already name the request id in their message.
  if (error instanceof VectorVueError) return `${error.name}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
