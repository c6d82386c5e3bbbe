/**
 * Where the batcher keeps the JSON of the items it holds: UTF-8 bytes in chunks that are reused
 * once every item in them is answered for. Held as strings (or as one buffer per item) the same
 * bytes leave garbage behind at the rate items go through, and a garbage collector lets a heap
 * grow to several times what is live before it collects: a batcher at its 64 MiB bound through
 * an outage and its drain grew the process by 220 MB that way. Chunks recycled in place keep
 * resident memory close to what the bound counts.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A chunk of the arena: items are written one after the other, and counted while held. */
interface Chunk {
  readonly buffer: Uint8Array;
  used: number;
  live: number;
}

/** Where one item's bytes are: a view into a chunk, or a buffer of its own for a large item. */
export interface Slot {
  readonly bytes: Uint8Array;
  readonly chunk: Chunk | undefined;
}

/** Chunks kept for reuse once empty; beyond these an empty chunk is left to the collector. */
const SPARE_CHUNKS = 4;

/** See the module comment. Not for concurrent use beyond one event loop (as everything here). */
export class ByteArena {
  readonly #chunkBytes: number;
  #current: Chunk | undefined;
  readonly #spare: Chunk[] = [];

  /** Chunks of `chunkBytes`; an item larger than a quarter of one gets a buffer of its own. */
  constructor(chunkBytes: number) {
    this.#chunkBytes = chunkBytes;
  }

  /** Copies `text` in as UTF-8; `length` is its UTF-8 length (known already: no second pass). */
  store(text: string, length: number): Slot {
    if (length > this.#chunkBytes / 4) return { bytes: encoder.encode(text), chunk: undefined };
    let chunk = this.#current;
    if (chunk === undefined || chunk.used + length > chunk.buffer.byteLength) {
      if (chunk !== undefined && chunk.live === 0) this.#recycle(chunk);
      chunk = this.#spare.pop() ?? { buffer: new Uint8Array(this.#chunkBytes), used: 0, live: 0 };
      this.#current = chunk;
    }
    const bytes = chunk.buffer.subarray(chunk.used, chunk.used + length);
    encoder.encodeInto(text, bytes);
    chunk.used += length;
    chunk.live++;
    return { bytes, chunk };
  }

  /** The item is answered for: its place may be written over once its chunk is empty. */
  release(slot: Slot): void {
    const chunk = slot.chunk;
    if (chunk === undefined || --chunk.live > 0) return;
    if (chunk === this.#current) chunk.used = 0;
    else this.#recycle(chunk);
  }

  #recycle(chunk: Chunk): void {
    chunk.used = 0;
    if (this.#spare.length < SPARE_CHUNKS) this.#spare.push(chunk);
  }
}
