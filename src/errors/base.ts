/**
 * The base class of every error the client raises itself.
 *
 * @module
 */

/**
 * Base class of every error the client raises itself.
 *
 * @example Catch anything the client raised
 * ```ts
 * import { VectorVueClient, VectorVueError } from "@spectrastrike/vectorvue-client";
 * import assert from "node:assert/strict";
 *
 * const client = new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln" });
 * await assert.rejects(client.getIngestStatus("not a request id"), (error) => {
 *   assert.ok(error instanceof VectorVueError);
 *   assert.equal(error.name, "VectorVueSerializationError");
 *   return true;
 * });
 * ```
 */
export class VectorVueError extends Error {
  /** Creates the error; `options.cause` keeps the underlying error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
