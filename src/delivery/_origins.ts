// Per source, the position just past the last item taken from it (`batcher.origins()`): kept by
// the batcher in memory without a spool, by the spool with one (updated as each group of items
// is fsynced, written into every new segment's header, recovered at start-up). Bounded: the most
// recent MAX_ORIGIN_SOURCES sources (by the time their last item was taken) are kept.

/** Sources remembered at most; the one whose last item is oldest is forgotten first. */
export const MAX_ORIGIN_SOURCES = 4096;

/** See the file comment. */
export class OriginMap {
  /** In recency order: a source updated moves to the end, the first one is the oldest. */
  readonly #positions = new Map<string, number>();

  /** Starts from `pairs` (oldest first), as a header lists them. */
  constructor(pairs: Iterable<readonly [string, number]> = []) {
    for (const [source, position] of pairs) this.set(source, position);
  }

  /** The latest position of `source` (items of one source come in order, so it only grows). */
  set(source: string, position: number): void {
    const positions = this.#positions;
    // Deleted first, so that the source moves to the end (the most recent).
    if (positions.has(source)) positions.delete(source);
    positions.set(source, position);
    if (positions.size > MAX_ORIGIN_SOURCES) {
      positions.delete(positions.keys().next().value!);
    }
  }

  /** How many sources are remembered. */
  get size(): number {
    return this.#positions.size;
  }

  /** A copy, oldest source first. */
  snapshot(): Map<string, number> {
    return new Map(this.#positions);
  }

  /** The pairs, oldest source first, for a segment header. */
  pairs(): [string, number][] {
    return [...this.#positions];
  }
}
