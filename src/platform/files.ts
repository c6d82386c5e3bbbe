// The files capability as the rest of the code imports it. Nothing outside `src/platform/`
// imports a runtime's file: this one takes `files_deno.ts` (the npm build swaps in
// `files_node.ts`) and checks it against the one interface, so neither twin can drift from it.
import type { AppendFile, FilesPlatform, HostIdentity, SpoolFs } from "./files_common.ts";
import * as current from "./files_deno.ts";

export type { AppendFile, FilesPlatform, HostIdentity, SpoolFs };

const platform: FilesPlatform = current;

/** The real file system, as the spool uses it. */
export const spoolFs: SpoolFs = platform.spoolFs;

/** Reads a UTF-8 text file synchronously (used for PEM paths from the environment). */
export const readTextFile: FilesPlatform["readTextFile"] = platform.readTextFile;
