// The benchmark's server: `scripts/emulator.ts` in a child Deno process, so that the server's
// work never shares an event loop (or a garbage collector) with the client being measured.
import { fileURLToPath } from "node:url";

/** A running emulator process. */
export interface EmulatorProcess {
  /** `https://127.0.0.1:<port>`, as the emulator printed it. */
  readonly url: string;
  /** Stops the process (SIGTERM, then SIGKILL if it lingers) and waits for it to exit. */
  close(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL("./emulator.ts", import.meta.url));
const LISTENING = /VectorVue emulator listening on (https:\/\/\S+)/;
/** The first start may type-check the emulator, which takes a while on a slow machine. */
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

// Every process started and not yet stopped, so that Ctrl+C or a crash still stops them.
const running = new Set<EmulatorProcess>();

/** Stops every emulator still running (for error paths and signal handlers). */
export async function closeAllEmulators(): Promise<void> {
  await Promise.all([...running].map((emulator) => emulator.close()));
}

/**
 * Starts the emulator over HTTPS on 127.0.0.1, on a free port, rate limiting off (a benchmark
 * sends far more than the server's 240 requests a minute), and resolves once it listens.
 */
export async function startEmulator(extraArgs: readonly string[] = []): Promise<EmulatorProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-net",
      "--allow-read",
      SCRIPT,
      "--hostname",
      "127.0.0.1",
      "--port",
      "0",
      "--no-rate-limit",
      ...extraArgs,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();

  let exited = false;
  const status = child.status.then((result) => {
    exited = true;
    return result;
  });
  const stop = async (): Promise<void> => {
    if (!exited) {
      try {
        child.kill("SIGTERM");
      } catch {
        // It exited between the check and the kill.
      }
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const lingering = new Promise<"lingering">((resolve) => {
      timer = setTimeout(() => resolve("lingering"), STOP_GRACE_MS);
    });
    if (await Promise.race([status, lingering]) === "lingering") {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await status;
    }
    clearTimeout(timer);
  };

  // Reads stdout to the end even after the URL, so the child never blocks on a full pipe.
  const found = Promise.withResolvers<string>();
  const lines: string[] = [];
  (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (lines.length < 20) lines.push(line);
        const match = LISTENING.exec(line);
        if (match) found.resolve(match[1]);
      }
    }
  })().catch(() => {});

  let timer: ReturnType<typeof setTimeout> | undefined;
  const failure = Promise.race([
    status.then((result) => {
      throw new Error(
        `the emulator exited with code ${result.code} before listening; it printed:\n` +
          lines.join("\n"),
      );
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`the emulator did not listen within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
    }),
  ]);
  failure.catch(() => {});
  let url: string;
  try {
    url = await Promise.race([found.promise, failure]);
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }

  const emulator: EmulatorProcess = {
    url,
    async close() {
      running.delete(emulator);
      await stop();
    },
  };
  running.add(emulator);
  return emulator;
}
