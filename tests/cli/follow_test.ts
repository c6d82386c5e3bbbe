import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { Follower } from "../../cli/follow.ts";
import { FileTable, MAX_KNOWN_SOURCES } from "../../cli/follow_table.ts";
import { normalizeFollowOptions } from "../../cli/follow_options.ts";
import { currentSystem } from "../../src/platform/command_line.ts";
import type { ReadHandle } from "../../src/platform/command_line.ts";
import { follow, tempDir, texts } from "./_follow.ts";

describe("Follower: lines as they are written", () => {
  test("bad options are one TypeError naming every problem, before any file is opened", () => {
    let opened = 0;
    const system = { ...currentSystem(), openRead: () => (opened++, Promise.reject(new Error())) };
    assert.throws(
      () =>
        new Follower(system, {
          patterns: ["a.log", ""],
          fromStart: true,
          positions: new Map([["1:2:3:4:0123456789abcdef", -1]]),
          pollMs: 0,
          maxOpenFiles: 1.5,
        }),
      {
        name: "TypeError",
        message:
          "Follower: patterns must be non-empty strings; Follower: positions must hold byte " +
          "offsets, got -1 for 1:2:3:4:0123456789abcdef; Follower: pollMs must be a positive " +
          "integer, got 0; Follower: maxOpenFiles must be a positive integer, got 1.5",
      },
    );
    assert.equal(opened, 0);
  });

  test("options are read by the one options table: unknown names with a guess, every problem", () => {
    assert.throws(
      () =>
        new Follower(currentSystem(), {
          patterns: ["a.log"],
          fromStart: "yes",
          positions: new Map(),
          pollMS: 5,
        } as never),
      {
        name: "TypeError",
        message: 'Follower: unknown option "pollMS" (did you mean "pollMs"?); ' +
          'Follower: fromStart must be true or false, got "yes"',
      },
    );
  });

  test("lines appended are handed out with offsets; a partial line waits for its newline", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/a.log`;
    writeFileSync(path, "one\ntwo\nhal");
    const run = follow({ patterns: [path] });
    try {
      const first = await run.take(2);
      assert.deepEqual(texts(first), ["one", "two"]);
      assert.deepEqual(first.map((line) => [line.offset, line.end]), [[0, 4], [4, 8]]);
      assert.equal(first[0].path, path);
      assert.match(first[0].source, /^\d+:\d+:\d+:\d+:[0-9a-f]{16}$/);
      appendFileSync(path, "f\nthree\n");
      const next = await run.take(2);
      assert.deepEqual(texts(next), ["half", "three"]);
      assert.deepEqual(next.map((line) => [line.offset, line.end]), [[8, 13], [13, 19]]);
      assert.equal(next[0].source, first[0].source);
      assert.deepEqual(run.of("found").map((event) => event.path), [path]);
    } finally {
      await run.close();
      remove();
    }
  });

  test("CRLF loses its \\r, invalid UTF-8 comes as U+FFFD with an event, offsets stay in bytes", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/a.log`;
    writeFileSync(path, Buffer.concat([Buffer.from("é\r\n"), Buffer.from([0xff, 0x41, 0x0a])]));
    const run = follow({ patterns: [path] });
    try {
      const lines = await run.take(2);
      assert.deepEqual(texts(lines), ["é", "\uFFFDA"]);
      assert.deepEqual(lines.map((line) => [line.offset, line.end]), [[0, 4], [4, 7]]);
      assert.deepEqual(run.of("invalid-utf8").map((event) => event.position), [4]);
    } finally {
      await run.close();
      remove();
    }
  });

  test("a line over maxLineBytes is skipped with an event and never blocks the file", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/a.log`;
    writeFileSync(path, `short\n${"x".repeat(300)}\nafter\n`);
    const run = follow({ patterns: [path], maxLineBytes: 100 });
    try {
      assert.deepEqual(texts(await run.take(2)), ["short", "after"]);
      assert.deepEqual(
        run.of("line-too-long").map((event) => [event.position, event.bytes]),
        [[6, 301]],
      );
      // A writer that never ends its line: reported while it is still being written.
      appendFileSync(path, "y".repeat(250));
      appendFileSync(path, `${"y".repeat(250)}\nlast\n`);
      assert.deepEqual(texts(await run.take(1)), ["last"]);
      // One event for it, whether it was caught unterminated (no length yet) or whole.
      const [, second] = run.of("line-too-long");
      assert.equal(run.of("line-too-long").length, 2);
      assert.equal(second.position, 313);
      assert.equal(second.bytes === undefined || second.bytes === 501, true);
      assert.equal(statSync(path).size, 6 + 301 + 6 + 501 + 5);
    } finally {
      await run.close();
      remove();
    }
  });

  test("globs are expanded again: a file created later is followed from its start", async () => {
    const { dir, remove } = tempDir();
    writeFileSync(`${dir}/a.log`, "a1\n");
    writeFileSync(`${dir}/ignored.txt`, "nope\n");
    const run = follow({ patterns: [`${dir}/*.log`] });
    try {
      assert.deepEqual(texts(await run.take(1)), ["a1"]);
      writeFileSync(`${dir}/b.log`, "b1\nb2\n");
      const lines = await run.take(2);
      assert.deepEqual(texts(lines), ["b1", "b2"]);
      assert.equal(lines[0].path, `${dir}/b.log`);
    } finally {
      await run.close();
      remove();
    }
  });

  test("SIGHUP's rescan() finds a new file before the rescan interval", async () => {
    const { dir, remove } = tempDir();
    writeFileSync(`${dir}/a.log`, "a1\n");
    const run = follow({ patterns: [`${dir}/*.log`], rescanMs: 3_600_000 });
    try {
      await run.take(1);
      writeFileSync(`${dir}/b.log`, "b1\n");
      appendFileSync(`${dir}/a.log`, "marker\n");
      assert.deepEqual(await run.until("marker"), [], "not expanded yet");
      run.follower.rescan();
      assert.deepEqual(texts(await run.take(1)), ["b1"]);
    } finally {
      await run.close();
      remove();
    }
  });

  test("a file that fails to read is let go, reported, and resumed at its position when found again", async () => {
    const { dir, remove } = tempDir();
    writeFileSync(`${dir}/a.log`, "1\n");
    const real = currentSystem();
    let failures = 1;
    const system = {
      ...real,
      async openRead(path: string): Promise<ReadHandle> {
        const handle = await real.openRead(path);
        return {
          ...handle,
          read: (into: Uint8Array, at: number) =>
            into.length >= 65_536 && at > 0 && failures-- > 0
              ? Promise.reject(new Error("EIO: i/o error"))
              : handle.read(into, at),
        };
      },
    };
    const run = follow({ patterns: [`${dir}/a.log`] }, system);
    try {
      const [first] = await run.take(1);
      appendFileSync(`${dir}/a.log`, "2\n3\n");
      const lines = await run.take(2);
      assert.deepEqual(texts(lines), ["2", "3"]);
      assert.equal(lines[0].source, first.source);
      assert.deepEqual(run.of("unreadable").map((event) => event.reason), ["EIO: i/o error"]);
      assert.deepEqual(run.of("resumed").map((event) => event.position), [2]);
    } finally {
      await run.close();
      remove();
    }
  });

  test("an unterminated last line of a file that lost its name is reported when it is let go", async () => {
    const { dir, remove } = tempDir();
    writeFileSync(`${dir}/a.log`, "1\ncut off");
    const run = follow({ patterns: [`${dir}/a.log`], lingerMs: 0 });
    try {
      await run.take(1);
      renameSync(`${dir}/a.log`, `${dir}/a.old`);
      for (let i = 0; i < 100 && run.of("closed").length === 0; i++) await run.follower.look();
      assert.deepEqual(run.of("closed").map((event) => [event.position, event.bytes]), [[2, 7]]);
      assert.deepEqual(run.follower.files(), []);
    } finally {
      await run.close();
      remove();
    }
  });

  test("the iterator ends on close() and on the signal's abort, waiting pulls included", async () => {
    const { dir, remove } = tempDir();
    writeFileSync(`${dir}/a.log`, "");
    const controller = new AbortController();
    const options = {
      patterns: [`${dir}/a.log`],
      fromStart: true,
      positions: new Map(),
      pollMs: 5,
    };
    const aborted = new Follower(currentSystem(), { ...options, signal: controller.signal });
    const closed = new Follower(currentSystem(), options);
    try {
      const waiting = [aborted.lines().next(), closed.lines().next()];
      controller.abort();
      await closed.close();
      assert.deepEqual(await Promise.all(waiting), [
        { value: undefined, done: true },
        { value: undefined, done: true },
      ]);
    } finally {
      await aborted.close();
      remove();
    }
  });
});

describe("Follower: sources kept while no file holds them", () => {
  test("the most recent MAX_KNOWN_SOURCES are kept, the oldest forgotten, a source seen again moves up", () => {
    const positions = new Map(
      Array.from({ length: MAX_KNOWN_SOURCES + 10 }, (_, i) => [`1:${i}:0:1:0123456789abcdef`, i]),
    );
    const table = new FileTable(currentSystem(), {
      ...normalizeFollowOptions({ patterns: ["a.log"], fromStart: true, positions }),
    });
    assert.equal(table.known.size, MAX_KNOWN_SOURCES);
    assert.equal(table.known.has("1:0:0:1:0123456789abcdef"), false);
    assert.equal(table.known.get(`1:${MAX_KNOWN_SOURCES + 9}:0:1:0123456789abcdef`), 4105);
    // A file let go at a rotation: remembered as the newest; the oldest kept goes.
    table.remember("1:10:0:1:0123456789abcdef", 99);
    table.remember("2:1:0:1:0123456789abcdef", 7);
    assert.equal(table.known.size, MAX_KNOWN_SOURCES);
    assert.equal(table.known.get("1:10:0:1:0123456789abcdef"), 99);
    assert.equal(table.known.has("1:11:0:1:0123456789abcdef"), false);
    assert.equal(table.known.get("2:1:0:1:0123456789abcdef"), 7);
  });
});
