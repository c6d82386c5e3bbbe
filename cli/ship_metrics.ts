/**
 * The metrics `vectorvue ship --metrics-port` serves, from one snapshot of the run: what was
 * read, what the server did with it, the queue and the spool, and how far behind each followed
 * file is. Counters count from the start of this process, as Prometheus expects of counters.
 *
 * @module
 */
import type { BatcherStats } from "../mod.ts";
import type { MetricFamily } from "./metrics.ts";
import type { DeliveryState } from "./ship_health.ts";
import type { ShipDeadLetterReason } from "./ship_dead_letter.ts";

/** How far behind one source is. */
export interface SourceLag {
  readonly path: string;
  readonly source: string;
  readonly lagBytes: number;
  readonly lagSeconds: number;
}

/** What the metrics are made of. */
export interface ShipSnapshot {
  readonly linesRead: number;
  readonly bytesRead: number;
  readonly linesTaken: number;
  readonly batcher: BatcherStats;
  readonly deadLettered: Readonly<Record<ShipDeadLetterReason, number>>;
  readonly lags: readonly SourceLag[];
  readonly state: DeliveryState;
  readonly healthy: boolean;
}

const STATES: readonly DeliveryState[] = [
  "starting",
  "delivering",
  "rate_limited",
  "unavailable",
  "refused",
];

const P = "vectorvue_ship_";

function one(
  name: string,
  type: "counter" | "gauge",
  help: string,
  value: number,
): MetricFamily {
  return { name: `${P}${name}`, type, help, samples: [{ value }] };
}

/** A gauge with one sample per followed file, labelled by its path and source. */
function perFile(
  s: ShipSnapshot,
  name: string,
  help: string,
  field: "lagBytes" | "lagSeconds",
): MetricFamily {
  const samples = s.lags.map((lag) => ({
    labels: { path: lag.path, source: lag.source },
    value: lag[field],
  }));
  return { name: `${P}${name}`, type: "gauge", help, samples };
}

/** The metric families of a snapshot. */
export function shipMetrics(s: ShipSnapshot): MetricFamily[] {
  const b = s.batcher;
  return [
    one("lines_read_total", "counter", "Lines read from files and standard input.", s.linesRead),
    one("bytes_read_total", "counter", "Bytes of the lines read.", s.bytesRead),
    one(
      "lines_taken_total",
      "counter",
      "Lines taken: in the spool with their position, or in the dead-letter file.",
      s.linesTaken,
    ),
    one("items_accepted_total", "counter", "Items the server stored.", b.accepted),
    one("items_rejected_total", "counter", "Items the server refused (dead-lettered).", b.rejected),
    {
      name: `${P}dead_lettered_total`,
      type: "counter",
      help: "Lines written to the dead-letter file, by reason.",
      samples: (["malformed", "rejected", "failed"] as const).map((reason) => ({
        labels: { reason },
        value: s.deadLettered[reason],
      })),
    },
    one("requests_total", "counter", "Batch requests sent, retries included.", b.requests),
    one("rate_limited_total", "counter", "Answers with status 429.", b.rateLimited),
    one(
      "rate_limit_wait_seconds_total",
      "counter",
      "Time spent waiting for the rate limit.",
      b.rateLimitWaitMs / 1000,
    ),
    one(
      "queue_items",
      "gauge",
      "Items held in memory (queued and in flight).",
      b.queued + b.inFlight,
    ),
    one("queue_bytes", "gauge", "Bytes of JSON held in memory.", b.heldBytes),
    one("spool_items", "gauge", "Items on disk not yet answered for.", b.spool?.items ?? 0),
    one("spool_bytes", "gauge", "Bytes of the spool's files.", b.spool?.bytes ?? 0),
    one(
      "spool_oldest_age_seconds",
      "gauge",
      "Age of the oldest item in the spool.",
      (b.spool?.oldestAgeMs ?? 0) / 1000,
    ),
    perFile(s, "lag_bytes", "Bytes written to a followed file and not read yet.", "lagBytes"),
    perFile(
      s,
      "lag_seconds",
      "Age of the oldest byte of a followed file not read yet.",
      "lagSeconds",
    ),
    {
      name: `${P}state`,
      type: "gauge",
      help: "What deliveries are doing: 1 for the current state.",
      samples: STATES.map((state) => ({ labels: { state }, value: state === s.state ? 1 : 0 })),
    },
    one("healthy", "gauge", "1 when /healthz answers 200.", s.healthy ? 1 : 0),
  ];
}
