// A child process of the test's own runtime (deno here, node in the npm build's run) that answers
// line by line: the lock and full-disk tests drive `_lock_child.ts` with it.
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** A running child: send it a line, wait for its next line. */
export interface LineChild {
  readonly child: ChildProcess;
  send(line: string): void;
  /** The next line it prints. */
  next(): Promise<string>;
  /** Resolves with the exit code or signal once it has ended. */
  readonly exited: Promise<number | string>;
}

/** Starts `_lock_child` (optionally under a wrapper command such as `unshare`), once it is ready. */
export async function startLockChild(wrapper: readonly string[] = []): Promise<LineChild> {
  const path = fileURLToPath(
    new URL(
      import.meta.url.endsWith(".ts") ? "./_lock_child.ts" : "./_lock_child.js",
      import.meta.url,
    ),
  );
  const args = "Deno" in globalThis ? ["run", "--quiet", "--allow-all", path] : [path];
  const [command, ...rest] = [...wrapper, process.execPath, ...args];
  const child = spawn(command, [...rest], { stdio: ["pipe", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  let partial = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | string>((resolve) =>
    child.on("close", (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter(`exited: ${stderr}`);
      resolve(signal ?? code ?? -1);
    })
  );
  const handle: LineChild = {
    child,
    send: (line) => void child.stdin!.write(`${line}\n`),
    next: () =>
      lines.length > 0
        ? Promise.resolve(lines.shift()!)
        : child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve(`exited: ${stderr}`)
        : new Promise((resolve) => waiters.push(resolve)),
    exited,
  };
  const first = await handle.next();
  if (first !== "ready") throw new Error(`the lock child did not start: ${first}`);
  return handle;
}
