// Deno side of the spool's file-system seam. The npm build swaps every `*_deno.ts` import for its
// `*_node.ts` twin, so both files must export the same names and types.
import process from "node:process";
import type { AppendFile, SpoolFs } from "./_fs_common.ts";

export type { AppendFile, SpoolFs };

async function createAppend(path: string): Promise<AppendFile> {
  const file = await Deno.open(path, { createNew: true, write: true, append: true });
  return {
    async write(bytes) {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
    },
    sync: () => file.sync(),
    close: () => Promise.resolve(file.close()),
  };
}

/** The real file system. */
export const spoolFs: SpoolFs = {
  mkdir: (path) => Deno.mkdir(path, { recursive: true }),
  async readDir(path) {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    return names;
  },
  readFile: (path) => Deno.readFile(path),
  createAppend,
  link: (target, link) => Deno.link(target, link),
  async remove(path) {
    try {
      await Deno.remove(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  },
  async syncDir(path) {
    let dir: Deno.FsFile | undefined;
    try {
      dir = await Deno.open(path, { read: true });
      await dir.sync();
    } catch (error) {
      // Windows cannot open or sync a directory; its entries are durable with the file's data.
      if (Deno.build.os !== "windows") throw error;
    } finally {
      dir?.close();
    }
  },
  processExists(pid) {
    // Deno has no signal 0; node:process's kill(pid, 0) only asks whether the process exists.
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as { code?: string }).code === "EPERM";
    }
  },
  pid: Deno.pid,
};
