/**
 * Reading items from NDJSON (one object a line) or a JSON array, as a stream: memory holds one
 * line (or one array element) at a time, whatever the size of the input. Every record carries
 * its line number and the byte offset just after it, where a resumed run starts reading again.
 *
 * @module
 */
import {
  concat,
  type InputFormat,
  type InputRecord,
  isBlank,
  type ReadPosition,
} from "./input_record.ts";
import { ndjsonRecords } from "./input_ndjson.ts";
import { arrayRecords } from "./input_array.ts";

export {
  classify,
  DEAD_LETTER_KEY,
  type InputFormat,
  type InputRecord,
  MAX_RECORD_BYTES,
  type ReadPosition,
} from "./input_record.ts";

/** The format of an input whose first bytes are `head`: a JSON array starts with `[`. */
export function detectFormat(head: Uint8Array): InputFormat {
  for (const byte of head) {
    if (
      byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a || byte === 0xef ||
      byte === 0xbb || byte === 0xbf
    ) continue;
    return byte === 0x5b ? "array" : "ndjson";
  }
  return "ndjson";
}

/**
 * The records of `stream`, NDJSON or a JSON array. Blank lines are skipped. Resuming at
 * `position` needs its `format`: an array is then read from just after an element.
 */
export async function* readRecords(
  stream: ReadableStream<Uint8Array>,
  position: ReadPosition = { offset: 0, line: 1 },
): AsyncGenerator<InputRecord> {
  const reader = stream.getReader();
  try {
    let first: Uint8Array | undefined;
    let format = position.format;
    if (format === undefined) {
      // Skip nothing, but look far enough to see the first non-blank byte.
      const held: Uint8Array[] = [];
      let heldLength = 0;
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        held.push(value);
        heldLength += value.length;
        if (!isBlank(value)) break;
      }
      first = concat(held, heldLength);
      format = detectFormat(first);
    }
    const chunks = (async function* () {
      if (first && first.length > 0) yield first;
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        yield value;
      }
    })();
    if (format === "array") {
      // Resumed past the start, an array is read from just after an element.
      yield* arrayRecords(chunks, position, position.offset > 0);
    } else {
      yield* ndjsonRecords(chunks, position);
    }
  } finally {
    reader.releaseLock();
    await stream.cancel().catch(() => {});
  }
}
