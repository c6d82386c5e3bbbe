/**
 * The `vectorvue` command line: finds the subcommand, parses its flags, prints help, and turns
 * mistakes into exit status 2 with every problem listed.
 *
 * @module
 */
import { ArgumentsError, didYouMean, parseArgs, type ParsedArgs, UsageError } from "./args.ts";
import { type Command, EXIT, HELP_FLAG, helpText } from "./command.ts";
import { describeError } from "./errors.ts";
import { inCliWords } from "./words.ts";
import type { CliSystem } from "../src/platform/command_line.ts";

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
  const usage = (problems: readonly string[]) => {
    system.stderr(
      // In the command line's words whatever reported it (a library problem passed on as is).
      problems.map((problem) => `vectorvue ${command.name}: ${inCliWords(problem, new Map())}\n`)
        .join("") +
        `Run \`vectorvue ${command.name} --help\` for usage.\n`,
    );
    return EXIT.usage;
  };
  let verbose = false;
  try {
    const args = parseArgs(rest, [...command.flags, HELP_FLAG]);
    verbose = args.flags.verbose === true;
    if (args.flags.help) {
      await system.stdout(helpText(command));
      return EXIT.ok;
    }
    return await command.run(args, system);
  } catch (error) {
    if (error instanceof ArgumentsError) {
      // The rest of what is wrong, in the same pass: nothing runs with a broken command line.
      return usage([...error.problems, ...await checkOf(command, error.parsed, system)]);
    }
    if (error instanceof UsageError) return usage(error.problems);
    system.stderr(`vectorvue ${command.name}: ${describeError(error, verbose)}\n`);
    return EXIT.failed;
  }
}

/** The command's own problems with what could be parsed; none when it has no check. */
async function checkOf(
  command: Command,
  args: ParsedArgs,
  system: CliSystem,
): Promise<readonly string[]> {
  if (command.check === undefined || args.flags.help) return [];
  try {
    return await command.check(args, system);
  } catch (error) {
    if (error instanceof UsageError) return error.problems;
    throw error;
  }
}
