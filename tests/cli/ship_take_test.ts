// The line taker of `vectorvue ship`: what counts as taken, and that what it keeps does not grow
// with the files a shipper has seen over days (a new source at every rotation).
import { test } from "node:test";
import assert from "node:assert/strict";
import { LineTaker } from "../../cli/ship_take.ts";
import { ShipDeadLetters } from "../../cli/ship_dead_letter.ts";
import type { OriginBatcher, ShipLine } from "../../cli/ship_lines.ts";
import type { CliSystem } from "../../src/platform/command_line.ts";
import type { BatcherStats } from "../../mod.ts";

/** A batcher whose adds all resolve at once, with room always. */
function roomyBatcher(added: string[]): OriginBatcher {
  const stats = { queued: 0, inFlight: 0, heldBytes: 0 } as unknown as BatcherStats;
  return {
    add: (_item: Record<string, unknown>, options?: { origin?: { source: string } }) => {
      added.push(options?.origin?.source ?? "");
      return Promise.resolve();
    },
    stats: () => stats,
  } as unknown as OriginBatcher;
}

const room = { maxQueueSize: 10_000, maxQueueBytes: 1 << 26, spoolMaxBytes: 1 << 28 };

function line(source: string, offset: number, text: string): ShipLine {
  return { source, path: source, text, offset, end: offset + text.length + 1 };
}

test("LineTaker counts lines taken without keeping one entry per source it ever saw", async () => {
  const added: string[] = [];
  // No line here is malformed: the dead-letter file is never opened.
  const deadLetters = new ShipDeadLetters({} as CliSystem, "/nowhere/dead-letter.ndjson");
  const taker = new LineTaker(roomyBatcher(added), deadLetters, room, 1024);
  for (let n = 0; n < 5_000; n++) {
    await taker.take([line(`file-${n}`, 0, `{"n":${n}}`), line(`file-${n}`, 9, "")]);
  }
  await taker.take([line("-", 0, '{"a":1}'), line("-", 8, "")]);
  assert.equal(added.length, 5_001);
  assert.equal(taker.linesTaken, 10_002, "blank lines count as taken");
  assert.deepEqual(taker.stdin, { lines: 2, end: 9 });
  // What it holds does not grow with the number of sources.
  for (const [field, value] of Object.entries(taker)) {
    if (value instanceof Map || value instanceof Set) {
      assert.ok(value.size <= 1, `${field} holds ${value.size} entries`);
    }
  }
});
