/**
 * One line about an error for the terminal, as `curl` or `gh` would say it:
 * `HTTP 401: Invalid credentials (request id …)`, a TLS failure with the flag that fixes it.
 * `--verbose` adds the class name and the full request line of the client's message (which
 * is already scrubbed of secrets).
 *
 * @module
 */
import { VectorVueAPIError, VectorVueConfigError, VectorVueError } from "../mod.ts";
import { inCliWords, whereToSet } from "./words.ts";

/** `POST https://… failed with 401 unauthorized after 2 retries: Invalid credentials (request_id x)…` */
const API_MESSAGE =
  /^\S+ \S+ failed with (\d{3}) \S+(?: after \d+ retries)?: (.*) \(request_id ([^)]*)\)(.*)$/s;
/** `POST https://… failed after 4 attempt(s): connection to … failed (…)` */
const TRANSPORT_MESSAGE = /^\S+ \S+ failed after (\d+) attempt\(s\): (.*)$/s;
const CA_HINT = /; if the server uses a private CA, pass it with caCerts$/;

/**
 * A client message in the command line's words: an HTTP failure as `HTTP 401: reason`, a
 * transport failure without the request line, library option names as flags and variables.
 */
export function describeMessage(message: string): string {
  const api = API_MESSAGE.exec(message);
  if (api) {
    const [, status, reason, requestId, rest] = api;
    const id = requestId === "null" || requestId === "" ? "" : ` (request id ${requestId})`;
    return `HTTP ${status}: ${inCliWords(reason, new Map())}${id}${rest}`;
  }
  const transport = TRANSPORT_MESSAGE.exec(message);
  let text = message;
  if (transport) {
    const attempts = Number(transport[1]);
    text = `${transport[2]}${attempts > 1 ? ` (${attempts} attempts)` : ""}`;
  }
  return text.replace(
    CA_HINT,
    `; if the server uses a private CA, trust it with ${whereToSet("caCerts")}`,
  ).replace(/^TLS\/certificate verification/, "TLS certificate verification");
}

/** One line about `error`; with `verbose`, the class name and the client's whole message. */
export function describeError(error: unknown, verbose = false): string {
  if (!(error instanceof VectorVueError)) {
    return error instanceof Error ? error.message : String(error);
  }
  // Client errors already name the request id in their message.
  if (verbose) return `${error.name}: ${error.message}`;
  if (error instanceof VectorVueConfigError) {
    return error.problems.map((problem) => inCliWords(problem, new Map())).join("; ");
  }
  if (error instanceof VectorVueAPIError && !API_MESSAGE.test(error.message)) {
    return `HTTP ${error.httpStatus}: ${describeMessage(error.message)}`;
  }
  return describeMessage(error.message);
}
