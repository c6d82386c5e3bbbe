/**
 * How `vectorvue ship` stops: the first SIGTERM or SIGINT stops reading (the lines already read
 * are still taken), then batches in flight have the grace period to finish, and whatever is not
 * delivered by then stays in the spool for the next shipper on the state directory. Another
 * signal (a second or more later) exits at once: every line taken is in the spool already.
 *
 * @module
 */
import { EXIT } from "./command.ts";
import { InterruptCounter } from "./interrupts.ts";
import type { CliSystem } from "../src/platform/command_line.ts";
import type { ShipLog } from "./ship_log.ts";

/** See the module comment. */
export class ShipStop {
  readonly #system: CliSystem;
  readonly #log: ShipLog;
  readonly #graceMs: number;
  /** Says, on a hard exit, what was taken (standard input: how far). */
  readonly #lastWords: () => Readonly<Record<string, unknown>>;
  readonly #interrupts = new InterruptCounter();
  /** Aborted by the first signal: read no more. */
  readonly stopReading = new AbortController();
  /** Aborted when the grace period after the first signal runs out: deliver no more. */
  readonly giveUp = new AbortController();
  /** The signal that stopped the run, if one did. */
  signal: string | undefined;

  constructor(
    system: CliSystem,
    log: ShipLog,
    graceMs: number,
    lastWords: () => Readonly<Record<string, unknown>>,
  ) {
    this.#system = system;
    this.#log = log;
    this.#graceMs = graceMs;
    this.#lastWords = lastWords;
  }

  /** The handler for SIGINT and SIGTERM. */
  onSignal(name: string): void {
    // A parent that forwards signals (`deno task`) delivers one Ctrl+C twice: count presses.
    const count = this.#interrupts.deliver();
    if (count === undefined) return;
    if (count >= 2) {
      this.#log.log(
        "warn",
        "exiting",
        `${name} again: exiting now; the spool keeps every line taken`,
        {
          ...this.#lastWords(),
        },
      );
      this.#system.exit(EXIT.interrupted);
    }
    this.signal = name;
    this.#log.log(
      "info",
      "stopping",
      `${name}: reading stopped; batches in flight have ${this.#graceMs / 1000} s to finish, ` +
        "the rest stays in the spool",
      { grace_seconds: this.#graceMs / 1000 },
    );
    this.stop();
  }

  /** Stops reading and starts the grace period. */
  stop(): void {
    if (this.stopReading.signal.aborted) return;
    this.stopReading.abort();
    const timer = setTimeout(
      () => this.giveUp.abort(new Error("the grace period ended")),
      this.#graceMs,
    );
    // The grace period must not keep a finished run alive.
    this.#system.unrefTimer(timer);
  }
}
