/**
 * The options of `vectorvue ship` that are the command's own (the connection's are
 * `connection.ts`'): one table, read by the one options mechanism (`src/option_rules.ts`), so a
 * bad value reads as every other option's problem (`--grace-seconds must be a whole number, got
 * "x"`) and each default lives here only (the help text quotes it from the table).
 *
 * @module
 */
import {
  DEFAULT_SPOOL_MAX_BYTES,
  defaultsOf,
  FLAG_VOICE,
  type OptionRow,
  readOptions,
} from "./_library_internals.ts";
import { FLAG_OPTIONS } from "./flag_options.ts";

/** Smallest spool the spool accepts (its own table's bound): 64 KiB. */
const MIN_SPOOL_BYTES = 64 * 1024;

/** The command's own flags, by flag name: rule, bounds and default. */
export const SHIP_OPTIONS: readonly OptionRow[] = Object.freeze([
  { name: "kind", rule: "enum", values: ["events", "findings"], required: true },
  { name: "state-dir", rule: "path" },
  { name: "dead-letter", rule: "path" },
  // Files seen the first time are read from their start: nothing written before the shipper
  // came up is lost (a shipper installed beside an old file sends it whole; --from-end skips).
  { name: "from-start", rule: "boolean" },
  { name: "from-end", rule: "boolean" },
  // 20 s: finishes well inside the 30 s Kubernetes gives a pod and the 90 s systemd gives a unit.
  { name: "grace-seconds", rule: "whole", default: 20 },
  { name: "metrics-port", rule: "whole", max: 65_535, words: "a port number (0..65535)" },
  { name: "metrics-host", rule: "text", default: "127.0.0.1" },
  // 20 s without an answer: /healthz says 503 within 30 s of the server going away, even when
  // the first request that finds it gone leaves a few seconds after it went.
  { name: "unhealthy-after", rule: "whole", min: 1, default: 20 },
  {
    name: "spool-max-bytes",
    rule: "whole",
    min: MIN_SPOOL_BYTES,
    words: `a whole number of at least ${MIN_SPOOL_BYTES}`,
    default: DEFAULT_SPOOL_MAX_BYTES,
  },
  // `send --concurrency`'s row: BulkOptions.concurrency, at most 16 in flight.
  FLAG_OPTIONS.concurrency,
]);

/** The defaults of {@linkcode SHIP_OPTIONS}, by flag name. */
export const SHIP_DEFAULTS: Readonly<Record<string, unknown>> = defaultsOf(SHIP_OPTIONS);

/** What the command's own flags say, defaults applied. */
export interface ShipSettings {
  readonly kind: "events" | "findings";
  readonly stateDir?: string;
  readonly deadLetter?: string;
  readonly fromStart: boolean;
  readonly graceMs: number;
  readonly metrics?: { readonly port: number; readonly host: string };
  readonly unhealthyAfterMs: number;
  readonly spoolMaxBytes: number;
  readonly concurrency: number;
}

type Flags = Readonly<Record<string, string | number | boolean | undefined>>;

/** Reads the command's own flags: the settings, and every problem with them. */
export function readShipSettings(
  flags: Flags,
): { settings: ShipSettings; problems: string[] } {
  const given = Object.fromEntries(
    SHIP_OPTIONS.flatMap((row) =>
      flags[row.name] === undefined ? [] : [[row.name, flags[row.name]]]
    ),
  );
  const { values, problems } = readOptions(given, SHIP_OPTIONS, FLAG_VOICE);
  if (flags["from-start"] && flags["from-end"]) {
    problems.push("--from-start and --from-end go one at a time");
  }
  if (flags["metrics-host"] !== undefined && flags["metrics-port"] === undefined) {
    problems.push("--metrics-host needs --metrics-port N");
  }
  const seconds = (name: string) => (values[name] as number) * 1000;
  return {
    problems,
    settings: {
      kind: values.kind as "events" | "findings",
      stateDir: values["state-dir"] as string | undefined,
      deadLetter: values["dead-letter"] as string | undefined,
      fromStart: values["from-end"] !== true,
      graceMs: seconds("grace-seconds"),
      metrics: values["metrics-port"] === undefined ? undefined : {
        port: values["metrics-port"] as number,
        host: values["metrics-host"] as string,
      },
      unhealthyAfterMs: seconds("unhealthy-after"),
      spoolMaxBytes: values["spool-max-bytes"] as number,
      concurrency: values.concurrency as number,
    },
  };
}

/**
 * The default state directory: `$XDG_STATE_HOME/vectorvue/ship-<kind>`, else
 * `$HOME/.local/state/vectorvue/ship-<kind>` (the XDG base directories' place for state that
 * outlives a restart); `undefined` when neither variable is set.
 */
export function defaultStateDir(
  env: Readonly<Record<string, string | undefined>>,
  kind: string,
): string | undefined {
  const base = env.XDG_STATE_HOME?.trim()
    ? env.XDG_STATE_HOME
    : env.HOME?.trim()
    ? `${env.HOME}/.local/state`
    : undefined;
  return base === undefined ? undefined : `${base.replace(/\/+$/, "")}/vectorvue/ship-${kind}`;
}
