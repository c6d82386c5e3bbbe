/**
 * `vectorvue ship`: follows growing NDJSON files (as `tail -F` does, through rotation) or
 * standard input, and ships every line exactly once through a durable spool, as a service:
 * signals, a grace period, back-pressure, metrics and a health check.
 *
 * @module
 */
import { VectorVueClient, type VectorVueConfig } from "../mod.ts";
import { type FlagSpec, type ParsedArgs, UsageError } from "./args.ts";
import type { Command } from "./command.ts";
import { CONNECTION_FLAGS, CONNECTION_HELP, connectionConfig } from "./connection.ts";
import type { CliSystem } from "../src/platform/command_line.ts";
import {
  defaultStateDir,
  readShipSettings,
  SHIP_DEFAULTS,
  type ShipSettings,
} from "./ship_options.ts";
import { Follower } from "./follow.ts";
import { type FollowerFactory, ShipRun } from "./ship_run.ts";
import { ShipLog } from "./ship_log.ts";
import { STDIN_SOURCE } from "./ship_stdin.ts";

const D = SHIP_DEFAULTS;

const FLAGS: readonly FlagSpec[] = [
  {
    name: "kind",
    type: "string",
    value: "events|findings",
    help: "what the lines hold (required)",
  },
  {
    name: "state-dir",
    type: "string",
    value: "DIR",
    help: "spool and state (default $XDG_STATE_HOME/vectorvue/ship-KIND, else " +
      "~/.local/state/vectorvue/ship-KIND)",
  },
  {
    name: "from-start",
    type: "boolean",
    help: "read files seen the first time from their start (default)",
  },
  { name: "from-end", type: "boolean", help: "read files seen the first time from their end" },
  {
    name: "dead-letter",
    type: "string",
    value: "FILE",
    help: "where lines that were not delivered go (default DIR/dead-letter.ndjson)",
  },
  {
    name: "grace-seconds",
    type: "integer",
    value: "S",
    help: `on SIGTERM/SIGINT, time for batches in flight to finish (default ${D["grace-seconds"]})`,
  },
  {
    name: "metrics-port",
    type: "integer",
    value: "N",
    help: "serve /metrics and /healthz on port N",
  },
  {
    name: "metrics-host",
    type: "string",
    value: "HOST",
    help: `address to serve them on (default ${D["metrics-host"]})`,
  },
  {
    name: "unhealthy-after",
    type: "integer",
    value: "S",
    help: `/healthz says 503 after S seconds without a good answer (default ${
      D["unhealthy-after"]
    })`,
  },
  {
    name: "spool-max-bytes",
    type: "integer",
    value: "N",
    help: `disk the spool may use; reading waits when full (default ${D["spool-max-bytes"]})`,
  },
  {
    name: "batch-size",
    type: "integer",
    value: "N",
    help: "items per request, at most 1000 (VECTORVUE_MAX_BATCH_SIZE, default 100)",
  },
  {
    name: "concurrency",
    type: "integer",
    value: "N",
    help: `requests in flight, 1..16 (default ${D.concurrency})`,
  },
  { name: "json", type: "boolean", help: "print the summary at exit as one JSON object" },
  ...CONNECTION_FLAGS,
];

/** The `ship` command. */
export const shipCommand: Command = {
  name: "ship",
  summary: "follow growing NDJSON files or standard input and ship every line exactly once",
  usage: "vectorvue ship --kind events|findings [options] PATH...|-",
  description: [
    "Follows each PATH (a file or a glob, looked for again every second and on SIGHUP) as",
    "`tail -F` does, through rotation by rename and by copy-and-truncate, and sends each line",
    "(one JSON object) as it is written. With -, reads standard input instead.",
    "",
    "A line is taken once it is in the spool in the state directory, with how far its file was",
    "read: after a crash the next shipper on that directory sends what the spool holds and reads",
    "on from there, so no line is skipped or sent twice. Lines that are not JSON objects and",
    "items the server refuses go to the dead-letter file with their file and byte offsets.",
    "",
    "SIGTERM or SIGINT: stop reading, let batches in flight finish within the grace period, keep",
    "the rest in the spool; with -, say exactly how much of standard input was taken, so the",
    "rest can be piped to a new shipper on the same state directory. SIGHUP: rescan the paths.",
    "A full spool stops reading (lines wait in their files); nothing is dropped.",
    "",
    "One JSON log line per change of state on standard error. See docs/shipping.md.",
    "Exit status: 0 stopped or input ended; 1 the spool or the dead-letter file failed;",
    "2 usage or configuration error; 130 a second signal (exit at once, the spool keeps all).",
    "",
    CONNECTION_HELP,
  ].join("\n"),
  flags: FLAGS,
  examples: [
    "vectorvue ship --kind events '/var/log/sensor/*.ndjson'  # follow files (quote globs: new files too)",
    "journalctl -f -o cat | vectorvue ship - --kind events    # ship standard input",
    "vectorvue ship --kind events --metrics-port 9464 app.ndjson  # with /metrics and /healthz",
    "tail -c +1048577 events.ndjson | vectorvue ship - --kind events  # the rest after a stop",
  ],
  run: runShip,
  check: async (args, system) => (await prepareShip(args, system)).problems,
};

/** What a ship run needs, once its arguments are checked; or every problem found. */
interface Prepared {
  readonly problems: readonly string[];
  readonly config: VectorVueConfig;
  readonly settings: ShipSettings;
  readonly stateDir: string;
  readonly deadLetter: string;
}

async function prepareShip(args: ParsedArgs, system: CliSystem): Promise<Prepared> {
  const { settings, problems } = readShipSettings(args.flags);
  const inputs = args.positionals;
  if (inputs.length === 0) {
    problems.push("ship needs what to follow: PATH... (files or globs), or - for standard input");
  } else if (inputs.includes(STDIN_SOURCE) && inputs.length > 1) {
    problems.push("- (standard input) goes alone, without PATHs");
  } else if (inputs[0] === STDIN_SOURCE && (args.flags["from-start"] || args.flags["from-end"])) {
    problems.push("--from-start and --from-end are for files, not standard input");
  }
  const env = system.readEnvironment(["XDG_STATE_HOME", "HOME"]).values;
  const dir = settings.stateDir ?? defaultStateDir(env, settings.kind ?? "events");
  if (dir === undefined) {
    problems.push(
      "no state directory: give --state-dir DIR (neither XDG_STATE_HOME nor HOME is set)",
    );
  }
  const stateDir = system.resolvePath(dir ?? ".");
  const deadLetter = system.resolvePath(settings.deadLetter ?? `${stateDir}/dead-letter.ndjson`);
  let config: VectorVueConfig = {};
  try {
    config = await connectionConfig(args.flags, system, { "batch-size": "maxBatchSize" });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problems.push(...error.problems);
  }
  return { problems, config, settings, stateDir, deadLetter };
}

async function runShip(args: ParsedArgs, system: CliSystem): Promise<number> {
  const { problems, config, settings, stateDir, deadLetter } = await prepareShip(args, system);
  if (problems.length > 0) throw new UsageError(problems);
  const log = new ShipLog((line) => system.stderr(line));
  const health = ShipRun.health(settings.unhealthyAfterMs, log);
  const client = new VectorVueClient({
    ...config,
    hooks: health.hooks(),
    logger: log.clientLogger(),
  });
  try {
    return await new ShipRun(
      system,
      client,
      {
        settings,
        inputs: args.positionals,
        stateDir,
        deadLetter,
        json: args.flags.json === true,
        follower: followerOn(system),
      },
      log,
      health,
    ).run();
  } finally {
    await client.close();
  }
}

/** The follower of a run, on the real file system. */
function followerOn(system: CliSystem): FollowerFactory {
  return (options) => new Follower(system, options);
}
