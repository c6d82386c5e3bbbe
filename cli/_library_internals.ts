// The library internals the command line uses, in one place so the dependency is visible
// (decision 78). They are not public API: the CLI ships in the same package at the same
// version, so it may use them, while users of the library cannot and are not promised them.
// Everything else the CLI takes from the library comes through `mod.ts`, as a user's code would.
export { didYouMean } from "../src/did_you_mean.ts";
export { readJwtClaims } from "../src/jwt.ts";
export { VECTORVUE_OPTIONS } from "../src/options.ts";
// The option tables behind the flags that set a library option (`--concurrency`, the emulator's
// `--port`), so a flag takes its default and its check from the option it sets.
export { BATCHER_OPTIONS, BULK_OPTIONS, DEFAULT_SPOOL_MAX_BYTES } from "../src/option_tables.ts";
export {
  defaultsOf,
  FLAG_VOICE,
  flagProblem,
  type OptionRow,
  readOptions,
  show,
  type Voice,
} from "../src/option_rules.ts";
export { EMULATOR_OPTIONS } from "../src/testing/_options.ts";
export { SERVE_OPTIONS } from "../src/testing/_serve_options.ts";
