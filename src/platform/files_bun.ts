// Bun side of the files capability: `files_deno.ts` (the source, run by Bun) and `files_node.ts`
// (the npm build, run by Bun) hand over to it when `Bun` exists.
import { bunProcess } from "./process_bun.ts";

/** Reads a UTF-8 text file synchronously (used for PEM paths from the environment). */
export function readTextFile(path: string): string {
  return bunProcess().getBuiltinModule("node:fs").readFileSync(path, "utf8");
}
