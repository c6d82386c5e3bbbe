/**
 * Prometheus' text exposition format (version 0.0.4), for the few metrics a command serves:
 * families of counters and gauges, each with `# HELP` and `# TYPE`, samples with labels escaped
 * as the format asks.
 *
 * @module
 */

/** One sample: its labels (none for most) and its value. */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: a name, what it counts, its type and its samples. */
export interface MetricFamily {
  /** `vectorvue_ship_lines_read_total`: `[a-zA-Z_:][a-zA-Z0-9_:]*`, counters end in `_total`. */
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly samples: readonly Sample[];
}

/** The content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the format writes it: backslash, double quote and newline escaped. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text as the format writes it: backslash and newline escaped. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A value as the format writes it: `+Inf`, `-Inf`, `NaN` spelled out. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** The families as Prometheus text; a name or label name the format forbids throws. */
export function prometheusText(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    if (!NAME.test(family.name)) throw new TypeError(`invalid metric name ${family.name}`);
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels ?? {});
      for (const [label] of labels) {
        if (!LABEL.test(label)) throw new TypeError(`invalid label name ${label}`);
      }
      const text = labels.length === 0
        ? ""
        : `{${labels.map(([label, value]) => `${label}="${escapeLabel(value)}"`).join(",")}}`;
      lines.push(`${family.name}${text} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}
