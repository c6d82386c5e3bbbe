/**
 * Last words at process exit for objects that hold undelivered items (a batcher never closed):
 * one process-level listener, through the runtime seam, for every watched object, so that many
 * batchers do not pile listeners on the process (Node warns past ten). Objects are held weakly:
 * watching one never keeps it, or the process, alive.
 *
 * @module
 */
import { onProcessExit } from "../platform/process.ts";
import type { Logger } from "../logger.ts";

interface Watch {
  readonly target: WeakRef<object>;
  readonly check: (target: object) => void;
}

const watches = new Set<Watch>();
let removeListener: (() => void) | undefined;

function atExit(): void {
  for (const watch of watches) {
    const target = watch.target.deref();
    if (target === undefined) continue;
    try {
      watch.check(target);
    } catch {
      // A logger that throws at exit must not hide the other warnings.
    }
  }
}

/** The warning of a batcher not closed at exit that holds items in `queue` (none: no warning). */
export function warnUndelivered(
  logger: Logger,
  what: string,
  queue: { readonly queuedCount: number; readonly reservedItems: number; inFlightItems: number },
  spooled: boolean,
): void {
  const counts = { queued: queue.queuedCount + queue.reservedItems, inFlight: queue.inFlightItems };
  const held = counts.queued + counts.inFlight;
  if (held === 0) return;
  const items = `${held} ${what}${held === 1 ? "" : "s"}`;
  logger.warn(
    spooled
      ? `vectorvue batcher: the process exits with ${items} not delivered; they stay in the ` +
        "spool for the next batcher on its directory: await batcher.close() before exiting"
      : `vectorvue batcher: the process exits with ${items} not delivered, which are lost: ` +
        "await batcher.close() before exiting",
    counts,
  );
}

/**
 * Calls `check(target)` when the process exits, unless the returned function was called first.
 * `check` must not capture `target` (it is passed in), or the weak hold would be a strong one.
 */
export function watchAtExit<T extends object>(target: T, check: (target: T) => void): () => void {
  for (const watch of watches) if (watch.target.deref() === undefined) watches.delete(watch);
  const watch: Watch = { target: new WeakRef(target), check: check as (target: object) => void };
  watches.add(watch);
  removeListener ??= onProcessExit(atExit);
  return () => {
    watches.delete(watch);
    if (watches.size === 0) {
      removeListener?.();
      removeListener = undefined;
    }
  };
}
