// One process (and one batcher) per spool directory, also across PID namespaces and hosts that
// share the volume: a lease file the holder renews.
//
// The lock is `spool.lock.<generation>`; the highest generation present is the lock. It is taken
// by hard-linking a fully written temporary file to the next generation's name: the link fails
// when that name exists, so of any number of starters exactly one gets each generation, and a
// lock file is never seen half-written. Taking over a stale lock is the same step (link the
// next generation, then remove the older ones), so there is no check-then-remove race; a starter
// that linked a generation lower than one it then finds steps back.
//
// The holder renews the lease by setting the file's modification time every `renewMs`. A lock is
// stale when its holder is known dead (same host, boot and PID namespace, and its pid is gone, or
// the lease is older than `staleMs` by our clock), or, when the holder is elsewhere (another
// container, another host: its pid means nothing here), when its modification time did not
// change while we watched for `staleMs` (several missed renewals; clocks are never compared).
// The holder checks on every renewal and before starting a segment file that its generation is
// still the highest (fencing): a holder frozen longer than the lease finds out and stops.
import type { HostIdentity, SpoolFs } from "../platform/files.ts";
import type { Logger } from "../logger.ts";
import {
  osCode,
  spoolErrorFrom,
  VectorVueSpoolError,
  VectorVueSpoolLockedError,
} from "./spool_error.ts";

const LOCK = /^spool\.lock\.(\d+)$/;
const lockName = (generation: number) => `spool.lock.${generation}`;

/** How often the holder renews its lease, and after how long without a renewal it is stale. */
export interface LeaseOptions {
  readonly renewMs: number;
  readonly staleMs: number;
}

/** Renew every 2 s; stale after 10 s without a renewal (five missed). */
export const DEFAULT_LEASE: LeaseOptions = { renewMs: 2_000, staleMs: 10_000 };

/** Tokens of the locks this process holds. */
const heldHere = new Set<string>();

/** A held lock. */
export interface SpoolLock {
  /** This holder's random token (also names the writer of its segment files). */
  readonly token: string;
  /** Whether a renewal found the lock taken over by another process. */
  readonly lost: boolean;
  /** Throws a `locked` {@linkcode VectorVueSpoolError} if another process has taken the lock. */
  verify(): Promise<void>;
  /** Stops renewing and removes the lock file, if it is still ours. */
  release(): Promise<void>;
}

interface Holder extends HostIdentity {
  readonly token: string;
  readonly pid: number;
}

async function generations(fs: SpoolFs, dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readDir(dir);
  } catch (error) {
    throw spoolErrorFrom(error, "read the spool directory", dir);
  }
  return names.map((name) => LOCK.exec(name)?.[1]).filter((g) => g !== undefined).map(Number)
    .sort((a, b) => a - b);
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
    const holder = JSON.parse(text);
    if (
      Number.isSafeInteger(holder.pid) && typeof holder.token === "string" &&
      ["host", "bootId", "pidNs"].every((key) => typeof holder[key] === "string")
    ) {
      return holder;
    }
  } catch {
    // falls through: being written (a full disk may leave it empty), or damaged
  }
  return "garbled";
}

/** Where a pid means something (host, boot, PID namespace): FNV-1a, 32 bits, 8 hex digits. */
function placeOf(me: HostIdentity): string {
  let hash = 0x811c9dc5;
  for (const char of `${me.host}\n${me.bootId}\n${me.pidNs}`) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * A starter's temporary lock file. Its name carries the starter's pid and place, so that a
 * later start can tell a dead starter's file even when it is empty (killed before writing it).
 */
export function temporaryLockName(token: string, pid: number, me: HostIdentity): string {
  return `spool.lock.${token}.${pid}-${placeOf(me)}.tmp`;
}

const TEMPORARY = /^spool\.lock\.[^.]+\.(\d+)-([0-9a-f]{8})\.tmp$/;

/**
 * Whether the temporary lock file `name` was left by a starter of this host, boot and PID
 * namespace whose process is gone (killed between creating it and linking it): it can go at once.
 */
export async function leftByDeadStarter(fs: SpoolFs, name: string): Promise<boolean> {
  const match = TEMPORARY.exec(name);
  if (match === null) return false;
  const me = await fs.identity();
  const pid = Number(match[1]);
  return me.host !== "" && match[2] === placeOf(me) && pid !== fs.pid && !fs.processExists(pid);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** When the lock file's lease was last renewed, or "gone". */
async function renewedAt(fs: SpoolFs, path: string): Promise<number | "gone"> {
  try {
    return await fs.mtime(path);
  } catch (error) {
    if (osCode(error) === "ENOENT") return "gone";
    throw spoolErrorFrom(error, "read the lock", path);
  }
}

/**
 * Whether the lock at `path` is held: "alive" (with its holder), "stale", or "gone" (released
 * while we looked). Watches a holder it cannot see for `staleMs`.
 */
async function judge(
  fs: SpoolFs,
  path: string,
  me: HostIdentity,
  lease: LeaseOptions,
): Promise<{ verdict: "alive" | "stale" | "gone"; holder?: Holder; elsewhere?: boolean }> {
  const holder = await readHolder(fs, path);
  if (holder === "gone") return { verdict: "gone" };
  const since = await renewedAt(fs, path);
  if (since === "gone") return { verdict: "gone" };
  if (typeof holder === "object") {
    if (heldHere.has(holder.token)) return { verdict: "alive", holder };
    // Without a known host (a runtime not allowed to ask), the pid cannot be placed: lease only.
    const here = me.host !== "" && holder.host === me.host && holder.bootId === me.bootId &&
      holder.pidNs === me.pidNs;
    if (here) {
      // Its pid is meaningful here. A pid that is ours or alive may be a reused one: then the
      // lease, on our own clock, decides.
      if (holder.pid === fs.pid || !fs.processExists(holder.pid)) {
        return { verdict: "stale", holder };
      }
      return Date.now() - since > lease.staleMs
        ? { verdict: "stale", holder }
        : { verdict: "alive", holder };
    }
  }
  // Another PID namespace or host, or a lock being written: watch whether its lease is renewed.
  const watchedFrom = Date.now();
  while (Date.now() - watchedFrom <= lease.staleMs) {
    await sleep(Math.min(lease.renewMs, lease.staleMs));
    const now = await renewedAt(fs, path);
    if (now === "gone") return { verdict: "gone" };
    if (now !== since) {
      const current = await readHolder(fs, path);
      const holder = typeof current === "object" ? current : undefined;
      return { verdict: "alive", holder, elsewhere: true };
    }
  }
  return { verdict: "stale", holder: typeof holder === "object" ? holder : undefined };
}

/** Writes our lock file as generation `generation`; false when another starter has it. */
async function claim(
  fs: SpoolFs,
  dir: string,
  generation: number,
  token: string,
  me: HostIdentity,
  text: string,
): Promise<boolean> {
  const path = `${dir}/${lockName(generation)}`;
  const temporary = `${dir}/${temporaryLockName(token, fs.pid, me)}`;
  let written = false;
  try {
    const file = await fs.createAppend(temporary);
    try {
      await file.write(new TextEncoder().encode(text));
      await file.sync();
      written = true;
    } finally {
      await file.close();
    }
  } catch {
    // A full disk: the lock is taken as an empty file below (creating one needs no data block).
  }
  try {
    if (written) await fs.link(temporary, path);
    else {
      const file = await fs.createAppend(path);
      // Best effort: others treat a lock they cannot read as held while its lease is renewed.
      await file.write(new TextEncoder().encode(text)).then(() => file.sync()).catch(() => {});
      await file.close().catch(() => {});
    }
  } catch (error) {
    if (osCode(error) === "EEXIST") return false;
    throw spoolErrorFrom(error, "take the lock", path);
  } finally {
    await fs.remove(temporary).catch(() => {});
  }
  await fs.syncDir(dir).catch(() => {});
  return true;
}

/**
 * Takes the lock of `dir`, or throws {@linkcode VectorVueSpoolLockedError} naming the holder.
 * With a holder in another PID namespace or host, deciding takes up to `lease.staleMs`.
 */
export async function acquireLock(
  fs: SpoolFs,
  dir: string,
  logger: Logger,
  lease: LeaseOptions = DEFAULT_LEASE,
): Promise<SpoolLock> {
  const token = crypto.randomUUID();
  const me = await fs.identity();
  const text = `${
    JSON.stringify({ token, pid: fs.pid, ...me, since: new Date().toISOString() })
  }\n`;
  for (let round = 0; round < 20; round++) {
    const present = await generations(fs, dir);
    const top = present.at(-1);
    let tookOver: Holder | undefined;
    if (top !== undefined) {
      const { verdict, holder, elsewhere } = await judge(fs, `${dir}/${lockName(top)}`, me, lease);
      if (verdict === "gone") continue;
      if (verdict === "alive") {
        throw new VectorVueSpoolLockedError(dir, holder?.pid ?? 0, {
          sameProcess: holder !== undefined && heldHere.has(holder.token),
          host: elsewhere ? holder?.host || "unknown" : undefined,
        });
      }
      tookOver = holder;
    }
    const generation = (top ?? 0) + 1;
    if (!(await claim(fs, dir, generation, token, me, text))) continue;
    const path = `${dir}/${lockName(generation)}`;
    // A starter that saw an older listing may have linked a generation lower than the lock:
    // the highest wins, the others step back.
    const after = await generations(fs, dir);
    if (after.some((g) => g > generation)) {
      await fs.remove(path).catch(() => {});
      continue;
    }
    for (const older of after.filter((g) => g < generation)) {
      await fs.remove(`${dir}/${lockName(older)}`).catch(() => {});
    }
    if (top !== undefined) {
      logger.warn("vectorvue spool: took over a stale lock", {
        dir,
        pid: tookOver?.pid,
        host: tookOver?.host,
      });
    }
    heldHere.add(token);
    return holdLock(fs, dir, path, generation, token, lease, logger);
  }
  throw new VectorVueSpoolError("locked", `cannot take the lock of ${dir}: it keeps changing`, {
    path: dir,
  });
}

function holdLock(
  fs: SpoolFs,
  dir: string,
  path: string,
  generation: number,
  token: string,
  lease: LeaseOptions,
  logger: Logger,
): SpoolLock {
  let lost = false;
  let released = false;
  const lose = () => {
    if (lost || released) return;
    lost = true;
    logger.error("vectorvue spool: lost the lock to another process; this batcher stops writing", {
      dir,
    });
  };
  const check = async () => {
    if (lost) return;
    try {
      await fs.touch(path);
    } catch (error) {
      if (osCode(error) === "ENOENT") return lose();
      return; // another failure (EIO...): try again at the next renewal
    }
    if ((await generations(fs, dir).catch(() => [])).some((g) => g > generation)) lose();
  };
  const stop = fs.every(lease.renewMs, () => void check().catch(() => {}));
  return {
    token,
    get lost() {
      return lost;
    },
    async verify() {
      if (!lost) await check();
      if (lost) {
        throw new VectorVueSpoolError(
          "locked",
          `the lock of the spool directory ${dir} was taken over by another process (its lease was not renewed for ${lease.staleMs} ms); this batcher stops writing`,
          { path: dir },
        );
      }
    },
    async release() {
      if (released) return;
      released = true;
      stop();
      heldHere.delete(token);
      // Ours unless lost (a full disk may have left it empty, so its content cannot tell).
      const holder = await readHolder(fs, path).catch(() => "gone" as const);
      if (!lost || (typeof holder === "object" && holder.token === token)) await fs.remove(path);
    },
  };
}
