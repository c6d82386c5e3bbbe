// Many files under a bound on open handles, back-pressure, and the lag figures for /metrics.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { currentSystem } from "../../src/platform/command_line.ts";
import type { ReadHandle } from "../../src/platform/command_line.ts";
import { follow, tempDir, texts } from "./_follow.ts";

describe("Follower: many files, lag", () => {
  test("40 files with at most 4 open at once: every line of every file, twice over", async () => {
    const { dir, remove } = tempDir();
    const real = currentSystem();
    let open = 0;
    let most = 0;
    const system = {
      ...real,
      async openRead(path: string): Promise<ReadHandle> {
        const handle = await real.openRead(path);
        most = Math.max(most, ++open);
        return { ...handle, close: () => (open--, handle.close()) };
      },
    };
    const names = Array.from({ length: 40 }, (_, i) => `${dir}/f${String(i).padStart(2, "0")}.log`);
    for (const name of names) writeFileSync(name, `${name} 1\n`);
    const run = follow({ patterns: [`${dir}/*.log`], maxOpenFiles: 4 }, system);
    try {
      const first = await run.take(40);
      assert.deepEqual(texts(first).sort(), names.map((name) => `${name} 1`));
      for (const name of names) appendFileSync(name, `${name} 2\n`);
      const second = await run.take(40);
      assert.deepEqual(texts(second).sort(), names.map((name) => `${name} 2`));
      assert.equal(most <= 4, true, `at most 4 open, saw ${most}`);
      assert.equal(run.follower.files().length, 40);
    } finally {
      await run.close();
      remove();
    }
    assert.equal(open, 0, "every handle closed");
  });

  test("a resting file deleted and its name (and maybe inode) given to a new file: the new one from 0", async () => {
    await restingNameTaken((dir) => {
      // Deleted, its inode goes to the next file made, with the same bytes: only its birth time
      // tells. File times come from a coarse clock (a few ms), so the file is made again until
      // its birth time differs (no look runs meanwhile: nothing here awaits).
      const born = Math.floor(statSync(`${dir}/a.log`).birthtimeMs);
      for (let tries = 0; tries < 1e6; tries++) {
        unlinkSync(`${dir}/a.log`);
        writeFileSync(`${dir}/a.log`, "a1\n");
        if (Math.floor(statSync(`${dir}/a.log`).birthtimeMs) !== born) break;
      }
    });
  });

  test("a resting file renamed away and a new one with its head at its name: the new one from 0, at once", async () => {
    await restingNameTaken((dir) => {
      // Renamed outside the patterns, it keeps its inode, so the new a.log has another: a file
      // that can never be read again is let go at once (not after lingerMs, 60 s here), and the
      // new file is not taken for its copy.
      renameSync(`${dir}/a.log`, `${dir}/a.old`);
      writeFileSync(`${dir}/a.log`, "a1\n");
    });
  });

  test("nothing is read while the consumer does not pull", async () => {
    const { dir, remove } = tempDir();
    const real = currentSystem();
    let reads = 0;
    const system = {
      ...real,
      async openRead(path: string): Promise<ReadHandle> {
        const handle = await real.openRead(path);
        return { ...handle, read: (into, at) => (reads++, handle.read(into, at)) };
      },
    };
    writeFileSync(`${dir}/a.log`, "1\n2\n");
    const run = follow({ patterns: [`${dir}/a.log`] }, system);
    try {
      await run.take(2);
      const before = reads;
      appendFileSync(`${dir}/a.log`, "3\n");
      await run.follower.look(); // a look reads heads only, never lines
      const [file] = run.follower.files();
      assert.equal(file.lagBytes, 2);
      assert.equal(reads - before <= 1, true);
      assert.deepEqual(texts(await run.take(1)), ["3"]);
    } finally {
      await run.close();
      remove();
    }
  });

  test("lag in bytes and seconds: the age of the oldest byte not handed out", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/a.log`;
    writeFileSync(path, "");
    let now = 1_000;
    const run = follow({ patterns: [path], now: () => now });
    try {
      await run.follower.look();
      appendFileSync(path, "first\n");
      now = 2_000;
      await run.follower.look();
      appendFileSync(path, "second\n");
      now = 3_000;
      await run.follower.look();
      now = 6_000;
      const [before] = run.follower.files();
      assert.deepEqual(
        [before.size, before.position, before.lagBytes, before.lagSeconds],
        [13, 0, 13, 4],
      );
      await run.take(2);
      const [after] = run.follower.files();
      assert.deepEqual([after.lagBytes, after.lagSeconds], [0, 0]);
    } finally {
      await run.close();
      remove();
    }
  });
});

/**
 * a.log rests (b.log took the one handle), then `replace` gives its name to a new file with the
 * same bytes: the old one is reported gone once, the new one is read from 0 without waiting, and
 * nothing is read twice.
 */
async function restingNameTaken(replace: (dir: string) => void): Promise<void> {
  const { dir, remove } = tempDir();
  writeFileSync(`${dir}/a.log`, "a1\n");
  writeFileSync(`${dir}/b.log`, "b1\n");
  const run = follow({ patterns: [`${dir}/*.log`], maxOpenFiles: 1 });
  try {
    assert.deepEqual(texts(await run.take(2)).sort(), ["a1", "b1"]);
    for (let i = 0; i < 3; i++) await run.follower.look();
    replace(dir);
    appendFileSync(`${dir}/b.log`, "b2\n");
    assert.deepEqual(texts(await run.take(2, 5_000)).sort(), ["a1", "b2"]);
    assert.equal(run.of("gone").length, 1);
    appendFileSync(`${dir}/b.log`, "end\n");
    assert.deepEqual(await run.until("end"), []);
  } finally {
    await run.close();
    remove();
  }
}
