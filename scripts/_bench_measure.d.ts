// Types of `_bench_measure.mjs`.

/** One timed run of one side. */
export interface Measure {
  /** Operations per second, wall clock. */
  readonly perSecond: number;
  /** CPU time of this process (every thread) per operation, in microseconds. */
  readonly cpuMicros: number;
}

/** Throughputs of one side of a scenario, one per round. */
export interface Sample {
  /** Median of `runs`. */
  readonly median: number;
  /** Operations per second of each round, in order. */
  readonly runs: readonly number[];
  /**
   * Median CPU time of the benchmark process per operation, in microseconds. On a small
   * machine the wall-clock ratio wanders with scheduling; this is the steadier measure of what
   * the client itself costs.
   */
  readonly cpuMicrosPerOp: number;
}

/** One run of a side; round -1 is the untimed warm-up. */
export type Run = (round: number) => Promise<Measure>;

export function median(values: readonly number[]): number;
export function alternate(rounds: number, sides: readonly Run[]): Promise<Sample[]>;
export function measure(operations: number, work: () => Promise<void>): Promise<Measure>;
export function pool(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void>;
