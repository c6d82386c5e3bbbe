import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, statSync, writeFileSync } from "node:fs";
import { follow, tempDir, texts } from "./_follow.ts";

describe("Follower: lines as they are written", () => {
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
      assert.equal(run.of("line-too-long").length >= 2, true);
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
});
