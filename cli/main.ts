/**
 * The `vectorvue` command line: finds the subcommand, parses its flags, prints help, and turns
 * mistakes into exit status 2 with every problem listed.
 *
 * @module
 */
import { didYouMean, parseArgs, UsageError } from "./args.ts";
import { type Command, EXIT, HELP_FLAG, helpText } from "./command.ts";
import { describeError } from "./errors.ts";
import type { CliSystem } from "./_system_common.ts";

/** The package version, printed by `--version`. */
export const VERSION = "0.1.0";

function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    "usage: vectorvue COMMAND [options]",
    "",
    "Ships SpectraStrike telemetry and findings into VectorVue.",
    "",
    "commands:",
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Run `vectorvue COMMAND --help` for a command's options and examples.",
    "Exit status: 0 success; 1 items rejected or not delivered, or a check failed;",
    "2 usage or configuration error; 130 interrupted.",
    "",
  ].join("\n");
}

/** Runs one command line; resolves to the exit status. */
export async function runCli(
  argv: readonly string[],
  system: CliSystem,
  commands: readonly Command[],
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help"
      ? commands.find((command) => command.name === rest[0])
      : undefined;
    await system.stdout(topic ? helpText(topic) : overview(commands));
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-V") {
    await system.stdout(`vectorvue ${VERSION}\n`);
    return EXIT.ok;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    const guess = didYouMean(name, commands.map((candidate) => candidate.name));
    system.stderr(
      `vectorvue: unknown command "${name}"${guess ? ` (did you mean ${guess}?)` : ""}\n` +
        "Run `vectorvue --help` for the list of commands.\n",
    );
    return EXIT.usage;
  }
  try {
    const args = parseArgs(rest, [...command.flags, HELP_FLAG]);
    if (args.flags.help) {
      await system.stdout(helpText(command));
      return EXIT.ok;
    }
    return await command.run(args, system);
  } catch (error) {
    if (error instanceof UsageError) {
      system.stderr(
        error.problems.map((problem) => `vectorvue ${command.name}: ${problem}\n`).join("") +
          `Run \`vectorvue ${command.name} --help\` for usage.\n`,
      );
      return EXIT.usage;
    }
    system.stderr(`vectorvue ${command.name}: ${describeError(error)}\n`);
    return EXIT.failed;
  }
}
