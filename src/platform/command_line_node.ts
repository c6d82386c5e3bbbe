// Node side of the command line's capability: `scripts/build_npm.ts` swaps every `*_deno.ts`
// import for this file; `command_line.ts` checks that both implement `CommandLinePlatform`.
import { createReadStream } from "node:fs";
import { open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import process from "node:process";
import type { Readable } from "node:stream";
import type {
  AppendFile,
  CliSystem,
  FileStat,
  ReadHandle,
  SignalName,
} from "./command_line_common.ts";
import { readEnvironment } from "./process_node.ts";

/**
 * A web stream that reads `stream` only as fast as it is consumed. (`Readable.toWeb()` in Node 20
 * reads ahead without bound: a large file would end up in memory.)
 */
function toWeb(stream: Readable): ReadableStream<Uint8Array> {
  const chunks = stream[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(typeof value === "string" ? new TextEncoder().encode(value) : value);
    },
    async cancel() {
      await chunks.return?.();
    },
  }, { highWaterMark: 0 });
}

function fileStat(info: Stats): FileStat {
  return {
    dev: info.dev,
    ino: info.ino,
    birthtimeMs: Math.floor(info.birthtimeMs || 0),
    nlink: info.nlink,
    size: info.size,
    mtimeMs: info.mtimeMs,
    isFile: info.isFile(),
    isDirectory: info.isDirectory(),
  };
}

/** Whether `error` says nothing is at the path (a missing name, or a file where a directory was). */
function isMissing(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

async function openRead(path: string): Promise<ReadHandle> {
  const file = await open(path, "r");
  return {
    stat: async () => fileStat(await file.stat()),
    read: async (into, position) => (await file.read(into, 0, into.length, position)).bytesRead,
    close: () => file.close(),
  };
}

/** The running process, through `node:*` modules. */
export function currentSystem(): CliSystem {
  return {
    args: process.argv.slice(2),
    get env() {
      return { ...process.env };
    },
    readEnvironment,
    stdout: (text) =>
      new Promise<void>((done, fail) =>
        process.stdout.write(text, (error) => (error ? fail(error) : done()))
      ),
    stderr(text) {
      process.stderr.write(text);
    },
    stderrIsTerminal: () => process.stderr.isTTY === true,
    columns: () => process.stderr.columns || 80,
    stdin: () => toWeb(process.stdin as unknown as Readable),
    readFrom: (path, offset) => Promise.resolve(toWeb(createReadStream(path, { start: offset }))),
    async readHead(path, length) {
      const file = await open(path, "r");
      try {
        const buffer = new Uint8Array(length);
        let filled = 0;
        while (filled < length) {
          const { bytesRead } = await file.read(buffer, filled, length - filled, filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return buffer.subarray(0, filled);
      } finally {
        await file.close();
      }
    },
    async size(path) {
      try {
        return (await stat(path)).size;
      } catch (error) {
        if ((error as { code?: string }).code === "ENOENT") return undefined;
        throw error;
      }
    },
    async stat(path) {
      try {
        return fileStat(await stat(path));
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async readDirectory(path) {
      try {
        return await readdir(path);
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    openRead,
    async isRegularFile(path) {
      try {
        return (await stat(path)).isFile();
      } catch {
        return false;
      }
    },
    readTextFile: (path) => readFile(path, "utf8"),
    async writeFileAtomic(path, text) {
      const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
      // 0600: what the CLI writes holds events (umask can only take bits away).
      const file = await open(temporary, "w", 0o600);
      try {
        await file.writeFile(text, "utf8");
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temporary, path);
    },
    async openAppend(path, truncateTo) {
      const file = await open(path, "a", 0o600);
      if (truncateTo !== undefined) await file.truncate(truncateTo);
      return {
        async write(bytes) {
          for (let done = 0; done < bytes.length;) {
            done += (await file.write(bytes, done, bytes.length - done)).bytesWritten;
          }
        },
        sync: () => file.sync(),
        close: () => file.close(),
      } satisfies AppendFile;
    },
    remove: (path) => rm(path, { force: true }),
    resolvePath: (path) => resolve(path),
    tempDir: () => tmpdir(),
    onSignal(signal: SignalName, handler: () => void) {
      process.on(signal, handler);
      return () => void process.off(signal, handler);
    },
    unrefTimer: (timer) => void (timer as unknown as { unref?: () => void }).unref?.(),
    exit: (code) => process.exit(code),
  };
}
