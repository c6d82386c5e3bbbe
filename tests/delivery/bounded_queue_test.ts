import { test } from "node:test";
import assert from "node:assert/strict";
import { BoundedQueue, type Entry } from "../../src/delivery/_bounded_queue.ts";
import { BatchScheduler } from "../../src/delivery/_batch_scheduler.ts";
import type { BatchDelivery } from "../../src/delivery/batch_delivery.ts";

const text = (n: number) => JSON.stringify({ n });
const size = (n: number) => new TextEncoder().encode(text(n)).byteLength + 1;

test("BoundedQueue: places reserved by add() calls not queued yet count against both bounds", () => {
  const queue = new BoundedQueue(3, 100);
  queue.push(queue.store({}, text(1), size(1)));
  const left = 100 - size(1);
  assert.equal(queue.hasRoomFor(left), true);
  queue.reserve(1, 50);
  // The bytes reserved count: what fitted before no longer does.
  assert.equal(queue.hasRoomFor(left), false);
  assert.equal(queue.hasRoomFor(left - 50), true);
  // So do the items: one held and one reserved of three leaves room for one more.
  queue.reserve(1, 0);
  assert.equal(queue.hasRoomFor(1), false);
  queue.unreserve(2, 50);
  assert.equal(queue.hasRoomFor(left), true);
  assert.equal(queue.reservedItems, 0);
});

test("BoundedQueue: a batch taken is counted in flight until settled, and its bytes held until then", () => {
  const queue = new BoundedQueue(10, 1_000);
  for (let n = 0; n < 3; n++) queue.push(queue.store({}, text(n), size(n)));
  const batch = queue.takeBatch(2, 1_000);
  assert.deepEqual(batch.map((entry) => JSON.parse(entry.text).n), [0, 1]);
  assert.equal(queue.queuedCount, 1);
  assert.equal(queue.inFlightItems, 2);
  assert.equal(queue.heldBytes, size(0) + size(1) + size(2));
  queue.settle(batch);
  assert.equal(queue.inFlightItems, 0);
  assert.equal(queue.heldBytes, size(2));
  assert.equal(queue.peakHeld, 3);
});

test("BatchScheduler: items recovered from a spool go out at once, not after flushIntervalMs", () => {
  const queue = new BoundedQueue(100, 100_000);
  const sent: Entry[][] = [];
  const delivery = {
    batch: (entries: Entry[]) => ({ entries, firstIndex: entries[0].position, key: "k" }),
    deliver: (batch: { entries: Entry[] }) => {
      sent.push(batch.entries);
      return new Promise<void>(() => {}); // still in flight when the test ends
    },
  } as unknown as BatchDelivery;
  const scheduler = new BatchScheduler(
    queue,
    delivery,
    { maxBatchSize: 50, maxBatchBytes: 1_000_000, flushIntervalMs: 60_000, concurrency: 2 },
    { settle: () => Promise.resolve(), stopped: () => false },
  );
  for (let n = 0; n < 3; n++) queue.push(queue.store({ spoolSeq: n }, text(n), size(n)));
  scheduler.sendQueuedNow();
  scheduler.clearTimer();
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].map((entry) => entry.spoolSeq), [0, 1, 2]);
  assert.equal(queue.inFlightItems, 3);
});
