// One process (and one batcher) per spool directory: a lock file naming its holder's pid.
//
// The lock is taken by hard-linking a fully written temporary file to `spool.lock`: the link
// fails when the lock exists, and a lock file is never seen half-written. A lock whose process
// is gone is stale (a crash, SIGKILL) and is taken over; so is one naming our own pid that this
// process does not hold (a restarted container often gets the same pid).
import type { SpoolFs } from "./_fs_common.ts";
import type { Logger } from "../logger.ts";
import {
  osCode,
  spoolErrorFrom,
  VectorVueSpoolError,
  VectorVueSpoolLockedError,
} from "./spool_error.ts";

/** The lock file's name inside the spool directory. */
export const LOCK_NAME = "spool.lock";

/** Nonces of the locks this process holds. */
const heldHere = new Set<string>();

/** A held lock. */
export interface SpoolLock {
  /** Removes the lock file, if it is still ours. */
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly nonce: string;
  readonly text: string;
}

async function readHolder(fs: SpoolFs, path: string): Promise<Holder | "gone" | "garbled"> {
  let text: string;
  try {
    text = new TextDecoder().decode(await fs.readFile(path));
  } catch (error) {
    if (osCode(error) === "ENOENT") return "gone";
    throw spoolErrorFrom(error, "read the lock", path);
  }
  try {
    const { pid, nonce } = JSON.parse(text);
    if (Number.isSafeInteger(pid) && pid > 0 && typeof nonce === "string") {
      return { pid, nonce, text };
    }
  } catch {
    // falls through
  }
  return "garbled";
}

/** Takes the lock of `dir`, or throws {@linkcode VectorVueSpoolLockedError} naming the holder. */
export async function acquireLock(fs: SpoolFs, dir: string, logger: Logger): Promise<SpoolLock> {
  const path = `${dir}/${LOCK_NAME}`;
  const nonce = crypto.randomUUID();
  const text = `${JSON.stringify({ pid: fs.pid, nonce, since: new Date().toISOString() })}\n`;
  const temporary = `${dir}/${LOCK_NAME}.${nonce}.tmp`;
  try {
    const file = await fs.createAppend(temporary);
    try {
      await file.write(new TextEncoder().encode(text));
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    throw spoolErrorFrom(error, "create the lock in", dir);
  }
  try {
    // Three rounds: a stale lock removed, or one released while we looked, then ours.
    for (let round = 0; round < 3; round++) {
      try {
        await fs.link(temporary, path);
        await fs.syncDir(dir);
        heldHere.add(nonce);
        return { release: () => releaseLock(fs, path, nonce) };
      } catch (error) {
        if (osCode(error) !== "EEXIST") throw spoolErrorFrom(error, "take the lock", path);
      }
      const holder = await readHolder(fs, path);
      if (holder === "gone") continue;
      if (holder !== "garbled") {
        if (holder.pid === fs.pid && heldHere.has(holder.nonce)) {
          throw new VectorVueSpoolLockedError(dir, holder.pid, { sameProcess: true });
        }
        if (holder.pid !== fs.pid && fs.processExists(holder.pid)) {
          throw new VectorVueSpoolLockedError(dir, holder.pid);
        }
      }
      // Stale. Read it once more so a lock another starter has just taken over is not removed.
      const again = await readHolder(fs, path);
      const unchanged = again === holder ||
        (typeof again === "object" && typeof holder === "object" && again.text === holder.text);
      if (!unchanged) continue;
      logger.warn("vectorvue spool: taking over a stale lock", {
        dir,
        pid: typeof holder === "object" ? holder.pid : undefined,
      });
      try {
        await fs.remove(path);
      } catch (error) {
        throw spoolErrorFrom(error, "remove the stale lock", path);
      }
    }
    throw new VectorVueSpoolError("locked", `cannot take the lock ${path}: it keeps changing`, {
      path,
    });
  } finally {
    await fs.remove(temporary).catch(() => {});
  }
}

async function releaseLock(fs: SpoolFs, path: string, nonce: string): Promise<void> {
  heldHere.delete(nonce);
  const holder = await readHolder(fs, path).catch(() => "gone" as const);
  if (typeof holder === "object" && holder.nonce === nonce) await fs.remove(path);
}
