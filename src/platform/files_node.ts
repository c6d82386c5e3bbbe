// Node side of the files capability: `scripts/build_npm.ts` swaps every `*_deno.ts` import for
// this file; `files.ts` checks that both implement `FilesPlatform`.
import { readFileSync, writeSync } from "node:fs";
import {
  link,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  utimes,
} from "node:fs/promises";
import { hostname } from "node:os";
import process from "node:process";
import type { AppendFile, SpoolFs } from "./files_common.ts";
import { type HostIdentity, processExists } from "./process_common.ts";

async function createAppend(path: string): Promise<AppendFile> {
  const file = await open(path, "ax", 0o600);
  return {
    // Synchronously, to the page cache: copying a group there costs the event loop less than
    // handing it to a thread and waiting a turn for the answer; the slow part, sync(), stays
    // asynchronous (decision 94).
    write(bytes) {
      try {
        let written = 0;
        while (written < bytes.length) {
          written += writeSync(file.fd, bytes, written, bytes.length - written);
        }
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    // fdatasync: the data and the size that reaches it, without the timestamps fsync adds.
    sync: () => file.datasync(),
    close: () => file.close(),
  };
}

const readOr = (read: () => Promise<string>) => read().then((text) => text.trim(), () => "");

/** The real file system. */
export const spoolFs: SpoolFs = {
  mkdir: async (path) => void await mkdir(path, { recursive: true, mode: 0o700 }),
  readDir: (path) => readdir(path),
  readFile: async (path) => new Uint8Array(await readFile(path)),
  createAppend,
  link: (target, linkPath) => link(target, linkPath),
  rename: (from, to) => rename(from, to),
  remove: (path) => rm(path, { force: true }),
  mtime: async (path) => (await stat(path)).mtimeMs,
  touch(path) {
    const now = new Date();
    return utimes(path, now, now);
  },
  async syncDir(path) {
    let dir;
    try {
      dir = await open(path, "r");
      await dir.sync();
    } catch (error) {
      // Windows cannot open or sync a directory; its entries are durable with the file's data.
      if (process.platform !== "win32") throw error;
    } finally {
      await dir?.close();
    }
  },
  processExists,
  async identity(): Promise<HostIdentity> {
    return {
      host: hostname(),
      bootId: await readOr(() => readFile("/proc/sys/kernel/random/boot_id", "utf8")),
      pidNs: await readOr(() => readlink("/proc/self/ns/pid")),
    };
  },
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
  pid: process.pid,
};

/** Reads a UTF-8 text file synchronously (used for PEM paths from the environment). */
export function readTextFile(path: string): string {
  return readFileSync(path, "utf8");
}
