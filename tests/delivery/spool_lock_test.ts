// The spool's lock between real processes: one holder whatever the race, a holder in another PID
// namespace or host recognised by its renewed lease, and fencing of a holder that lost it.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import process from "node:process";
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { Spool } from "../../src/delivery/spool.ts";
import { temporaryLockName } from "../../src/delivery/spool_lock.ts";
import { VectorVueSpoolError, VectorVueSpoolLockedError } from "../../src/delivery/spool_error.ts";
import { type LineChild, startLockChild } from "./_child_process.ts";
import { recordingLogger, spoolFs, withTempDir } from "./_spool_helpers.ts";

const MiB = 1024 * 1024;
const lockFiles = async (dir: string) =>
  (await readdir(dir)).filter((name) => name.startsWith("spool.lock")).sort();
/** A lock file as a holder elsewhere (another container, another host) writes it. */
const foreignLock = (pid: number) =>
  JSON.stringify({ token: "elsewhere", pid, host: "other-host", bootId: "b", pidNs: "pid:[1]" });

/** Keeps a lock file's lease renewed, as its live holder would; returns the stop function. */
function renewing(path: string, everyMs: number): () => void {
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, everyMs);
  return () => clearInterval(timer);
}

describe("spool lock between processes", () => {
  let children: LineChild[] = [];
  before(async () => {
    children = await Promise.all([0, 1, 2].map(() => startLockChild()));
  });
  after(async () => {
    for (const child of children) child.child.stdin!.end();
    await Promise.all(children.map((child) => child.exited));
  });

  /** Three processes open `dir` at the same moment; returns how many got it. */
  async function race(dir: string, lease: string): Promise<number> {
    for (const child of children) child.send(`open ${dir} ${lease}`);
    const results = await Promise.all(
      children.map(async (child) => JSON.parse(await child.next())),
    );
    for (const result of results) {
      if (!result.ok) {
        assert.equal(result.name, "VectorVueSpoolLockedError", JSON.stringify(result));
      }
    }
    const holders = results.filter((result) => result.ok).length;
    // Exactly one lock file, the next generation, while the holder holds it.
    if (holders === 1) assert.deepEqual(await lockFiles(dir), ["spool.lock.2"]);
    for (const child of children) child.send("close");
    for (const child of children) assert.equal(await child.next(), "closed");
    return holders;
  }

  test("40 trials of three processes starting at once on a stale lock: exactly one holder each time", async () => {
    await withTempDir(async (root) => {
      const identity = await spoolFs.identity();
      const outcomes: number[] = [];
      for (let trial = 0; trial < 40; trial++) {
        const dir = `${root}/trial-${trial}`;
        await mkdir(dir);
        // Left by a process of this host that is gone (SIGKILL, a crash).
        const stale = { token: `dead-${trial}`, pid: 2 ** 31 - 2, ...identity };
        await writeFile(`${dir}/spool.lock.1`, JSON.stringify(stale));
        outcomes.push(await race(dir, "2000 10000"));
      }
      assert.deepEqual(outcomes, outcomes.map(() => 1));
    });
  });

  test("three processes on a stale lock of another PID namespace: they watch its lease, then exactly one takes it", async () => {
    await withTempDir(async (root) => {
      for (let trial = 0; trial < 3; trial++) {
        const dir = `${root}/trial-${trial}`;
        await mkdir(dir);
        await writeFile(`${dir}/spool.lock.1`, foreignLock(1));
        assert.equal(await race(dir, "40 250"), 1);
      }
    });
  });

  test(
    "a holder in a real PID namespace of its own (unshare) keeps its lock against us",
    async (t) => {
      try {
        execFileSync("unshare", ["--pid", "--fork", "true"], { stdio: "ignore" });
      } catch {
        t.skip("unshare --pid needs root on Linux");
        return;
      }
      await withTempDir(async (dir) => {
        const holder = await startLockChild(["unshare", "--pid", "--fork"]);
        try {
          holder.send(`open ${dir} 50 400`);
          const result = JSON.parse(await holder.next());
          assert.equal(result.ok, true);
          assert.ok(result.pid <= 2, `pid ${result.pid} in its own namespace`);
          await assert.rejects(
            Spool.open({ dir, maxBytes: MiB, lease: { renewMs: 50, staleMs: 400 } }),
            VectorVueSpoolLockedError,
          );
          holder.send("close");
          assert.equal(await holder.next(), "closed");
        } finally {
          holder.child.stdin!.end();
          await holder.exited;
        }
      });
    },
  );
});

describe("spool lock lease", () => {
  const lease = { renewMs: 40, staleMs: 300 };

  test("a live holder in another PID namespace keeps its lock while it renews; stale once it stops", async () => {
    await withTempDir(async (dir) => {
      // pid 1 exists here and 2^31-2 does not: neither may decide, only the lease.
      for (const pid of [1, 2 ** 31 - 2]) {
        await writeFile(`${dir}/spool.lock.1`, foreignLock(pid));
        const stop = renewing(`${dir}/spool.lock.1`, 40);
        try {
          await assert.rejects(Spool.open({ dir, maxBytes: MiB, lease }), (error: unknown) => {
            assert.ok(error instanceof VectorVueSpoolLockedError);
            assert.equal(error.pid, pid);
            assert.match(error.message, /of other-host \(another host or PID namespace\)/);
            return true;
          });
        } finally {
          stop();
        }
      }
      const logger = recordingLogger();
      const spool = await Spool.open({ dir, maxBytes: MiB, lease, logger });
      assert.deepEqual(await lockFiles(dir), ["spool.lock.2"]);
      assert.equal(logger.lines[0].message, "vectorvue spool: took over a stale lock");
      await spool.close();
    });
  });

  test("a holder renews its own lease: another starter elsewhere sees it alive", async () => {
    await withTempDir(async (dir) => {
      const spool = await Spool.open({ dir, maxBytes: MiB, lease });
      const [name] = await lockFiles(dir);
      // Seen from another namespace: rewrite the identity, keep the file (and its renewals).
      await writeFile(`${dir}/${name}`, foreignLock(4242));
      await assert.rejects(Spool.open({ dir, maxBytes: MiB, lease }), VectorVueSpoolLockedError);
      await spool.close();
    });
  });

  test("a holder whose lock was taken over stops writing with a typed locked error (fencing)", async () => {
    await withTempDir(async (dir) => {
      const logger = recordingLogger();
      const spool = await Spool.open({ dir, maxBytes: MiB, lease, logger });
      await spool.append("{}");
      // Another process judged us stale (we were frozen) and took generation 2.
      await writeFile(`${dir}/spool.lock.2`, foreignLock(7));
      await rm(`${dir}/spool.lock.1`);
      await new Promise((resolve) => setTimeout(resolve, 3 * lease.renewMs));
      await assert.rejects(spool.append("{}"), (error: unknown) => {
        assert.ok(error instanceof VectorVueSpoolError);
        assert.equal(error.reason, "locked");
        assert.match(error.message, /taken over by another process/);
        return true;
      });
      assert.ok(logger.lines.some((line) => /lost the lock/.test(line.message)));
      await spool.close();
      assert.deepEqual(await lockFiles(dir), ["spool.lock.2"], "the new holder's lock is kept");
    });
  });

  test("a starter that linked a generation below the lock steps back", async () => {
    await withTempDir(async (dir) => {
      // The lock is generation 5; a stray generation 3 (a starter with an old listing) is ignored
      // by the holder and removed by whoever takes the lock next.
      await writeFile(`${dir}/spool.lock.3`, foreignLock(3));
      await writeFile(`${dir}/spool.lock.5`, foreignLock(5));
      const stop = renewing(`${dir}/spool.lock.5`, 40);
      try {
        await assert.rejects(Spool.open({ dir, maxBytes: MiB, lease }), { pid: 5 });
      } finally {
        stop();
      }
      const spool = await Spool.open({ dir, maxBytes: MiB, lease });
      assert.deepEqual(await lockFiles(dir), ["spool.lock.6"]);
      await spool.close();
    });
  });
});

describe("temporary lock files of starters", () => {
  const DEAD = 2 ** 31 - 2;

  test("a starter killed before linking its temporary lock file (empty or written): the next start removes it at once, close leaves the directory empty", async () => {
    await withTempDir(async (dir) => {
      const identity = await spoolFs.identity();
      // Left by processes of this host that are gone: one killed before it wrote a byte.
      await writeFile(`${dir}/${temporaryLockName("a", DEAD, identity)}`, "");
      const written = JSON.stringify({ token: "b", pid: DEAD, ...identity, since: "" });
      await writeFile(`${dir}/${temporaryLockName("b", DEAD, identity)}`, written);
      const spool = await Spool.open({ dir, maxBytes: MiB });
      assert.deepEqual(await readdir(dir), ["spool.lock.1"]);
      await spool.close();
      assert.deepEqual(await readdir(dir), []);
    });
  });

  test("a fresh temporary lock file of a live starter, of another host or PID namespace, or without a pid in its name is left alone; a minute old, removed", async () => {
    await withTempDir(async (dir) => {
      const identity = await spoolFs.identity();
      const kept = [
        // Our parent is alive here: a starter that may be linking its file right now.
        temporaryLockName("live", process.ppid, identity),
        // A pid that is not alive here means nothing about a starter of another namespace.
        temporaryLockName("elsewhere", DEAD, { ...identity, pidNs: "pid:[1]" }),
        temporaryLockName("other-host", DEAD, { ...identity, host: "other-host" }),
        // An older version's name.
        "spool.lock.0b4f6c1e-8f7a-4d3e-9b2a-1c5d7e9f0a3b.tmp",
      ].sort();
      for (const name of kept) await writeFile(`${dir}/${name}`, "");
      const first = await Spool.open({ dir, maxBytes: MiB });
      await first.close();
      assert.deepEqual((await readdir(dir)).sort(), kept);
      const old = new Date(Date.now() - 61_000);
      for (const name of kept) await utimes(`${dir}/${name}`, old, old);
      const second = await Spool.open({ dir, maxBytes: MiB });
      await second.close();
      assert.deepEqual(await readdir(dir), []);
    });
  });
});
