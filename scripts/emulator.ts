// `deno task emulator`: `vectorvue emulator` (cli/emulator.ts) with the committed test
// certificate (tests/fixtures), so the CA path it prints stays the same from run to run.
// Options: see `deno task emulator --help`.
import { fileURLToPath } from "node:url";
import { runCli } from "../cli/main.ts";
import { emulatorCommand } from "../cli/emulator.ts";
import { currentSystem } from "../src/platform/command_line.ts";

const fixture = (name: string) =>
  fileURLToPath(new URL(`../tests/fixtures/${name}`, import.meta.url));
const system = currentSystem();
const own = system.args.some((arg) =>
  arg === "--cert" || arg.startsWith("--cert=") || arg === "--ca-out"
);
const certificate = own ? [] : [
  "--cert",
  fixture("server.pem"),
  "--key",
  fixture("server-key.pem"),
  "--ca",
  fixture("ca.pem"),
];
const code = await runCli(["emulator", ...certificate, ...system.args], system, [emulatorCommand]);
await system.stdout("");
Deno.exit(code);
