/**
 * The client's one way to log: through the configured logger, every field
 * scrubbed of secrets, and never failing the call.
 *
 * @module
 */

import { type LogFields, type Logger, type Scrubber, silentLogger } from "../logger.ts";

/** The levels the client logs at. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Logs one record, its fields scrubbed. */
export type ClientLog = (level: LogLevel, message: string, fields: LogFields) => void;

/** The client's log function over `logger`, scrubbing with `scrubber`. */
export function clientLog(logger: Logger, scrubber: Scrubber): ClientLog {
  // Nothing is written: scrubbing the fields of every call for nobody cost CPU per request.
  if (logger === silentLogger) return () => {};
  return (level, message, fields) => {
    try {
      logger[level](message, scrubber.fields(fields));
    } catch {
      // A broken logger must not break delivery.
    }
  };
}
