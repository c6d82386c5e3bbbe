/**
 * NDJSON records: one JSON object a line, blank lines skipped.
 *
 * @module
 */
import {
  classify,
  type InputRecord,
  isBlank,
  type ReadPosition,
  RecordBuffer,
  tooLong,
} from "./input_record.ts";

const NEWLINE = 0x0a;

/** The records of NDJSON `chunks`, from `position`. */
export async function* ndjsonRecords(
  chunks: AsyncIterable<Uint8Array>,
  position: ReadPosition,
): AsyncGenerator<InputRecord> {
  let line = position.line;
  let offset = position.offset;
  const buffer = new RecordBuffer();
  const emit = (end: number): InputRecord | undefined => {
    const isTooLong = buffer.tooLong;
    const bytes = buffer.take();
    buffer.reset();
    if (isTooLong) return tooLong(line, end);
    if (isBlank(bytes)) return undefined;
    return classify(bytes, line, end);
  };
  for await (const chunk of chunks) {
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, start)) {
      offset += at + 1 - start;
      let record: InputRecord | undefined;
      if (buffer.length === 0 && !buffer.tooLong) {
        const bytes = chunk.subarray(start, at);
        record = isBlank(bytes) ? undefined : classify(bytes, line, offset);
      } else {
        buffer.add(chunk.subarray(start, at));
        record = emit(offset);
      }
      if (record) yield record;
      line++;
      start = at + 1;
    }
    buffer.add(chunk.slice(start));
    offset += chunk.length - start;
  }
  const record = emit(offset);
  if (record) yield record;
}
