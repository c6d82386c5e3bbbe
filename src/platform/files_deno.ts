// Deno side of the files capability. The npm build swaps every `*_deno.ts` import for its
// `*_node.ts` twin; `files.ts` checks that both implement `FilesPlatform`. Bun running the source
// is handed to `files_bun.ts` for the PEM read.
import { hostname } from "node:os";
import * as bun from "./files_bun.ts";
import type { AppendFile, SpoolFs } from "./files_common.ts";
import { isBun } from "./process_bun.ts";
import { type HostIdentity, processExists } from "./process_common.ts";

async function createAppend(path: string): Promise<AppendFile> {
  const file = await Deno.open(path, { createNew: true, write: true, append: true, mode: 0o600 });
  return {
    // Synchronously, to the page cache: copying a group there costs the event loop less than
    // handing it to a thread and waiting a turn for the answer; the slow part, sync(), stays
    // asynchronous (decision 94).
    write(bytes) {
      try {
        let written = 0;
        while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    // fdatasync: the data and the size that reaches it, without the timestamps fsync adds.
    sync: () => file.syncData(),
    close: () => Promise.resolve(file.close()),
  };
}

const readOr = (read: () => Promise<string>) => read().then((text) => text.trim(), () => "");

/**
 * Whether Deno already allows `descriptor`: asking without it would prompt (or throw), and the
 * identity is an extra, so without the permission it is left empty (the lock then goes by the
 * lease alone, see `spool_lock.ts`).
 */
function allowed(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/** The real file system. */
export const spoolFs: SpoolFs = {
  mkdir: (path) => Deno.mkdir(path, { recursive: true, mode: 0o700 }),
  async readDir(path) {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    return names;
  },
  readFile: (path) => Deno.readFile(path),
  createAppend,
  link: (target, link) => Deno.link(target, link),
  rename: (from, to) => Deno.rename(from, to),
  async remove(path) {
    try {
      await Deno.remove(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  },
  mtime: async (path) => (await Deno.stat(path)).mtime?.getTime() ?? 0,
  touch(path) {
    const now = new Date();
    return Deno.utime(path, now, now);
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
  processExists,
  async identity(): Promise<HostIdentity> {
    const bootIdPath = "/proc/sys/kernel/random/boot_id";
    const pidNsPath = "/proc/self/ns/pid";
    return {
      host: allowed({ name: "sys", kind: "hostname" }) ? hostname() : "",
      bootId: allowed({ name: "read", path: bootIdPath })
        ? await readOr(() => Deno.readTextFile(bootIdPath))
        : "",
      pidNs: allowed({ name: "read", path: pidNsPath })
        ? await readOr(() => Deno.readLink(pidNsPath))
        : "",
    };
  },
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    Deno.unrefTimer(timer);
    return () => clearInterval(timer);
  },
  pid: Deno.pid,
};

/** Reads a UTF-8 text file synchronously (used for PEM paths from the environment). */
export function readTextFile(path: string): string {
  return isBun ? bun.readTextFile(path) : Deno.readTextFileSync(path);
}
