// `batcher.add(item, { origin })` and `batcher.origins()`: a bad origin is a typed config error
// before anything is written; without a spool the positions are kept in memory; with one they
// are the spool's (recovered by the next batcher); `onDeadLetter` gets each item's origin.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { type ItemOrigin, VectorVueClient, VectorVueConfigError } from "../../mod.ts";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import { Spool } from "../../src/delivery/spool.ts";
import { segmentFiles, withTempDir } from "./_spool_helpers.ts";

function event(i: number): Record<string, unknown> {
  return {
    event_id: `or-${i}`,
    source_system: "spectrastrike",
    event_type: "PROCESS_ANOMALY",
    occurred_at: "2026-11-28T12:00:00Z",
    severity: "medium",
    asset_ref: "host-1",
    message: `line ${i}`,
  };
}

function setup() {
  const emulator = createVectorVueEmulator({ rateLimit: false });
  let requests = 0;
  const client = new VectorVueClient({
    ...emulator.defaults,
    maxRetries: 0,
    fetch: (input, init) => (requests++, emulator.fetch(new Request(input, init))),
  });
  return { emulator, client, requests: () => requests };
}

const BAD: [unknown, RegExp][] = [
  [{ origin: { source: "", position: 1 } }, /add: origin\.source must be a non-empty string/],
  [{ origin: { source: "a", position: -1 } }, /origin\.position must be a whole number/],
  [{ origin: { source: "a", position: 1.5 } }, /origin\.position must be a whole number/],
  [{ origin: { source: "a", position: Infinity } }, /origin\.position must be a whole number/],
  [{ origin: { source: "a", position: NaN } }, /origin\.position must be a whole number/],
  [{ origin: { source: "a" } }, /origin\.position must be a whole number/],
  [{ origin: { source: 7, position: 1 } }, /origin\.source must be a non-empty string/],
  [{ origin: { source: "a", position: 1, line: 3 } }, /unknown option "line"/],
  [{ orign: { source: "a", position: 1 } }, /unknown option "orign" \(did you mean "origin"\?\)/],
  [{ origin: "a.log:1" }, /add: origin must be an object/],
  [{ origin: { source: "é".repeat(2049), position: 1 } }, /at most 4096 bytes of UTF-8/],
  ["origin", /add options must be an object/],
];

describe("batcher origins", () => {
  for (const spooled of [false, true]) {
    test(`a bad origin is a VectorVueConfigError before anything is written (${spooled ? "spool" : "memory"})`, async () => {
      await withTempDir(async (dir) => {
        const { client, requests } = setup();
        const batcher = client.createBatcher({
          kind: "events",
          ...(spooled ? { spool: { dir } } : {}),
        });
        await batcher.ready();
        for (const [options, message] of BAD) {
          await assert.rejects(
            batcher.add(event(0), options as { origin: ItemOrigin }),
            (error) => error instanceof VectorVueConfigError && message.test(error.message),
            `${JSON.stringify(options)}: ${message}`,
          );
        }
        assert.deepEqual(batcher.stats().spool?.items ?? 0, 0);
        assert.equal(batcher.stats().queued, 0);
        assert.equal(batcher.origins().size, 0);
        await batcher.close();
        assert.equal(requests(), 0, "nothing was sent");
      });
    });
  }

  test("without a spool, origins() is the last position queued per source, kept in memory", async () => {
    const { client } = setup();
    const batcher = client.createBatcher({ kind: "events", flushIntervalMs: 60_000 });
    await batcher.add(event(0), { origin: { source: "a", position: 10 } });
    await batcher.add(event(1), { origin: { source: "b", position: 5 } });
    await batcher.add(event(2), { origin: { source: "a", position: 20 } });
    await batcher.add(event(3));
    assert.deepEqual([...batcher.origins()], [["b", 5], ["a", 20]]);
    const copy = batcher.origins() as Map<string, number>;
    copy.set("a", 0);
    assert.equal(batcher.origins().get("a"), 20, "a copy: the caller cannot change it");
    await batcher.close();
  });

  test("with a spool, the next batcher on the directory starts from the positions (after a clean close)", async () => {
    await withTempDir(async (dir) => {
      const { client, emulator } = setup();
      const first = client.createBatcher({ kind: "events", spool: { dir } });
      for (let i = 0; i < 5; i++) {
        await first.add(event(i), { origin: { source: "/var/log/x", position: (i + 1) * 100 } });
      }
      await first.close();
      assert.equal(emulator.events().length, 5);
      const second = client.createBatcher({ kind: "events", spool: { dir } });
      await second.ready();
      assert.deepEqual([...second.origins()], [["/var/log/x", 500]]);
      await second.close();
    });
  });

  test("onDeadLetter gets each item's origin: items dropped at close, and recovered ones", async () => {
    const { client } = setup();
    const dead: { items: unknown[]; origins: readonly (ItemOrigin | undefined)[] }[] = [];
    const batcher = client.createBatcher({
      kind: "events",
      flushIntervalMs: 60_000,
      onDeadLetter: (items, _error, origins) => void dead.push({ items, origins }),
    });
    await batcher.add(event(0), { origin: { source: "a", position: 1 } });
    await batcher.add(event(1));
    await batcher.add(event(2), { origin: { source: "b", position: 9 } });
    await batcher.close({ signal: AbortSignal.abort() });
    assert.deepEqual(dead.map((d) => d.items.length), [3]);
    assert.deepEqual(dead[0].origins, [{ source: "a", position: 1 }, undefined, {
      source: "b",
      position: 9,
    }]);

    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: 1024 * 1024 });
      await spool.append(JSON.stringify(event(3)), undefined, { source: "c", position: 4 });
      await spool.append("{not json", undefined, { source: "c", position: 12 });
      await spool.close();
      const recovered: (readonly (ItemOrigin | undefined)[])[] = [];
      const next = setup().client.createBatcher({
        kind: "events",
        spool: { dir },
        onDeadLetter: (_items, _error, origins) => void recovered.push(origins),
      });
      await next.ready();
      await next.close();
      assert.deepEqual(recovered, [[{ source: "c", position: 12 }]]);
      assert.deepEqual([...next.origins()], [["c", 12]]);
      assert.equal((await segmentFiles(dir)).length, 1, "kept for its positions");
    });
  });

  for (const spooled of [false, true]) {
    test(`add() calls waiting for room are taken in call order: origins never go back (${spooled ? "spool" : "memory"})`, async () => {
      await withTempDir(async (dir) => {
        const emulator = createVectorVueEmulator({ rateLimit: false });
        const client = new VectorVueClient({
          ...emulator.defaults,
          fetch: async (input, init) => {
            await new Promise((resolve) => setTimeout(resolve, 5));
            return emulator.fetch(new Request(input, init));
          },
        });
        const batcher = client.createBatcher({
          kind: "events",
          maxBatchSize: 1,
          concurrency: 1,
          flushIntervalMs: 1,
          maxQueueBytes: 2_500,
          ...(spooled ? { spool: { dir } } : {}),
        });
        await batcher.ready();
        const sizes = [900, 900, 1_400, 10, 10, 10, 1_400, 10];
        const order: number[] = [];
        const seen: number[] = [];
        await Promise.all(
          sizes.map((size, i) =>
            batcher.add({ ...event(i), metadata: { pad: "m".repeat(size) } }, {
              origin: { source: "s", position: i + 1 },
            }).then(() => {
              order.push(i);
              seen.push(batcher.origins().get("s")!);
            })
          ),
        );
        assert.deepEqual(order, sizes.map((_, i) => i), "resolved in call order");
        assert.deepEqual(seen, [...seen].sort((a, b) => a - b), "origins never went back");
        assert.equal(batcher.origins().get("s"), sizes.length);
        await batcher.close();
        assert.equal(emulator.events().length, sizes.length);
      });
    });
  }
});
