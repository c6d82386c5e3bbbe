/**
 * The `vectorvue` command line: `deno run -A <url>/cli.ts <command>`, or `vectorvue <command>`
 * from the npm package. This file only dispatches; each command lives in `cli/`.
 *
 * @module
 */
import { emulatorCommand } from "./cli/emulator.ts";
import { runCli } from "./cli/main.ts";
import { qaCommand } from "./cli/qa.ts";
import { sendCommand } from "./cli/send.ts";
import { shipCommand } from "./cli/ship.ts";
import { statusCommand } from "./cli/status.ts";
import { whoamiCommand } from "./cli/whoami.ts";
import { currentSystem } from "./src/platform/command_line.ts";

const COMMANDS = [
  sendCommand,
  shipCommand,
  statusCommand,
  whoamiCommand,
  qaCommand,
  emulatorCommand,
];

const system = currentSystem();
runCli(system.args, system, COMMANDS).then(
  async (code) => {
    await system.stdout("");
    system.exit(code);
  },
  (error) => {
    system.stderr(`vectorvue: ${error instanceof Error ? error.stack : error}\n`);
    system.exit(1);
  },
);
