// Node side of the spool's file-system seam: `scripts/build_npm.ts` swaps every `*_deno.ts` import
// for this file, so it must export the same names and types.
import { link, mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import process from "node:process";
import type { AppendFile, SpoolFs } from "./_fs_common.ts";

export type { AppendFile, SpoolFs };

async function createAppend(path: string): Promise<AppendFile> {
  const file = await open(path, "ax");
  return {
    async write(bytes) {
      let written = 0;
      while (written < bytes.length) {
        written += (await file.write(bytes, written, bytes.length - written)).bytesWritten;
      }
    },
    sync: () => file.sync(),
    close: () => file.close(),
  };
}

/** The real file system. */
export const spoolFs: SpoolFs = {
  mkdir: async (path) => void await mkdir(path, { recursive: true }),
  readDir: (path) => readdir(path),
  readFile: async (path) => new Uint8Array(await readFile(path)),
  createAppend,
  link: (target, linkPath) => link(target, linkPath),
  remove: (path) => rm(path, { force: true }),
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
  processExists(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as { code?: string }).code === "EPERM";
    }
  },
  pid: process.pid,
};
