// The class behind the rotation scenarios: a writer, rotations by rename and by copy-and-truncate
// (copies matched by the pattern), partial pulls, looks and restarts from the positions handed
// out, in an order drawn from a seeded generator. Every line must come exactly once.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, copyFileSync, existsSync, renameSync, truncateSync } from "node:fs";
import type { FollowedLine } from "../../cli/follow.ts";
import { follow, type Followed, tempDir } from "./_follow.ts";

/** A small deterministic generator (mulberry32), so a failing seed can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function scenario(seed: number): Promise<void> {
  const next = random(seed);
  const { dir, remove } = tempDir();
  const path = `${dir}/app.log`;
  const positions = new Map<string, number>();
  const received: string[] = [];
  const start = () => follow({ patterns: [`${dir}/app.log*`], positions: new Map(positions) });
  const note = (lines: FollowedLine[]) => {
    for (const line of lines) {
      received.push(line.text);
      positions.set(line.source, line.end);
    }
  };
  let run: Followed = start();
  let written = 0;
  let rotations = 0;
  const steps: string[] = [];
  try {
    for (let step = 0; step < 100; step++) {
      const roll = next();
      if (roll < 0.4) {
        const count = 1 + Math.floor(next() * 4);
        for (let i = 0; i < count; i++) appendFileSync(path, `line-${written++}\n`);
        steps.push(`append ${count}`);
      } else if (roll < 0.6) {
        const count = Math.floor(next() * (written - received.length + 1));
        note(await run.take(count));
        steps.push(`take ${count}`);
      } else if (roll < 0.7 && existsSync(path)) {
        renameSync(path, `${path}.r${rotations++}`);
        steps.push("rename");
      } else if (roll < 0.8 && existsSync(path)) {
        copyFileSync(path, `${path}.c${rotations++}`);
        truncateSync(path, 0);
        steps.push("copytruncate");
      } else if (roll < 0.9) {
        await run.follower.look();
        steps.push("look");
      } else {
        await run.close();
        run = start();
        steps.push("restart");
      }
    }
    // Lines of other files (copies, rotated files) may come after a marker in app.log: take as
    // many as were written, then check that a look finds nothing left to read anywhere.
    note(await run.take(written - received.length));
    await run.follower.look();
    assert.deepEqual(run.follower.files().filter((file) => file.lagBytes > 0), []);
    appendFileSync(path, "end\n");
    assert.deepEqual(await run.until("end"), []);
    const expected = Array.from({ length: written }, (_, i) => `line-${i}`);
    assert.deepEqual(
      [...received].sort(),
      expected.sort(),
      `seed ${seed}: ${steps.join(", ")}; events ${JSON.stringify(run.events)}`,
    );
  } finally {
    await run.close();
    remove();
  }
}

describe("Follower: rotations, pulls and restarts in a random order", () => {
  for (const seed of Array.from({ length: 12 }, (_, i) => i + 1)) {
    test(`every line exactly once (seed ${seed})`, () => scenario(seed));
  }
});
