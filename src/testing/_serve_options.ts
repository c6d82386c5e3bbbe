// The options of `VectorVueEmulator.serve()`, read through the one options mechanism
// (`option_rules.ts`) in the emulator's voice; their defaults live here and nowhere else (a test
// compares them with `ServeOptions`' `@default` tags).
import { defaultsOf, type OptionRow, readOptions } from "../option_rules.ts";
import { EMULATOR_VOICE } from "./_options.ts";

/** Highest TCP port. */
const MAX_PORT = 65_535;

/** `ServeOptions`, row for row. */
export const SERVE_OPTIONS: readonly OptionRow[] = Object.freeze([
  { name: "hostname", rule: "text", default: "127.0.0.1" },
  {
    name: "port",
    rule: "integer",
    min: 0,
    max: MAX_PORT,
    words: `an integer from 0 to ${MAX_PORT}`,
    default: 0,
  },
  { name: "cert", rule: "text", words: "a PEM string", required: true },
  { name: "key", rule: "text", words: "a PEM string", required: true },
  { name: "http2", rule: "boolean" },
]);

/** The defaults of `serve()`, from the table. */
export const SERVE_DEFAULTS = defaultsOf(SERVE_OPTIONS) as {
  readonly hostname: string;
  readonly port: number;
};

/** What `serve()` reads: every value, defaults applied. */
export interface ServeSettings {
  readonly hostname: string;
  readonly port: number;
  readonly cert: string;
  readonly key: string;
  readonly http2: boolean | undefined;
}

/** `serve()`'s options, defaults applied; throws one `TypeError` listing every problem. */
export function serveSettings(options: unknown): ServeSettings {
  if (options === null || typeof options !== "object") {
    throw new TypeError(
      "Cannot serve the VectorVue emulator: options must be an object { cert, key, hostname?, port?, http2? }",
    );
  }
  const { values, problems } = readOptions(options, SERVE_OPTIONS, EMULATOR_VOICE);
  if (problems.length > 0) {
    throw new TypeError(`Cannot serve the VectorVue emulator: ${problems.join("; ")}`);
  }
  return values as unknown as ServeSettings;
}
