/**
 * What a subcommand is (name, flags, help, how it runs) and how its help text reads.
 *
 * @module
 */
import type { FlagSpec, ParsedArgs } from "./args.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

/** Exit statuses, the same for every command. */
export const EXIT = Object.freeze({
  /** Everything succeeded. */
  ok: 0,
  /** Some items were rejected or not delivered, or a check failed. */
  failed: 1,
  /** Usage or configuration error: nothing was sent. */
  usage: 2,
  /** Interrupted (Ctrl+C). */
  interrupted: 130,
});

/** A `vectorvue` subcommand. */
export interface Command {
  readonly name: string;
  /** One line, for the command list. */
  readonly summary: string;
  /** `vectorvue send FILE|- --kind events|findings [options]` */
  readonly usage: string;
  /** Paragraphs after the usage line. */
  readonly description: string;
  readonly flags: readonly FlagSpec[];
  /** Shell lines, each with a comment saying what it does. */
  readonly examples: readonly string[];
  /** Runs the command; resolves to the exit status. */
  run(args: ParsedArgs, system: CliSystem): Promise<number>;
  /**
   * The command's own problems with `args` (files, environment, values), found without
   * running anything: when the command line itself has mistakes, these are reported with them,
   * so that one attempt shows every problem.
   */
  check?(args: ParsedArgs, system: CliSystem): Promise<readonly string[]>;
}

/** The flag every command has. */
export const HELP_FLAG: FlagSpec = {
  name: "help",
  short: "h",
  type: "boolean",
  help: "show this help",
};

/** A command's `--help` text. */
export function helpText(command: Command): string {
  const flags = [...command.flags, HELP_FLAG];
  const label = (flag: FlagSpec) =>
    `${flag.short ? `-${flag.short}, ` : "    "}--${flag.name}${
      flag.value ? ` ${flag.value}` : ""
    }`;
  const width = Math.max(...flags.map((flag) => label(flag).length));
  return [
    `usage: ${command.usage}`,
    "",
    command.description,
    "",
    "options:",
    ...flags.map((flag) => `  ${label(flag).padEnd(width)}  ${flag.help}`),
    "",
    "examples:",
    ...command.examples.map((line) => `  ${line}`),
    "",
  ].join("\n");
}
