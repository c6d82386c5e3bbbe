/**
 * The batcher's side of its durable spool (`spool.ts`): opening it, queuing what an earlier
 * process left (in portions, as the queue has room), writing each new item to it before it is
 * queued, recording batches before their first send, and settling items once answered for, or
 * keeping them on disk when `close()` gave up.
 *
 * @module
 */

import { VectorVueError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { serializeItem, utf8Length } from "../serialize.ts";
import type { ItemOutcome } from "./batch_outcome.ts";
import { type ItemOrigin, VectorVueBatcherClosedError } from "./batcher_types.ts";
import { spoolErrorFrom, VectorVueSpoolError } from "./spool_error.ts";
import { DEFAULT_SPOOL_MAX_BYTES } from "../option_tables.ts";
import { Spool, SpoolClosedError, type SpoolOptions } from "./spool.ts";
import type { BoundedQueue, Entry } from "./_bounded_queue.ts";
import type { Slot } from "./_byte_arena.ts";
import type { BatchScheduler } from "./_batch_scheduler.ts";

/** What the spool adapter asks of the batcher. */
export interface SpoolAdapterHost {
  readonly logger: Logger;
  /** "event" or "finding", for serialising. */
  readonly what: string;
  readonly queue: BoundedQueue;
  /** Whether `close()` was called. */
  closed(): boolean;
  /** Where new and recovered entries are queued and sent from. */
  readonly scheduler: BatchScheduler;
  /** Counts items as dead-lettered and hands them on. */
  deadLetter(
    items: unknown[],
    error: Error,
    origins: readonly (ItemOrigin | undefined)[],
  ): Promise<void>;
}

/** An item's bytes in the queue's arena, and its append to the spool. */
interface Appending {
  readonly slot: Slot;
  readonly appended: Promise<number>;
}

/** See the module comment. */
export class SpoolAdapter {
  readonly #host: SpoolAdapterHost;
  /** Settles when the spool is open and its backlog being queued, or failed to open. */
  readonly opening: Promise<void>;
  /** The durable spool, once open. */
  #spool: Spool | undefined;
  #openError: Error | undefined;
  /** Queuing what an earlier process left, portion by portion; settles when all is queued. */
  #adopting: Promise<void> | undefined;
  /** `add()` calls writing their item to the spool, and who waits for them to end. */
  #adding = 0;
  #addsEnded: (() => void)[] = [];
  /** Set when `close()` gave up: what is left stays on disk for the next process. */
  #keepOnDisk = false;

  constructor(options: SpoolOptions, host: SpoolAdapterHost) {
    this.#host = host;
    this.opening = Spool.open({
      dir: options.dir,
      maxBytes: options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES,
      logger: host.logger,
    }).then(
      async (spool) => {
        try {
          this.#adopt(spool);
        } catch (error) {
          // Typed, and the directory released for the next try (its lock is not left held).
          this.#spool = undefined;
          await spool.close().catch(() => {});
          this.#openError = new VectorVueSpoolError(
            "io",
            `cannot queue what the spool ${options.dir} holds: ${
              error instanceof Error ? error.message : String(error)
            }`,
            { path: options.dir, cause: error },
          );
        }
      },
      (error) => {
        this.#openError = error instanceof Error ? error : new VectorVueError(String(error));
      },
    );
  }

  /** The spool, once open (and still after it is closed); undefined when it failed to open. */
  get spool(): Spool | undefined {
    return this.#spool;
  }

  /** Settles once the backlog is all queued (undefined when there was none). */
  get adopting(): Promise<void> | undefined {
    return this.#adopting;
  }

  /** Whether `close()` gave up: nothing more is sent, the rest stays on disk. */
  get keepingOnDisk(): boolean {
    return this.#keepOnDisk;
  }

  /** From now on, what is not answered for stays on disk (the backlog stops being queued too). */
  keepOnDisk(): void {
    this.#keepOnDisk = true;
  }

  /** The spool's positions per source (empty until it is open). */
  origins(): Map<string, number> {
    return this.#spool?.origins() ?? new Map();
  }

  /** Resolves once open, or rejects with the error that prevents it. */
  async ready(): Promise<void> {
    await this.opening;
    if (this.#openError !== undefined) throw this.#openError;
  }

  /** Refuses new appends, also those waiting for space in the spool. */
  refuseNew(): void {
    this.#spool?.refuseNew();
  }

  /** Resolves once every `add()` writing to the spool has ended. */
  addsEnded(): Promise<void> {
    if (this.#adding === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.#addsEnded.push(resolve));
  }

  /**
   * Queues one item, on disk (write + fsync, shared with the items around it) first, with its
   * origin: durable, as the spool's latest position of its source, once this resolves. The
   * common case (open, room, nobody waiting in line) has no async frame, one promise and a
   * count (not a set of promises): this runs once per item.
   */
  add(item: Record<string, unknown>, origin?: ItemOrigin): Promise<void> {
    const { queue } = this.#host;
    if (this.#spool === undefined || this.#host.closed() || queue.waitingInLine) {
      return this.#addWhenRoom(item, origin);
    }
    let text: string;
    try {
      text = serializeItem(item, this.#host.what);
    } catch (error) {
      return Promise.reject(error);
    }
    const size = utf8Length(text) + 1;
    if (!queue.hasRoomFor(size)) return this.#addWhenRoom(item, origin, text);
    queue.reserve(1, size);
    this.#adding++;
    return this.#queueWhenAppended(this.#append(text, size, origin), size, origin);
  }

  /** `add()` once the spool is open and the queue has room, in line with the others waiting. */
  async #addWhenRoom(item: Record<string, unknown>, origin?: ItemOrigin, serialized?: string) {
    this.#adding++;
    try {
      if (this.#spool === undefined) await this.ready();
      if (this.#host.closed()) throw new VectorVueBatcherClosedError();
      const text = serialized ?? serializeItem(item, this.#host.what);
      const size = utf8Length(text) + 1;
      // Appended once its place is reserved, before the next add() in line goes on: the order
      // of add() calls is the order of sequence numbers (and of each source's items).
      const appending = await this.#host.queue.reserveWhenRoom(
        size,
        () => this.#checkOpen(),
        () => this.#append(text, size, origin),
      );
      this.#adding++; // ended by #queueWhenAppended, as in add()
      await this.#queueWhenAppended(appending, size, origin);
    } finally {
      this.#addEnded();
    }
  }

  /**
   * Encodes an item's JSON once, into the queue's arena (its place reserved), and appends those
   * bytes to the spool; the entry queued after the fsync holds them.
   */
  #append(text: string, size: number, origin: ItemOrigin | undefined): Appending {
    const slot = this.#host.queue.encode(text, size);
    let appended: Promise<number>;
    try {
      appended = this.#spool!.append(text, size - 1, origin, slot.bytes);
    } catch (error) {
      appended = Promise.reject(error); // released and unreserved as any failure
    }
    return { slot, appended };
  }

  /** Queues the entry once its item is on disk; its place passes from reserved to queued. */
  #queueWhenAppended(
    { slot, appended }: Appending,
    size: number,
    origin: ItemOrigin | undefined,
  ): Promise<void> {
    const { queue } = this.#host;
    // The add ends first (whoever waits for it resumes only after this callback returns).
    return appended.then((spoolSeq) => {
      this.#addEnded();
      queue.unreserve(1, size);
      const fields = origin === undefined ? { spoolSeq } : { spoolSeq, origin };
      this.#host.scheduler.enqueue(queue.entryOf(fields, slot, size));
    }, (error) => {
      this.#addEnded();
      queue.release(slot);
      queue.unreserve(1, size);
      queue.wakeAll(); // its place is free again
      throw error instanceof SpoolClosedError ? new VectorVueBatcherClosedError() : error;
    });
  }

  #addEnded(): void {
    if (--this.#adding === 0) { for (const ended of this.#addsEnded.splice(0)) ended(); }
  }

  #checkOpen(): void {
    if (this.#host.closed()) throw new VectorVueBatcherClosedError();
  }

  /**
   * Records a batch's idempotency key before its first send, so that after a crash it is sent
   * again under the same key. A failure to record it is logged, not fatal: the items themselves
   * are on disk, and the server keys items by their ids as well.
   */
  async recordBatch(key: string, entries: readonly Entry[]): Promise<void> {
    if (this.#spool === undefined || entries[0]?.batchKey === key) return;
    try {
      await this.#spool.recordBatch(key, entries.map((entry) => entry.spoolSeq!));
    } catch (error) {
      this.#host.logger.error("vectorvue batcher could not record a batch in the spool", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * When `close()` gave up: what the server did not answer for goes back to the queue (and its
   * count) and stays on disk for the next process; returns what it did answer for, which is
   * settled and never sent again (undefined when nothing is left to settle).
   */
  keepUnanswered(
    entries: readonly Entry[],
    outcomes: readonly ItemOutcome[],
  ): { entries: readonly Entry[]; outcomes: readonly ItemOutcome[] } | undefined {
    const answered = outcomes.map((outcome) => outcome.status !== "failed");
    const kept = entries.filter((_, position) => !answered[position]);
    this.#host.queue.requeue(kept);
    if (kept.length === entries.length) return undefined;
    return {
      entries: entries.filter((_, position) => answered[position]),
      outcomes: outcomes.filter((_, position) => answered[position]),
    };
  }

  /** Entries answered for, or dead-lettered: they leave the spool. */
  settle(entries: readonly Entry[]): void {
    this.#spool?.settle(entries.map((entry) => entry.spoolSeq!));
  }

  /**
   * Entries with their final outcomes: accepted ones leave the spool at once; refused and
   * undelivered ones once `reported` says the callbacks that report them returned. A crash before
   * then (or a callback that threw) leaves them for the next process to report again, so none
   * leaves the spool without `onRejected`/`onDeadLetter` hearing of it.
   */
  async settleReported(
    entries: readonly Entry[],
    outcomes: readonly ItemOutcome[],
    reported: Promise<boolean>,
  ): Promise<void> {
    const accepted = entries.filter((_, i) => outcomes[i].status === "accepted");
    this.settle(accepted);
    const heard = await reported;
    if (heard && accepted.length < entries.length) {
      this.settle(entries.filter((_, i) => outcomes[i].status !== "accepted"));
    }
  }

  /**
   * Queues what the last process left (its batches first, with their keys, then loose items), in
   * portions as the queue has room: the backlog's texts are read from disk only then, so a large
   * backlog is never in memory at once.
   */
  #adopt(spool: Spool): void {
    this.#spool = spool;
    const { backlog } = spool;
    if (backlog.length === 0) return;
    this.#host.logger.info(
      "vectorvue batcher delivers what an earlier process left in the spool",
      {
        items: backlog.length,
        batches: new Set(backlog.map((item) => item.batchKey).filter((key) => key !== undefined))
          .size,
      },
    );
    this.#adopting = this.#adoptBacklog(spool).catch((error) => {
      // The items stay on disk for the next start.
      this.#host.logger.error("vectorvue batcher could not read the spool's backlog", {
        error: spoolErrorFrom(error, "read the backlog of", spool.dir).message,
      });
    });
  }

  async #adoptBacklog(spool: Spool): Promise<void> {
    const { backlog } = spool;
    const { queue } = this.#host;
    let next = 0;
    while (next < backlog.length && !this.#keepOnDisk) {
      if (!queue.hasRoomFor(backlog[next].bytes + 1)) {
        await queue.roomFreed();
        continue;
      }
      // As many as fit now (at least one), their place reserved while their texts are read.
      let end = next;
      let bytes = 0;
      while (end < backlog.length) {
        const size = backlog[end].bytes + 1;
        if (end > next && !queue.hasRoomFor(bytes + size)) break;
        bytes += size;
        end++;
        queue.reserve(1, 0);
      }
      queue.reserve(0, bytes);
      let read: Awaited<ReturnType<Spool["readBacklog"]>>;
      try {
        read = await spool.readBacklog(next, end);
      } finally {
        queue.unreserve(end - next, bytes);
      }
      next = end;
      this.#queueRecovered(spool, read);
    }
  }

  /** Queues items read from the backlog; one whose text is not JSON is dead-lettered. */
  #queueRecovered(
    spool: Spool,
    read: readonly { seq: number; text: string; batchKey?: string; origin?: ItemOrigin }[],
  ): void {
    const { queue } = this.#host;
    // An item whose text is not JSON (written by a faulty writer: the checksum held) cannot be
    // sent: it is dead-lettered with its text, and leaves the spool, instead of blocking start-up.
    const unreadable: { seq: number; text: string; origin?: ItemOrigin }[] = [];
    for (const { seq, text, batchKey, origin } of read) {
      try {
        JSON.parse(text); // only to know it can be sent: the entry keeps the text
      } catch {
        unreadable.push({ seq, text, origin });
        continue;
      }
      const fields = origin === undefined ? { spoolSeq: seq, batchKey } : {
        spoolSeq: seq,
        batchKey,
        origin,
      };
      queue.push(queue.store(fields, text, utf8Length(text) + 1));
    }
    if (unreadable.length > 0) {
      spool.settle(unreadable.map((spooled) => spooled.seq));
      void this.#host.deadLetter(
        unreadable.map((spooled) => spooled.text),
        new VectorVueSpoolError("io", "an item in the spool is not valid JSON", {
          path: spool.dir,
        }),
        unreadable.map((spooled) => spooled.origin),
      );
    }
    // Everything recovered is old already: it goes out at once, not after flushIntervalMs.
    this.#host.scheduler.sendQueuedNow();
  }
}
