/**
 * JSON array records: the elements of one JSON array, found by tracking brackets and strings
 * only; each element is then parsed on its own, so a malformed one is reported with its line and
 * the rest still read.
 *
 * @module
 */
import {
  classify,
  type InputRecord,
  isSpace,
  type ReadPosition,
  RecordBuffer,
  tooLong,
} from "./input_record.ts";

const NEWLINE = 0x0a;

const enum State {
  BeforeArray,
  BeforeValue,
  InValue,
  InString,
  InStringEscape,
  AfterValue,
  AfterArray,
}

/**
 * Elements of a JSON array, found by tracking brackets and strings only; each element is then
 * parsed on its own, so a malformed one is reported with its line and the rest still read.
 */
export async function* arrayRecords(
  chunks: AsyncIterable<Uint8Array>,
  position: ReadPosition,
  resumed: boolean,
): AsyncGenerator<InputRecord> {
  const scanner = new ArrayScanner(position, resumed);
  for await (const chunk of chunks) {
    scanner.startChunk();
    for (let i = 0; i < chunk.length; i++) {
      const record = scanner.byte(chunk, i);
      if (record) yield record;
      if (scanner.stopped) return;
    }
    scanner.endChunk(chunk);
  }
  const last = scanner.end();
  if (last) yield last;
}

/** The scanner's state between bytes (and chunks): where it is, in what, since which line. */
class ArrayScanner {
  line: number;
  offset: number;
  state: State;
  depth = 0;
  valueLine: number;
  topString = false;
  container = false;
  readonly buffer = new RecordBuffer();
  /** Where the current element starts in the current chunk; -1 when outside an element. */
  valueStart = -1;
  /** A structural error was reported: nothing more is read. */
  stopped = false;

  constructor(position: ReadPosition, resumed: boolean) {
    this.line = position.line;
    this.offset = position.offset;
    // Resumed past the start, an array is read from just after an element.
    this.state = resumed ? State.AfterValue : State.BeforeArray;
    this.valueLine = this.line;
  }

  structural(message: string): InputRecord {
    return {
      line: this.line,
      endOffset: this.offset,
      errorCode: "invalid_json",
      errorMessage: message,
      raw: "",
    };
  }

  /** An element carried over from the previous chunk continues at this chunk's start. */
  startChunk(): void {
    const state = this.state;
    this.valueStart = state === State.InValue || state === State.InString ||
        state === State.InStringEscape
      ? 0
      : -1;
  }

  /** Keeps what the chunk holds of an unfinished element. */
  endChunk(chunk: Uint8Array): void {
    if (this.valueStart >= 0) this.buffer.add(chunk.slice(this.valueStart));
    this.offset += chunk.length;
  }

  /** After the last chunk: an element cut short by the end, or an array never closed. */
  end(): InputRecord | undefined {
    const state = this.state;
    if (state === State.AfterArray) return undefined;
    if (state === State.InValue || state === State.InString || state === State.InStringEscape) {
      const bytes = this.buffer.take();
      this.buffer.reset();
      return classify(bytes, this.valueLine, this.offset);
    }
    return this.structural("the JSON array is not closed");
  }

  /** Reads the byte at `i` of `chunk`; the record it completes, if any. */
  byte(chunk: Uint8Array, i: number): InputRecord | undefined {
    const byte = chunk[i];
    const here = this.offset + i;
    let record: InputRecord | undefined;
    switch (this.state) {
      case State.BeforeArray:
        if (byte === 0x5b) this.state = State.BeforeValue;
        else if (!isSpace(byte) && !(byte === 0xef || byte === 0xbb || byte === 0xbf)) {
          this.offset = here + 1;
          this.stopped = true;
          return this.structural("the input is neither NDJSON nor a JSON array");
        }
        break;
      case State.BeforeValue:
        this.#beforeValue(byte, i);
        break;
      case State.InString:
        record = this.#inString(chunk, byte, i, here);
        break;
      case State.InStringEscape:
        this.state = State.InString;
        break;
      case State.InValue:
        record = this.#inValue(chunk, byte, i);
        break;
      case State.AfterValue:
        if (byte === 0x2c) this.state = State.BeforeValue;
        else if (byte === 0x5d) this.state = State.AfterArray;
        else if (!isSpace(byte)) {
          this.offset = here + 1;
          this.stopped = true;
          return this.structural(
            `expected , or ] after an array element, got ${
              JSON.stringify(String.fromCharCode(byte))
            }`,
          );
        }
        break;
      case State.AfterArray:
        if (!isSpace(byte)) {
          this.offset = here + 1;
          this.stopped = true;
          return this.structural("text after the end of the JSON array");
        }
        break;
    }
    if (byte === NEWLINE) this.line++;
    return record;
  }

  #beforeValue(byte: number, i: number): void {
    if (isSpace(byte)) return;
    if (byte === 0x5d) {
      this.state = State.AfterArray;
      return;
    }
    this.state = byte === 0x22 ? State.InString : State.InValue;
    this.topString = byte === 0x22;
    this.container = byte === 0x7b || byte === 0x5b;
    this.depth = this.container ? 1 : 0;
    this.valueLine = this.line;
    this.valueStart = i;
  }

  #inString(chunk: Uint8Array, byte: number, i: number, here: number): InputRecord | undefined {
    if (byte === 0x5c) this.state = State.InStringEscape;
    else if (byte === 0x22) {
      this.state = State.InValue;
      if (this.topString && this.depth === 0) {
        // A string element ends with its quote.
        this.buffer.add(chunk.subarray(this.valueStart, i + 1));
        const isTooLong = this.buffer.tooLong;
        const bytes = this.buffer.take();
        this.buffer.reset();
        this.state = State.AfterValue;
        this.valueStart = -1;
        return isTooLong
          ? tooLong(this.valueLine, here + 1)
          : classify(bytes, this.valueLine, here + 1);
      }
    }
    return undefined;
  }

  #inValue(chunk: Uint8Array, byte: number, i: number): InputRecord | undefined {
    if (byte === 0x22) {
      this.state = State.InString;
      this.topString = false;
      return undefined;
    }
    let end = -1;
    if (this.container) {
      if (byte === 0x7b || byte === 0x5b) this.depth++;
      else if (byte === 0x7d || byte === 0x5d) this.depth--;
      if (this.depth === 0) end = i + 1;
    } else if (byte === 0x2c || byte === 0x5d || isSpace(byte)) {
      end = i;
    }
    if (end < 0) return undefined;
    this.buffer.add(chunk.subarray(this.valueStart, end));
    const isTooLong = this.buffer.tooLong;
    const bytes = this.buffer.take();
    this.buffer.reset();
    this.valueStart = -1;
    const endOffset = this.offset + end;
    const record = isTooLong
      ? tooLong(this.valueLine, endOffset)
      : classify(bytes, this.valueLine, endOffset);
    if (this.container) this.state = State.AfterValue;
    else if (byte === 0x2c) this.state = State.BeforeValue;
    else if (byte === 0x5d) this.state = State.AfterArray;
    else this.state = State.AfterValue;
    return record;
  }
}
