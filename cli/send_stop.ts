/**
 * Ctrl+C during `vectorvue send`: the first press stops reading and lets the batches in flight
 * finish for a grace period; another press (a second or more later) exits at once.
 *
 * @module
 */
import type { InputFingerprint } from "./checkpoint.ts";
import { EXIT } from "./command.ts";
import { InterruptCounter } from "./interrupts.ts";
import type { ProgressRenderer } from "./progress.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

/** How long in-flight batches may take to finish after the first Ctrl+C. */
const GRACE_MS = 30_000;

/** The run's response to SIGINT and SIGTERM, as two signals the run watches. */
export class SendStop {
  readonly #system: CliSystem;
  readonly #progress: ProgressRenderer;
  readonly #afterHardExit: () => string;
  readonly #interrupts = new InterruptCounter();
  /** Aborted at the first Ctrl+C: read no more. */
  readonly stopReading = new AbortController();
  /** Aborted when the grace period after the first Ctrl+C runs out. */
  readonly abortDelivery = new AbortController();

  /** `afterHardExit` says what to do after an exit that skips the summary. */
  constructor(system: CliSystem, progress: ProgressRenderer, afterHardExit: () => string) {
    this.#system = system;
    this.#progress = progress;
    this.#afterHardExit = afterHardExit;
  }

  /** The handler for SIGINT and SIGTERM. */
  readonly onSignal = (): void => {
    // A parent that forwards signals (`deno task`) delivers one Ctrl+C twice: count presses.
    const count = this.#interrupts.deliver();
    if (count === undefined) return;
    if (count >= 2) {
      this.#progress.finish();
      this.#system.stderr(`interrupted again: exiting now; ${this.#afterHardExit()}\n`);
      this.#system.exit(EXIT.interrupted);
    }
    this.#progress.message(
      "interrupted: finishing the batches in flight (Ctrl+C again to exit at once)",
    );
    this.stopReading.abort();
    const timer = setTimeout(() => this.abortDelivery.abort(new Error("interrupted")), GRACE_MS);
    // The grace period must not keep a finished run alive.
    this.#system.unrefTimer(timer);
  };
}

/** What to do after an exit that skips the summary: resume, or start again. */
export function afterHardExit(
  options: {
    readonly paths: { readonly deadLetter: string; readonly checkpoint: string };
    readonly current?: InputFingerprint;
  },
  checkpointed: boolean,
  deadLetterBytes: number,
): string {
  const { paths, current } = options;
  if (!current) return "standard input cannot be resumed: send what is left of it again";
  if (checkpointed) {
    return `the checkpoint stays as last written (${paths.checkpoint}): ` +
      "run the same command with --resume to continue";
  }
  // Nothing settled yet: a checkpoint would only say "start at line 1".
  return "nothing was checkpointed yet: run the same command again, without --resume" +
    (deadLetterBytes > 0 ? `, once ${paths.deadLetter} is moved away` : "");
}
