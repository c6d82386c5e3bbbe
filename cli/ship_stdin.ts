/**
 * Standard input as lines for `vectorvue ship -`: each chunk read gives the complete lines in
 * it, with their byte offsets in the stream. When `signal` aborts, reading stops at once (a read
 * waiting for a quiet pipe is abandoned); the bytes of an incomplete last line are not a line,
 * so "taken" always ends at a newline and the rest can be piped to a new shipper from there.
 * At the end of the stream, a last line without a newline is a line.
 *
 * @module
 */
import type { ShipLine } from "./ship_lines.ts";

/** The source name of standard input in origins, dead letters and metrics. */
export const STDIN_SOURCE = "-";

const NEWLINE = 0x0a;
const decoder = new TextDecoder("utf-8", { fatal: true });

function decode(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Bytes of the line being read, across chunks, forgotten past the limit. */
class Partial {
  parts: Uint8Array[] = [];
  length = 0;
  tooLong = false;
  constructor(readonly max: number) {}
  add(bytes: Uint8Array): void {
    if (this.tooLong || bytes.length === 0) return;
    if (this.length + bytes.length > this.max) {
      this.tooLong = true;
      this.parts = [];
      return;
    }
    // Copied: the reader may reuse the chunk's buffer.
    this.parts.push(bytes.slice());
    this.length += bytes.length;
  }
  /** The line's text with `last` appended (undefined when not UTF-8), and resets. */
  take(last: Uint8Array): { text: string | undefined; tooLong: boolean } {
    const tooLong = this.tooLong || this.length + last.length > this.max;
    let text: string | undefined = "";
    if (!tooLong) {
      const joined = new Uint8Array(this.length + last.length);
      let at = 0;
      for (const part of [...this.parts, last]) {
        joined.set(part, at);
        at += part.length;
      }
      text = decode(joined);
    }
    this.parts = [];
    this.length = 0;
    this.tooLong = false;
    return { text: tooLong ? "" : text, tooLong };
  }
}

/** The complete lines of `stream`, a group per chunk read, until its end or `signal`. */
export async function* stdinLines(
  stream: ReadableStream<Uint8Array>,
  options: { readonly signal: AbortSignal; readonly maxLineBytes: number },
): AsyncGenerator<readonly ShipLine[]> {
  const { signal, maxLineBytes } = options;
  const reader = stream.getReader();
  const stopped = new Promise<"stopped">((resolve) => {
    if (signal.aborted) resolve("stopped");
    signal.addEventListener("abort", () => resolve("stopped"), { once: true });
  });
  const partial = new Partial(maxLineBytes);
  let offset = 0; // of the first byte of the line being read
  let read = 0; // bytes read so far
  const line = (text: string | undefined, end: number, tooLong: boolean): ShipLine => ({
    source: STDIN_SOURCE,
    path: STDIN_SOURCE,
    text,
    offset,
    end,
    ...(tooLong ? { tooLong } : {}),
  });
  try {
    while (!signal.aborted) {
      const next = await Promise.race([reader.read(), stopped]);
      if (next === "stopped") break;
      if (next.done) {
        if (read > offset) {
          const last = partial.take(new Uint8Array(0));
          yield [line(last.text, read, last.tooLong)];
        }
        return;
      }
      const chunk = next.value;
      const lines: ShipLine[] = [];
      let start = 0;
      for (let at = chunk.indexOf(NEWLINE); at >= 0; at = chunk.indexOf(NEWLINE, start)) {
        const end = read + at + 1;
        const { text, tooLong } = partial.take(chunk.subarray(start, at));
        lines.push(line(text, end, tooLong));
        offset = end;
        start = at + 1;
      }
      partial.add(chunk.subarray(start));
      read += chunk.length;
      if (lines.length > 0) yield lines;
    }
  } finally {
    // A read still waiting on a quiet pipe is abandoned, not awaited.
    reader.cancel().catch(() => {});
  }
}
