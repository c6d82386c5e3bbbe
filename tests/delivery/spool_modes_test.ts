// Private by default: under umask 022 the spool's directory is 0700 and its files 0600, and so
// are the CLI's dead-letter and checkpoint files.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdir, stat, writeFile } from "node:fs/promises";
import process from "node:process";
import { Spool } from "../../src/delivery/spool.ts";
import { currentSystem } from "../../src/platform/command_line.ts";
import { segmentFiles, withTempDir } from "./_spool_helpers.ts";

const MiB = 1024 * 1024;
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

/** Runs `use` under umask 022, the common default that lets others read new files. */
async function underUmask022(use: () => Promise<void>): Promise<void> {
  const before = process.umask(0o022);
  try {
    await use();
  } finally {
    process.umask(before);
  }
}

describe("file modes", { skip: process.platform === "win32" && "POSIX modes" }, () => {
  test("under umask 022 the spool directory (and damaged/) is 0700 and every file in it 0600", async () => {
    await underUmask022(() =>
      withTempDir(async (root) => {
        const dir = `${root}/spool`;
        const spool = await Spool.open({ dir, maxBytes: MiB, segmentBytes: 4096 });
        for (let i = 0; i < 100; i++) {
          await spool.append(JSON.stringify({ i, pad: "x".repeat(50) }));
        }
        await spool.close();
        // An emptied segment is set aside in damaged/ once the rest is settled.
        const [first] = await segmentFiles(dir);
        await writeFile(`${dir}/${first}`, new Uint8Array(), { mode: 0o600 });
        const again = await Spool.open({ dir, maxBytes: MiB });
        const names = await readdir(dir);
        assert.ok(names.some((name) => name.startsWith("spool.lock.")));
        again.settle((await again.readRecovered()).items.map((it) => it.seq));
        await again.append("{}");
        await again.idle();

        assert.equal((await modeOf(dir)).toString(8), "700");
        assert.equal((await modeOf(`${dir}/damaged`)).toString(8), "700");
        const files = [
          ...(await readdir(dir)).filter((name) => name !== "damaged").map((n) => `${dir}/${n}`),
          ...(await readdir(`${dir}/damaged`)).map((name) => `${dir}/damaged/${name}`),
        ];
        assert.ok(files.length >= 3, files.join(", "));
        for (const file of files) assert.equal((await modeOf(file)).toString(8), "600", file);
        await again.close();
      })
    );
  });

  test("under umask 022 the CLI's dead-letter and checkpoint files are 0600", async () => {
    await underUmask022(() =>
      withTempDir(async (dir) => {
        const system = currentSystem();
        await system.writeFileAtomic(`${dir}/checkpoint.json`, "{}\n");
        const deadLetters = await system.openAppend(`${dir}/dead-letter.jsonl`);
        await deadLetters.write(new TextEncoder().encode("{}\n"));
        await deadLetters.close();
        assert.equal((await modeOf(`${dir}/checkpoint.json`)).toString(8), "600");
        assert.equal((await modeOf(`${dir}/dead-letter.jsonl`)).toString(8), "600");
      })
    );
  });
});
