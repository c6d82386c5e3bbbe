/**
 * The pacer's record of its own requests in the sliding window: when each was
 * sent and answered, and whether it was a probe. A request counts from when it
 * was sent until one window after its answer (in flight, until then and a
 * window after); refused ones are forgotten, since the server does not count
 * them. Pure: every question takes the time.
 *
 * @module
 */

/** One request this client sent. */
export interface Sent {
  readonly sentAt: number;
  /** When the answer came; `Infinity` while in flight (it counts until then and a window after). */
  doneAt: number;
  /** Sent on room the contention estimate's decay gave (not on one of its own requests leaving). */
  readonly probe: boolean;
}

/** This client's own requests, as the server's window counts them. */
export class OwnRequests {
  #sent: Sent[] = [];

  /** Records a request sent at `sentAt`, in flight until {@linkcode OwnRequests.answered}. */
  add(sentAt: number, probe: boolean): Sent {
    const entry: Sent = { sentAt, doneAt: Infinity, probe };
    this.#sent.push(entry);
    return entry;
  }

  /** Its answer came at `at`. */
  answered(entry: Sent, at: number): void {
    entry.doneAt = at;
  }

  /** Forgets a request the server did not count (refused, or never sent). */
  forget(entry: Sent): void {
    this.#sent = this.#sent.filter((other) => other !== entry);
  }

  /** Drops what has left the longest window the pacer may count with again. */
  prune(now: number, longestWindowMs: number): void {
    this.#sent = this.#sent.filter((entry) => entry.doneAt > now - longestWindowMs);
  }

  /** Requests counted in a window of `windowMs` at `now` (in flight included). */
  count(now: number, windowMs: number): number {
    return this.#sent.filter((entry) => entry.doneAt > now - windowMs).length;
  }

  /** Requests granted and still counted in a window of `windowMs` at `now` (in flight not). */
  granted(now: number, windowMs: number): number {
    return this.#sent.filter((entry) => entry.doneAt !== Infinity && entry.doneAt > now - windowMs)
      .length;
  }

  /** Whether a request (a probe, with `probesOnly`) still waits for its answer. */
  inFlight(probesOnly = false): boolean {
    return this.#sent.some((entry) => entry.doneAt === Infinity && (!probesOnly || entry.probe));
  }

  /** Answered requests, oldest sent first. */
  answeredBySent(): Sent[] {
    return this.#sent.filter((entry) => entry.doneAt !== Infinity).sort((a, b) =>
      a.sentAt - b.sentAt
    );
  }

  /**
   * When each request counted in a window of `windowMs` at `now` leaves it, earliest first;
   * requests in flight as if answered at `inFlightDoneAt`.
   */
  leaving(now: number, windowMs: number, inFlightDoneAt: number): number[] {
    return this.#sent
      .filter((entry) => entry.doneAt > now - windowMs)
      .map((entry) => (entry.doneAt === Infinity ? inFlightDoneAt : entry.doneAt) + windowMs)
      .sort((a, b) => a - b);
  }
}

/**
 * When the next request may go: after `j` of this client's own requests left the window (at
 * `leaving`, earliest first), the rest remain; the next may go once the others' estimate leaves
 * room beside them (`othersAtMost(room)`: the earliest time others hold at most `room`), and
 * not before `gate`. `Infinity` when it depends on an answer not yet come.
 */
export function nextRoom(
  now: number,
  leaving: readonly number[],
  capacity: number,
  othersAtMost: (room: number) => number,
  gate: number,
): number {
  for (let j = 0; j <= leaving.length; j++) {
    const start = j === 0 ? now : leaving[j - 1];
    if (start === Infinity) break;
    const room = capacity - (leaving.length - j) - 1;
    if (room < 0) continue;
    const at = Math.max(start, othersAtMost(room), gate);
    if (j === leaving.length || at < leaving[j]) return at;
  }
  return Infinity;
}
