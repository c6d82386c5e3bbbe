// A file is more than its name: restarts resume by source, a reused inode or rewritten head is
// a new file, a copy carries its original's source; symlinks, directories, unreadable files.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  appendFileSync,
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { parseSource, sourceOf } from "../../cli/file_identity.ts";
import { currentSystem } from "../../src/platform/command_line.ts";
import { follow, tempDir, texts } from "./_follow.ts";

/** The source of the file at `path`, as a follower gives it (followed once, then closed). */
async function sourceOfFile(path: string): Promise<string> {
  const run = follow({ patterns: [path] });
  try {
    return (await run.take(1))[0].source;
  } finally {
    await run.close();
  }
}

describe("Follower: identity and restarts", () => {
  test("a restart resumes a known source at its position; an unknown file starts at its end", async () => {
    const { dir, remove } = tempDir();
    writeFileSync(`${dir}/a.log`, "a1\na2\na3\n");
    writeFileSync(`${dir}/b.log`, "b1\nb2\npart");
    const source = await sourceOfFile(`${dir}/a.log`);
    const run = follow({
      patterns: [`${dir}/*.log`],
      fromStart: false,
      positions: new Map([[source, 3]]),
    });
    try {
      await run.follower.look(); // the first look decides where unknown files start
      appendFileSync(`${dir}/b.log`, "ial\n");
      const lines = await run.take(3);
      assert.deepEqual(texts(lines).sort(), ["a2", "a3", "partial"]);
      assert.deepEqual(run.of("resumed").map((event) => [event.source, event.position]), [
        [source, 3],
      ]);
    } finally {
      await run.close();
      remove();
    }
  });

  test("from the end: where new files started is kept before their lines go out, so a restart skips nothing", async () => {
    const { dir, remove } = tempDir();
    const startsFile = `${dir}/state/starts.json`;
    mkdirSync(`${dir}/state`);
    mkdirSync(`${dir}/logs`);
    writeFileSync(`${dir}/logs/a.log`, "old\n");
    const options = { patterns: [`${dir}/logs/*.log`], fromStart: false, startsFile };
    const first = follow(options);
    try {
      await first.follower.look(); // a.log starts at its end
      writeFileSync(`${dir}/logs/b.log`, "b1\n"); // found later: from 0
      appendFileSync(`${dir}/logs/a.log`, "a1\n");
      await first.follower.look();
    } finally {
      await first.close(); // stopped before any line reached a spool
    }
    appendFileSync(`${dir}/logs/a.log`, "a2\n");
    const second = follow(options);
    try {
      assert.deepEqual(texts(await second.take(3)).sort(), ["a1", "a2", "b1"]);
      assert.deepEqual(second.of("resumed").map((event) => event.position).sort(), [0, 4]);
    } finally {
      await second.close();
      remove();
    }
  });

  test("a file rewritten in place (same inode, new head) is not the known source", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/a.log`;
    writeFileSync(path, "old1\nold2\n");
    const source = await sourceOfFile(path);
    const fd = openSync(path, "r+");
    writeSync(fd, "new1\nnew2\n", 0);
    closeSync(fd);
    const run = follow({ patterns: [path], positions: new Map([[source, 5]]) });
    try {
      const lines = await run.take(2);
      assert.deepEqual(texts(lines), ["new1", "new2"]);
      assert.notEqual(lines[0].source, source);
      assert.equal(parseSource(lines[0].source)?.ino, parseSource(source)?.ino, "same inode");
    } finally {
      await run.close();
      remove();
    }
  });

  test("a reused inode: another head is another file; the same bytes elsewhere (born again, renumbered device) resume", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/a.log`;
    writeFileSync(path, "same\nmore\n");
    const identity = parseSource(await sourceOfFile(path))!;
    // What a source of the inode's previous file looks like: born earlier, another head.
    const previous = sourceOf({ ...identity, born: identity.born - 1, hash: "0123456789abcdef" });
    const run = follow({ patterns: [path], positions: new Map([[previous, 5]]) });
    // The same bytes, born at another time: a copy of that file, read on from its position.
    const copied = sourceOf({ ...identity, born: identity.born - 1 });
    const again = follow({ patterns: [path], positions: new Map([[copied, 5]]) });
    try {
      const lines = await run.take(2);
      assert.deepEqual(texts(lines), ["same", "more"], "another file: from 0");
      assert.equal(lines[0].source, sourceOf(identity));
      const [more] = await again.take(1);
      assert.deepEqual([more.text, more.source], ["more", copied]);
      // After a reboot that renumbered the device: the same rule resumes it.
      const renumbered = sourceOf({ ...identity, dev: identity.dev + 1 });
      const rebooted = follow({ patterns: [path], positions: new Map([[renumbered, 5]]) });
      try {
        assert.deepEqual((await rebooted.take(1)).map((line) => [line.text, line.source]), [
          ["more", renumbered],
        ]);
      } finally {
        await rebooted.close();
      }
    } finally {
      await run.close();
      await again.close();
      remove();
    }
  });

  test("after a restart, a matched copy of a file truncated while we were away resumes its source", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    writeFileSync(path, "1\n2\n3\n");
    const source = await sourceOfFile(path);
    copyFileSync(path, `${dir}/app.log.1`);
    truncateSync(path, 0);
    appendFileSync(path, "4\n");
    const run = follow({ patterns: [`${dir}/app.log*`], positions: new Map([[source, 2]]) });
    try {
      const lines = await run.take(3);
      assert.deepEqual(texts(lines).sort(), ["2", "3", "4"]);
      appendFileSync(path, "end\n");
      assert.deepEqual(await run.until("end"), [], "nothing more");
      const fromCopy = lines.filter((line) => line.source === source);
      assert.deepEqual(texts(fromCopy), ["2", "3"]);
      assert.equal(fromCopy[0].path, `${dir}/app.log.1`);
    } finally {
      await run.close();
      remove();
    }
  });

  test("after a restart, a new file with a deleted file's first line is not taken for its copy", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/app.log`;
    writeFileSync(path, "1\n"); // its source's head is this one line
    const source = await sourceOfFile(path);
    unlinkSync(path);
    writeFileSync(`${dir}/other`, "keeps the inode busy\n");
    writeFileSync(path, "1\nabc\n");
    const run = follow({ patterns: [path], positions: new Map([[source, 4]]) });
    try {
      const lines = await run.take(2);
      assert.deepEqual(texts(lines), ["1", "abc"], "no newline at the position: not a copy");
      assert.notEqual(lines[0].source, source);
    } finally {
      await run.close();
      remove();
    }
  });

  test("a symlink is followed to its target; pointed elsewhere, the new target is read from 0", async () => {
    const { dir, remove } = tempDir();
    writeFileSync(`${dir}/one`, "1\n");
    writeFileSync(`${dir}/two`, "2\n");
    symlinkSync(`${dir}/one`, `${dir}/current.log`);
    const run = follow({ patterns: [`${dir}/current.log`] });
    try {
      const [first] = await run.take(1);
      assert.equal(first.path, `${dir}/current.log`);
      unlinkSync(`${dir}/current.log`);
      symlinkSync(`${dir}/two`, `${dir}/current.log`);
      appendFileSync(`${dir}/one`, "1b\n");
      appendFileSync(`${dir}/two`, "end\n");
      const lines = await run.until("end");
      assert.deepEqual(texts(lines), ["1b", "2"], "the old target is finished first");
      assert.equal(run.of("rotated").length + run.of("gone").length, 1);
    } finally {
      await run.close();
      remove();
    }
  });

  test("a file made unreadable (chmod 000) is reported once, and followed once readable again", {
    skip: process.getuid?.() === 0 && "root reads files whatever their mode",
  }, async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/a.log`;
    writeFileSync(path, "1\n");
    chmodSync(path, 0o000);
    const run = follow({ patterns: [`${dir}/*.log`] });
    try {
      await run.follower.look();
      await run.follower.look();
      assert.deepEqual(run.of("unreadable").map((event) => event.path), [path]);
      chmodSync(path, 0o600);
      assert.deepEqual(texts(await run.take(1)), ["1"]);
    } finally {
      await run.close();
      remove();
    }
  });

  test("a file replaced by a directory is finished and reported; an unopenable file is reported once", async () => {
    const { dir, remove } = tempDir();
    const path = `${dir}/a.log`;
    writeFileSync(path, "1\n");
    writeFileSync(`${dir}/locked.log`, "secret\n");
    let locked = true;
    const real = currentSystem();
    const system = {
      ...real,
      openRead: (name: string) =>
        locked && name.endsWith("locked.log")
          ? Promise.reject(
            Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" }),
          )
          : real.openRead(name),
    };
    const run = follow({ patterns: [`${dir}/*.log`], lingerMs: 0 }, system);
    try {
      assert.deepEqual(texts(await run.take(1)), ["1"]);
      unlinkSync(path);
      mkdirSync(path);
      for (let i = 0; i < 100 && run.of("closed").length === 0; i++) await run.follower.look();
      assert.deepEqual(run.of("gone").map((event) => event.path), [path]);
      const unreadable = run.of("unreadable").map((event) => [event.path, event.reason]);
      assert.deepEqual(unreadable, [
        [`${dir}/locked.log`, "EACCES: permission denied"],
        [path, "not a regular file (a directory)"],
      ]);
      locked = false;
      assert.deepEqual(texts(await run.take(1)), ["secret"]);
    } finally {
      await run.close();
      remove();
    }
  });
});
