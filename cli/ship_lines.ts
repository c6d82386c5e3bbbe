/**
 * What `vectorvue ship` reads and hands to the batcher: lines with where they came from (a
 * followed file or standard input), the batcher as the shipper uses it (each item added with
 * its origin, so that the spool records how far each source was taken), and what a line holds.
 *
 * @module
 */
import type { VectorVueBatcher } from "../mod.ts";
import { DEAD_LETTER_KEY } from "./input.ts";

/** One complete line read, and where it is: the shape of the follower's `FollowedLine`. */
export interface ShipLine {
  /** The source's identity (a followed file's, or `-` for standard input). */
  readonly source: string;
  /** The path it was read from (`-` for standard input). */
  readonly path: string;
  /** The line without its newline; `undefined` when its bytes are not UTF-8. */
  readonly text: string | undefined;
  /** Byte offset of its first byte. */
  readonly offset: number;
  /** Byte offset just past its newline: where the source is taken up to once it is spooled. */
  readonly end: number;
  /** Set when the line was longer than the limit and only its start is in `text`. */
  readonly tooLong?: boolean;
}

/**
 * The batcher as the shipper uses it (a spooled `VectorVueBatcher`): `add(item, { origin })`
 * resolves once the item and its origin are durable in the spool; `origins()` says per source
 * where the last item taken ends.
 */
export type OriginBatcher = Pick<
  VectorVueBatcher,
  "add" | "origins" | "ready" | "flush" | "close" | "stats"
>;

/** What a line holds: an item to send, nothing (blank), or why it cannot be sent. */
export type LineContent =
  | { readonly item: Record<string, unknown> }
  | { readonly blank: true }
  | { readonly code: string; readonly message: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Classifies one line, as `vectorvue send` classifies an NDJSON line. */
export function lineContent(line: ShipLine, maxLineBytes: number): LineContent {
  if (line.tooLong) {
    return { code: "record_too_large", message: `longer than ${maxLineBytes} bytes` };
  }
  if (line.text === undefined) {
    return { code: "invalid_utf8", message: "the line is not valid UTF-8" };
  }
  if (line.text.trim() === "") return { blank: true };
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    return { code: "invalid_json", message: `not JSON: ${(error as Error).message}` };
  }
  if (!isRecord(value)) {
    const kind = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    return { code: "not_an_object", message: `not a JSON object but ${kind}` };
  }
  if (DEAD_LETTER_KEY in value) {
    // A dead-letter record written back after fixing: its `item` is what goes to the server.
    if (isRecord(value.item)) return { item: value.item };
    return {
      code: "unfixed_dead_letter",
      message: "a dead-letter record without an `item` object: put the fixed item there",
    };
  }
  return { item: value };
}
