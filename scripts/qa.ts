// `deno task qa`: the `vectorvue qa` command (cli/qa.ts), kept here for the task and old links.
import { runCli } from "../cli/main.ts";
import { qaCommand } from "../cli/qa.ts";
import { currentSystem } from "../src/platform/command_line.ts";

const system = currentSystem();
const code = await runCli(["qa", ...system.args], system, [qaCommand]);
await system.stdout("");
Deno.exit(code);
