// What others do to the files we follow: rotation by rename and by copy-and-truncate,
// truncation while we are behind, deletion, recreation. Each scenario ends with a marker line,
// so "nothing lost, nothing repeated" is checked on everything handed out before it.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  appendFileSync,
  closeSync,
  copyFileSync,
  openSync,
  renameSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { follow, tempDir, texts } from "./_follow.ts";

describe("Follower: rotation", () => {
  test("rename-and-create: the old file is finished by its handle, the new one read from 0", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    const writer = openSync(path, "a");
    writeSync(writer, "1\n2\n");
    const run = follow({ patterns: [path] }); // the rotated name is not matched
    try {
      assert.deepEqual(texts(await run.take(2)), ["1", "2"]);
      renameSync(path, `${dir}/app.log.1`);
      writeSync(writer, "3\n"); // a writer that has not reopened yet
      writeFileSync(path, "4\n");
      writeSync(writer, "5\n");
      closeSync(writer);
      appendFileSync(path, "end\n");
      const lines = await run.until("end");
      assert.deepEqual(texts(lines).sort(), ["3", "4", "5"]);
      const old = lines.filter((line) => ["3", "5"].includes(line.text));
      assert.deepEqual(texts(old), ["3", "5"], "in file order");
      assert.equal(old[0].path, path, "read under the name it was followed by");
      assert.notEqual(lines.find((line) => line.text === "4")!.source, old[0].source);
      // "gone" when a look ran between the rename and the new file's creation.
      assert.equal(run.of("rotated").length + run.of("gone").length, 1);
    } finally {
      await run.close();
      remove();
    }
  });

  test("rename within the patterns: the file keeps its source under its new name", async () => {
    const { dir, remove } = tempDir();
    writeFileSync(`${dir}/app.log`, "1\n");
    const run = follow({ patterns: [`${dir}/app.log*`] });
    try {
      const [first] = await run.take(1);
      renameSync(`${dir}/app.log`, `${dir}/app.log.1`);
      appendFileSync(`${dir}/app.log.1`, "2\n");
      writeFileSync(`${dir}/app.log`, "new\n");
      appendFileSync(`${dir}/app.log.1`, "end\n");
      await run.follower.look(); // names are learnt by looks: this one sees the rename
      const lines = await run.until("end");
      const two = lines.find((line) => line.text === "2")!;
      assert.equal(two.source, first.source);
      assert.equal(two.path, `${dir}/app.log.1`);
      assert.deepEqual(texts(lines).sort(), ["2", "new"]);
      assert.deepEqual(run.of("rotated").map((event) => event.newPath), [`${dir}/app.log.1`]);
    } finally {
      await run.close();
      remove();
    }
  });

  test("copy-and-truncate with the copy matched: the copy carries the old source on, no repeat", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    writeFileSync(path, "1\n2\n");
    const run = follow({ patterns: [`${dir}/app.log*`] });
    try {
      const [first] = await run.take(2);
      appendFileSync(path, "3\n4\n"); // not read yet: the follower waits for our pull
      copyFileSync(path, `${dir}/app.log.1`);
      truncateSync(path, 0);
      appendFileSync(path, "5\nend\n");
      const lines = await run.until("end");
      assert.deepEqual(texts(lines).sort(), ["3", "4", "5"]);
      const fromCopy = lines.filter((line) => line.text === "3" || line.text === "4");
      assert.deepEqual(fromCopy.map((line) => [line.source, line.offset]), [
        [first.source, 4],
        [first.source, 6],
      ]);
      const five = lines.find((line) => line.text === "5")!;
      assert.notEqual(five.source, first.source);
      assert.equal(five.offset, 0);
      assert.equal(run.of("truncated").length, 1);
      assert.equal(run.of("resumed").length, 1);
    } finally {
      await run.close();
      remove();
    }
  });

  test("a copy made while the file is followed waits; the file deleted (a move across file systems), it takes over, no repeat", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    writeFileSync(path, "1\n");
    const run = follow({ patterns: [`${dir}/app.log*`], lingerMs: 0 });
    try {
      const [first] = await run.take(1);
      appendFileSync(path, "2\n");
      copyFileSync(path, `${dir}/app.log.moved`);
      await run.follower.look();
      assert.deepEqual(run.of("copy").map((event) => [event.path, event.source]), [
        [`${dir}/app.log.moved`, first.source],
      ]);
      unlinkSync(path);
      appendFileSync(`${dir}/app.log.moved`, "3\n"); // written after the move
      const lines = await run.take(2);
      assert.deepEqual(texts(lines), ["2", "3"]);
      assert.deepEqual(lines.map((line) => line.source), [first.source, first.source]);
      assert.equal(lines[1].path, `${dir}/app.log.moved`);
      appendFileSync(`${dir}/app.log.moved`, "end\n");
      assert.deepEqual(await run.until("end"), []);
    } finally {
      await run.close();
      remove();
    }
  });

  test("copy-and-truncate with the copy not matched: the loss is reported, the file is read from 0", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    writeFileSync(path, "1\n2\n");
    const run = follow({ patterns: [path] });
    try {
      const [first] = await run.take(2);
      appendFileSync(path, "3\n4\n"); // lost: truncated before we read it
      await run.follower.look(); // we see it, but nobody pulled
      copyFileSync(path, `${dir}/app.log.1`);
      truncateSync(path, 0);
      appendFileSync(path, "5\nend\n");
      const lines = await run.until("end");
      assert.deepEqual(texts(lines), ["5"], JSON.stringify(run.events));
      assert.notEqual(lines[0].source, first.source);
      const [truncated] = run.of("truncated");
      assert.equal(truncated.source, first.source);
      assert.equal(truncated.position, 4);
      assert.equal(truncated.bytes, 4, "the bytes seen and not read are counted as lost");
      assert.match(truncated.reason ?? "", /lost/);
    } finally {
      await run.close();
      remove();
    }
  });

  test("truncated while we are behind and regrown past our position: the new head tells", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    writeFileSync(path, "a\n");
    const run = follow({ patterns: [path] });
    try {
      const [first] = await run.take(1);
      truncateSync(path, 0);
      appendFileSync(path, "b-longer-than-before\nend\n");
      const lines = await run.until("end");
      assert.deepEqual(texts(lines), ["b-longer-than-before"]);
      assert.equal(lines[0].offset, 0);
      assert.notEqual(lines[0].source, first.source);
      assert.equal(run.of("truncated").length, 1);
    } finally {
      await run.close();
      remove();
    }
  });

  test("a file deleted while open is read to its end, then let go; recreated, it is a new file", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    const writer = openSync(path, "a");
    writeSync(writer, "1\n");
    const run = follow({ patterns: [path], lingerMs: 0 });
    try {
      const [first] = await run.take(1);
      unlinkSync(path);
      writeSync(writer, "2\n");
      closeSync(writer);
      assert.deepEqual(texts(await run.take(1)), ["2"]);
      for (let i = 0; i < 100 && run.of("closed").length === 0; i++) await run.follower.look();
      assert.equal(run.of("gone").length, 1);
      assert.deepEqual(run.of("closed").map((event) => [event.source, event.position]), [
        [first.source, 4],
      ]);
      writeFileSync(path, "1\nend\n"); // same name, same first line: the inode may be reused
      const lines = await run.until("end");
      assert.deepEqual(texts(lines), ["1"], "read from its start");
      assert.equal(lines[0].offset, 0);
      assert.equal(run.follower.files().length, 1);
    } finally {
      await run.close();
      remove();
    }
  });

  test("while the consumer does not pull, files are still opened, so one rotated away meanwhile is read in full", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    writeFileSync(path, "1\n");
    const run = follow({ patterns: [path] });
    /** Polls (bounded) until a followed file holds `text`'s bytes: a look between pulls saw it. */
    const opened = async (size: number) => {
      for (let i = 0; i < 400; i++) {
        if (run.follower.files().some((file) => file.path === path && file.size === size)) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.fail(`no look between pulls opened the file of ${size} bytes`);
    };
    try {
      await run.take(1); // from here on, nobody pulls until the end
      renameSync(path, `${dir}/app.log.1`);
      writeFileSync(path, "2\n22\n");
      await opened(5);
      renameSync(path, `${dir}/app.log.2`);
      writeFileSync(path, "3\n333\n");
      await opened(6);
      appendFileSync(path, "end\n");
      assert.deepEqual(texts(await run.until("end")), ["2", "22", "3", "333"]);
    } finally {
      await run.close();
      remove();
    }
  });
});
