// Deno side of the command line's capability. The npm build swaps every `*_deno.ts` import for
// its `*_node.ts` twin; `command_line.ts` checks that both implement `CommandLinePlatform`.
import type {
  AppendFile,
  CliSystem,
  FileStat,
  ReadHandle,
  SignalName,
} from "./command_line_common.ts";
import { readEnvironment } from "./process_deno.ts";

const encoder = new TextEncoder();

function resolvePath(path: string): string {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const parts: string[] = [];
  for (const part of absolute.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

async function writeAll(file: Deno.FsFile | typeof Deno.stdout, bytes: Uint8Array) {
  for (let done = 0; done < bytes.length;) done += await file.write(bytes.subarray(done));
}

function fileStat(info: Deno.FileInfo): FileStat {
  return {
    dev: info.dev,
    ino: info.ino ?? 0,
    birthtimeMs: Math.floor(info.birthtime?.getTime() ?? 0),
    nlink: info.nlink ?? 1,
    size: info.size,
    mtimeMs: info.mtime?.getTime() ?? 0,
    isFile: info.isFile,
    isDirectory: info.isDirectory,
  };
}

/** Whether `error` says nothing is at the path (a missing name, or a file where a directory was). */
function isMissing(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory;
}

async function openRead(path: string): Promise<ReadHandle> {
  const file = await Deno.open(path, { read: true });
  // Reads on one handle are serialised: a Deno file has one cursor (no pread), so a seek and its
  // read must not interleave with another's.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const result = queue.then(work);
    queue = result.catch(() => {});
    return result;
  };
  return {
    stat: () => serial(async () => fileStat(await file.stat())),
    read: (into, position) =>
      serial(async () => {
        await file.seek(position, Deno.SeekMode.Start);
        return (await file.read(into)) ?? 0;
      }),
    close: () => serial(() => Promise.resolve(file.close())),
  };
}

/** The running process, through `Deno.*`. */
export function currentSystem(): CliSystem {
  // Writes to standard output go out in call order, even when callers do not wait.
  let written = Promise.resolve();
  return {
    args: Deno.args,
    get env() {
      // Queried, not asked for: Deno.env.toObject() would stop to prompt in a terminal.
      return Deno.permissions.querySync({ name: "env" }).state === "granted"
        ? Deno.env.toObject()
        : {};
    },
    readEnvironment,
    stdout(text) {
      written = written.then(() => writeAll(Deno.stdout, encoder.encode(text)));
      return written;
    },
    stderr(text) {
      const bytes = encoder.encode(text);
      for (let done = 0; done < bytes.length;) done += Deno.stderr.writeSync(bytes.subarray(done));
    },
    stderrIsTerminal: () => Deno.stderr.isTerminal(),
    columns() {
      try {
        return Deno.consoleSize().columns || 80;
      } catch {
        return 80;
      }
    },
    stdin: () => Deno.stdin.readable,
    async readFrom(path, offset) {
      const file = await Deno.open(path, { read: true });
      if (offset > 0) await file.seek(offset, Deno.SeekMode.Start);
      return file.readable;
    },
    async readHead(path, length) {
      using file = await Deno.open(path, { read: true });
      const buffer = new Uint8Array(length);
      let filled = 0;
      while (filled < length) {
        const read = await file.read(buffer.subarray(filled));
        if (read === null) break;
        filled += read;
      }
      return buffer.subarray(0, filled);
    },
    async size(path) {
      try {
        return (await Deno.stat(path)).size;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
    },
    async stat(path) {
      try {
        return fileStat(await Deno.stat(path));
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    async readDirectory(path) {
      try {
        const names: string[] = [];
        for await (const entry of Deno.readDir(path)) names.push(entry.name);
        return names;
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw error;
      }
    },
    openRead,
    async isRegularFile(path) {
      try {
        return (await Deno.stat(path)).isFile;
      } catch {
        return false;
      }
    },
    readTextFile: (path) => Deno.readTextFile(path),
    async writeFileAtomic(path, text) {
      const temporary = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
      // 0600: what the CLI writes holds events (umask can only take bits away).
      const file = await Deno.open(temporary, {
        write: true,
        create: true,
        truncate: true,
        mode: 0o600,
      });
      try {
        await writeAll(file, encoder.encode(text));
        await file.sync();
      } finally {
        file.close();
      }
      await Deno.rename(temporary, path);
    },
    async openAppend(path, truncateTo) {
      const file = await Deno.open(path, { write: true, create: true, mode: 0o600 });
      if (truncateTo !== undefined) await file.truncate(truncateTo);
      await file.seek(0, Deno.SeekMode.End);
      return {
        write: (bytes) => writeAll(file, bytes),
        sync: () => file.sync(),
        close: () => Promise.resolve(file.close()),
      } satisfies AppendFile;
    },
    remove: (path) => Deno.remove(path).catch(() => {}),
    resolvePath,
    tempDir: () => Deno.env.get("TMPDIR") ?? "/tmp",
    onSignal(signal: SignalName, handler: () => void) {
      Deno.addSignalListener(signal, handler);
      return () => Deno.removeSignalListener(signal, handler);
    },
    unrefTimer: (timer) => Deno.unrefTimer(timer as unknown as number),
    exit: (code) => Deno.exit(code),
  };
}
