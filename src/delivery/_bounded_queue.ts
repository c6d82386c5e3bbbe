/**
 * The batcher's bounded queue: the items waiting for a batch, the items in batches being sent,
 * and the places reserved by `add()` calls not queued yet, counted in items and in bytes of JSON
 * against `maxQueueSize` and `maxQueueBytes`; callers wait for room here (back-pressure). It
 * neither schedules nor sends (see `_batch_scheduler.ts`).
 *
 * @module
 */

import { type Packed, takeBatch } from "./batch_delivery.ts";
import { ByteArena, type Slot } from "./_byte_arena.ts";
import type { ItemOrigin } from "./batcher_types.ts";

/**
 * An item added: `position` is its order of `add()`. Only its JSON is held (as UTF-8 bytes in the
 * arena), not the item too: one copy per item, so what `maxQueueBytes` counts is what is held.
 * The item handed to `onRejected`/`onDeadLetter` is rebuilt from it (see {@linkcode itemOf}).
 */
export interface Entry extends Packed {
  /** Where its bytes are in the arena, released once it is answered for. */
  readonly slot: Slot;
  /** Sequence number in the spool. */
  readonly spoolSeq?: number;
  /** Idempotency key of the batch this item was in when an earlier process sent it. */
  readonly batchKey?: string;
  /** Where the item came from (`add(item, { origin })`), for `onDeadLetter`. */
  readonly origin?: ItemOrigin;
}

/**
 * The item as the server would have read it, rebuilt from the JSON text held: an equal plain
 * object, not the caller's own (a `Date` comes back as its ISO string, as it was sent).
 */
export function itemOf(entry: Entry): unknown {
  return JSON.parse(entry.text);
}

const decoder = new TextDecoder();

/** See the module comment. */
export class BoundedQueue {
  /** `maxQueueSize`: items held at most, queued, in flight and reserved. */
  readonly maxItems: number;
  /** `maxQueueBytes`: bytes of JSON held at most, likewise. */
  readonly maxBytes: number;
  /** The JSON of every item held, one copy each (see `_byte_arena.ts`). */
  readonly #arena: ByteArena;
  /** Queued entries from `#head` on (those before it were taken, kept until compaction). */
  #entries: Entry[] = [];
  #head = 0;
  #queuedBytes = 0;
  #inFlightItems = 0;
  #inFlightBytes = 0;
  /**
   * `add()` calls given a place in the bounds but not queued yet (writing to the spool, or about
   * to be queued): reserved in the same step as the check, so callers that do not await each
   * `add()` cannot all pass one free place.
   */
  #reservedItems = 0;
  #reservedBytes = 0;
  /** The `position` the next item added gets. */
  #nextPosition = 0;
  #peakHeld = 0;
  /** Callers of reserveWhenRoom() waiting in line, and the promise the next one waits for. */
  #inLine = 0;
  #line: Promise<void> = Promise.resolve();
  /** Callers waiting for room, woken when items leave or the batcher closes. */
  #roomWaiters: (() => void)[] = [];

  constructor(maxItems: number, maxBytes: number) {
    this.maxItems = maxItems;
    this.maxBytes = maxBytes;
    // Chunks of 1 MiB, smaller for a small bound, so that a chunk is a small part of it.
    this.#arena = new ByteArena(Math.min(1024 * 1024, Math.max(4096, Math.floor(maxBytes / 16))));
  }

  /** Items waiting for a batch. */
  get queuedCount(): number {
    return this.#entries.length - this.#head;
  }

  /** Bytes of the items waiting for a batch. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Items in batches being sent. */
  get inFlightItems(): number {
    return this.#inFlightItems;
  }

  /** Items queued or in flight. */
  get held(): number {
    return this.queuedCount + this.#inFlightItems;
  }

  /** Bytes of JSON queued or in flight. */
  get heldBytes(): number {
    return this.#queuedBytes + this.#inFlightBytes;
  }

  /** Places reserved by `add()` calls not queued yet. */
  get reservedItems(): number {
    return this.#reservedItems;
  }

  /** The most items ever held at once. */
  get peakHeld(): number {
    return this.#peakHeld;
  }

  /** The position of the last item given one; -1 before the first. */
  get lastPosition(): number {
    return this.#nextPosition - 1;
  }

  /** Whether anyone waits for room (then the queue goes out rather than wait to fill). */
  get someoneWaits(): boolean {
    return this.#roomWaiters.length > 0;
  }

  /** The entry at the head of the queue. */
  head(): Entry | undefined {
    return this.#entries[this.#head];
  }

  /** Whether an item of `size` bytes fits both bounds (anything fits when nothing is held). */
  hasRoomFor(size: number): boolean {
    const bytes = this.#queuedBytes + this.#inFlightBytes + this.#reservedBytes;
    return this.held + this.#reservedItems < this.maxItems &&
      (bytes === 0 || bytes + size <= this.maxBytes);
  }

  /** Reserves places for `items` items of `bytes` bytes in all. */
  reserve(items: number, bytes: number): void {
    this.#reservedItems += items;
    this.#reservedBytes += bytes;
  }

  /** Gives reserved places back (their items are queued, or never will be). */
  unreserve(items: number, bytes: number): void {
    this.#reservedItems -= items;
    this.#reservedBytes -= bytes;
  }

  /**
   * Waits until an item of `size` bytes fits, reserves its place (the caller releases it) and
   * returns what `whenReserved` returns, called at once, before the next caller in line goes on;
   * `checkOpen` throws when the wait must end without a place. Callers wait in line: places are
   * taken in the order they were asked for, so a smaller item never overtakes a larger one (the
   * items of one source, with their origins, stay in the order they were added).
   */
  reserveWhenRoom<T>(size: number, checkOpen: () => void, whenReserved: () => T): Promise<T> {
    if (this.#inLine > 0 || !this.hasRoomFor(size)) {
      return this.#reserveInLine(size, checkOpen, whenReserved);
    }
    // At once, without an async frame (this runs once per item).
    this.#reservedItems++;
    this.#reservedBytes += size;
    try {
      return Promise.resolve(whenReserved());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async #reserveInLine<T>(size: number, checkOpen: () => void, whenReserved: () => T) {
    const previous = this.#line;
    let leave!: () => void;
    this.#line = new Promise<void>((resolve) => leave = resolve);
    this.#inLine++;
    try {
      await previous;
      checkOpen();
      while (!this.hasRoomFor(size)) {
        await this.roomFreed();
        checkOpen();
      }
      this.#reservedItems++;
      this.#reservedBytes += size;
      return whenReserved();
    } finally {
      this.#inLine--;
      leave();
    }
  }

  /** Whether callers wait in line for a place (a new one must then join the line). */
  get waitingInLine(): boolean {
    return this.#inLine > 0;
  }

  /** Resolves when room may have been freed (or the batcher closes). */
  roomFreed(): Promise<void> {
    return new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
  }

  /** Wakes those waiting for room, one by one while there is room for one more item. */
  wakeWhileRoom(): void {
    while (this.#roomWaiters.length > 0 && this.hasRoomFor(1)) {
      this.#roomWaiters.shift()!();
    }
  }

  /** Wakes everyone waiting for room, to look again (or to find the batcher closed). */
  wakeAll(): void {
    for (const wake of this.#roomWaiters.splice(0)) wake();
  }

  /**
   * A new entry holding `text` as UTF-8 bytes in the arena only (see `_byte_arena.ts`), at the
   * next position: one copy, reused in place once answered for, and copied into the batch body.
   * The text is decoded only when asked for.
   */
  store(
    fields: Pick<Entry, "spoolSeq" | "batchKey" | "origin">,
    text: string,
    size: number,
  ): Entry {
    return this.entryOf(fields, this.#arena.store(text, size - 1), size);
  }

  /**
   * `text` as UTF-8 bytes in the arena, before its entry is made (the spool writes the same
   * bytes): {@linkcode entryOf} makes the entry, or {@linkcode release} gives the bytes back.
   */
  encode(text: string, size: number): Slot {
    return this.#arena.store(text, size - 1);
  }

  /** Bytes from {@linkcode encode} that no entry will hold. */
  release(slot: Slot): void {
    this.#arena.release(slot);
  }

  /** A new entry at the next position, holding bytes from {@linkcode encode}. */
  entryOf(
    fields: Pick<Entry, "spoolSeq" | "batchKey" | "origin">,
    slot: Slot,
    size: number,
  ): Entry {
    return {
      position: this.#nextPosition++,
      ...fields,
      slot,
      bytes: slot.bytes,
      size,
      get text() {
        return decoder.decode(slot.bytes);
      },
    };
  }

  /** Queues an entry at the end. */
  push(entry: Entry): void {
    this.#entries.push(entry);
    this.#queuedBytes += entry.size;
    this.#peakHeld = Math.max(this.#peakHeld, this.held);
  }

  /**
   * Takes the next batch from the head and counts it in flight. A batch an earlier process
   * formed goes out as it was, under its key; new items never join it.
   */
  takeBatch(maxItems: number, maxBytes: number): Entry[] {
    const key = this.#entries[this.#head]?.batchKey;
    const batch = takeBatch(
      () => {
        const entry = this.#entries[this.#head];
        return entry?.batchKey === key ? entry : undefined;
      },
      () => {
        this.#queuedBytes -= this.#entries[this.#head].size;
        this.#head++;
      },
      key === undefined ? maxItems : Infinity,
      key === undefined ? maxBytes : Infinity,
    );
    // Compact now and then, so the array does not grow without bound.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
    this.#inFlightItems += batch.length;
    for (const entry of batch) this.#inFlightBytes += entry.size;
    return batch;
  }

  /** Entries answered for: out of flight, their bytes released. */
  settle(entries: readonly Entry[]): void {
    this.#inFlightItems -= entries.length;
    for (const entry of entries) {
      this.#inFlightBytes -= entry.size;
      this.#arena.release(entry.slot);
    }
  }

  /** Entries in flight that go back to the queue, as they are (kept for the next process). */
  requeue(entries: readonly Entry[]): void {
    this.#inFlightItems -= entries.length;
    for (const entry of entries) {
      this.#inFlightBytes -= entry.size;
      this.#entries.push(entry);
      this.#queuedBytes += entry.size;
    }
  }

  /**
   * Empties the queue (not what is in flight): the items, rebuilt, and their origins, with their
   * bytes released.
   */
  takeAllQueued(): { items: unknown[]; origins: (ItemOrigin | undefined)[] } {
    const entries = this.#entries.slice(this.#head);
    this.#entries = [];
    this.#head = 0;
    this.#queuedBytes = 0;
    const items = entries.map(itemOf);
    for (const entry of entries) this.#arena.release(entry.slot);
    return { items, origins: entries.map((entry) => entry.origin) };
  }
}
