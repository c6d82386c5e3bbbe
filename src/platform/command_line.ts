// The command line's capability as `cli/` imports it. Nothing outside `src/platform/` imports a
// runtime's file: this one takes `command_line_deno.ts` (the npm build swaps in
// `command_line_node.ts`) and checks it against the one interface, so neither twin can drift.
import type {
  AppendFile,
  CliSystem,
  CommandLinePlatform,
  EnvironmentRead,
  FileStat,
  ReadHandle,
  SignalName,
} from "./command_line_common.ts";
import * as current from "./command_line_deno.ts";

export type {
  AppendFile,
  CliSystem,
  CommandLinePlatform,
  EnvironmentRead,
  FileStat,
  ReadHandle,
  SignalName,
};

const platform: CommandLinePlatform = current;

/** The running process, through the runtime's own API. */
export const currentSystem: CommandLinePlatform["currentSystem"] = platform.currentSystem;
