/**
 * Progress of a `send` run: on a terminal one line redrawn at most 10 times a second; otherwise
 * a plain line every few seconds. Pure formatting here; the renderer only decides when.
 *
 * @module
 */

/** What the progress line shows. */
export interface ProgressState {
  /** Items settled: accepted, rejected, failed or malformed. */
  readonly done: number;
  /** Items in the input, or an estimate from its size while reading (`estimated`). */
  readonly total?: number;
  readonly estimated: boolean;
  readonly accepted: number;
  readonly rejected: number;
  readonly failed: number;
  readonly malformed: number;
  /** Settled items per second, recently. */
  readonly rate: number;
  /**
   * Settled items per second since the run began, for the ETA: under a rate limit the recent
   * rate drops to 0 between windows, and an ETA from it would jump to hours.
   */
  readonly averageRate?: number;
  /** When delivery is paused: why, and until when (ms since the epoch). */
  readonly paused?: {
    readonly reason: string;
    readonly untilMs?: number;
    /** Others on the address hold part of the window. */
    readonly shared?: boolean;
  };
  /** 429 answers so far. */
  readonly rateLimited?: number;
  /** Time spent waiting for the rate limit so far. */
  readonly rateLimitWaitMs?: number;
}

const number = (value: number) => Math.round(value).toLocaleString("en-US");

/** `1:05`, `12 s`, `2:03:04`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

function pauseText(state: ProgressState, nowMs: number): string {
  if (!state.paused) return "";
  const reason = state.paused.reason.startsWith("rate")
    ? state.paused.shared ? "rate limit: shared with others on this address" : "rate limit"
    : "server unavailable";
  // The wait as the pacer expects it, to the second: no floor that reads "1 s" forever.
  const left = state.paused.untilMs === undefined
    ? ""
    : `, next slot in ${formatDuration(Math.max(0, state.paused.untilMs - nowMs))}`;
  return `${reason}${left}`;
}

function etaMs(state: ProgressState): number | undefined {
  const rate = state.averageRate ?? state.rate;
  if (state.total === undefined || rate <= 0) return undefined;
  return ((state.total - state.done) / rate) * 1000;
}

function counts(state: ProgressState): string {
  const parts = [`accepted ${number(state.accepted)}`, `rejected ${number(state.rejected)}`];
  parts.push(`failed ${number(state.failed)}`);
  if (state.malformed > 0) parts.push(`malformed ${number(state.malformed)}`);
  return parts.join(" ");
}

/** The terminal line (no newline), cut to `columns`. */
export function terminalLine(state: ProgressState, nowMs: number, columns: number): string {
  const total = state.total === undefined
    ? ""
    : `/${state.estimated ? "~" : ""}${number(Math.max(state.total, state.done))}`;
  const share = state.total ? Math.min(1, state.done / Math.max(state.total, 1)) : undefined;
  const width = 20;
  const bar = share === undefined
    ? ""
    : `[${"#".repeat(Math.round(share * width)).padEnd(width, ".")}] `;
  const eta = etaMs(state);
  const parts = [`${bar}${number(state.done)}${total}`, `${number(state.rate)}/s`];
  // The wait (or the ETA) before the counts: a narrow terminal cuts the end of the line.
  const pause = pauseText(state, nowMs);
  if (pause) parts.push(pause);
  else if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
  parts.push(counts(state));
  const line = parts.join("  ");
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 2)) + "…" : line;
}

/** The plain line, for logs: the terminal line's facts, plus the rate-limit waits so far. */
export function plainLine(state: ProgressState, nowMs: number): string {
  const total = state.total === undefined
    ? ""
    : `/${state.estimated ? "~" : ""}${number(Math.max(state.total, state.done))}`;
  const parts = [`progress: ${number(state.done)}${total} items`, `${number(state.rate)}/s`];
  parts.push(counts(state));
  if (state.rateLimited) parts.push(`429 answers ${number(state.rateLimited)}`);
  if (state.rateLimitWaitMs) {
    parts.push(`waited for rate limit ${formatDuration(state.rateLimitWaitMs)}`);
  }
  const eta = etaMs(state);
  if (eta !== undefined && !state.paused) parts.push(`ETA ${formatDuration(eta)}`);
  const pause = pauseText(state, nowMs);
  if (pause) parts.push(pause);
  return parts.join(", ");
}

/** Items per second over the last `windowMs`, from samples of the settled count. */
export class RateMeter {
  readonly #samples: Array<[number, number]> = [];
  #first: [number, number] | undefined;
  constructor(readonly windowMs = 10_000) {}
  /** Items per second since the first sample (0 before a quarter second has passed). */
  average(nowMs: number, done: number): number {
    if (!this.#first) return 0;
    const spanMs = nowMs - this.#first[0];
    return spanMs < 250 ? 0 : ((done - this.#first[1]) * 1000) / spanMs;
  }

  /** Records `done` at `nowMs` and returns the rate. */
  sample(done: number, nowMs: number): number {
    this.#samples.push([nowMs, done]);
    this.#first ??= [nowMs, done];
    while (this.#samples.length > 2 && this.#samples[1][0] < nowMs - this.windowMs) {
      this.#samples.shift();
    }
    const [startMs, startDone] = this.#samples[0];
    const spanMs = nowMs - startMs;
    return spanMs < 250 ? 0 : ((done - startDone) * 1000) / spanMs;
  }
}

/** Where progress goes and how often. */
export interface ProgressOutput {
  readonly write: (text: string) => void;
  readonly terminal: boolean;
  readonly columns: () => number;
  /** Between plain lines, when not a terminal. */
  readonly intervalMs: number;
  readonly now?: () => number;
}

/** Decides when to draw: at most every 100 ms on a terminal, every `intervalMs` otherwise. */
export class ProgressRenderer {
  readonly #out: ProgressOutput;
  #lastMs = -Infinity;
  #drawn = false;
  #lastFacts: string | undefined;
  readonly #now: () => number;

  constructor(out: ProgressOutput) {
    this.#out = out;
    this.#now = out.now ?? Date.now;
  }

  /** Shows `state` if it is time to. */
  update(state: ProgressState, force = false): void {
    const now = this.#now();
    const gap = this.#out.terminal ? 100 : this.#out.intervalMs;
    if (!force && now - this.#lastMs < gap) return;
    if (!this.#out.terminal) {
      // A log gets each state once: the closing forced line repeats nothing already printed.
      const facts = [state.done, state.total, state.accepted, state.rejected, state.failed]
        .concat(state.malformed).join();
      if (force && facts === this.#lastFacts) return;
      this.#lastFacts = facts;
    }
    this.#lastMs = now;
    if (this.#out.terminal) {
      this.#out.write(`\r\x1b[2K${terminalLine(state, now, this.#out.columns())}`);
      this.#drawn = true;
    } else {
      this.#out.write(`${plainLine(state, now)}\n`);
    }
  }

  /** Leaves the terminal line in place and moves to the next line. */
  finish(): void {
    if (this.#drawn) this.#out.write("\n");
    this.#drawn = false;
  }

  /** Writes a message above the progress line. */
  message(text: string): void {
    if (this.#drawn) this.#out.write("\r\x1b[2K");
    this.#out.write(`${text}\n`);
    this.#drawn = false;
    this.#lastMs = -Infinity;
  }
}
