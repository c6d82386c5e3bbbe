/**
 * The command line's words for the library's options: a problem the client reports about
 * `maxBatchSize` is about `--batch-size` or `VECTORVUE_MAX_BATCH_SIZE`, whichever the user set.
 * The library's messages stay the library's (they speak to code); this layer translates them.
 *
 * @module
 */
import type { VectorVueConfig } from "../mod.ts";
import { VECTORVUE_OPTIONS } from "./_library_internals.ts";

/** A client option. */
export type Option = keyof VectorVueConfig;

/** Where each option's value came from: `--base-url` or `VECTORVUE_BASE_URL`. */
export type Sources = ReadonlyMap<Option, string>;

/** The flag that sets an option, as the help shows it. */
const FLAGS: Partial<Record<Option, string>> = {
  baseUrl: "--base-url URL",
  username: "--username NAME",
  tenantId: "--tenant-id ID",
  password: "--password-file FILE",
  token: "--token-file FILE",
  signatureSecret: "--signature-secret-file FILE",
  responseSigningKey: "--response-signing-key-file FILE",
  timeoutMs: "--timeout-seconds S",
  caCerts: "--ca-cert FILE",
};

const VARIABLES: Partial<Record<Option, string>> = Object.fromEntries(
  VECTORVUE_OPTIONS.flatMap((row) => row.env === undefined ? [] : [[row.name, row.env]]),
);

/** How to set an option: `VECTORVUE_BASE_URL (or --base-url URL)`. */
export function whereToSet(option: Option): string {
  const variable = VARIABLES[option];
  const flag = FLAGS[option];
  if (variable === undefined) return flag ?? option;
  return flag === undefined ? variable : `${variable} (or ${flag})`;
}

/** What the user set for an option: the flag or variable it came from, else how to set it. */
function nameOf(option: Option, sources: Sources): string {
  return sources.get(option) ?? VARIABLES[option] ?? FLAGS[option]?.split(" ")[0] ?? option;
}

/** Library sentences the command line says its own way. */
const REWRITES: ReadonlyArray<
  readonly [RegExp, (match: RegExpExecArray, sources: Sources) => string]
> = [
  [
    /^baseUrl must use https \(got ([^)]*)\); set requireHttps: false .*$/,
    (m, s) =>
      `${nameOf("baseUrl", s)} must be an https:// URL (got ${m[1]}); for a trusted test ` +
      "server on your own machine only, VECTORVUE_REQUIRE_HTTPS=false allows http://",
  ],
  [
    /^baseUrl must not carry credentials.*$/,
    (_, s) =>
      `${nameOf("baseUrl", s)} must not carry credentials: give them as ${
        whereToSet("username")
      } with ${whereToSet("password")}, or ${whereToSet("token")}`,
  ],
  [
    /^verifyTls: false is not available in Deno.*$/,
    () =>
      "VECTORVUE_VERIFY_TLS=false is not available in Deno, which cannot switch certificate " +
      `checks off for one client: trust the server's CA with ${whereToSet("caCerts")}, ` +
      "or run Deno with --unsafely-ignore-certificate-errors=<host>",
  ],
  [
    /^http2: true is not available in (\w+).*$/,
    (m) => `VECTORVUE_HTTP2=true is not available in ${m[1]}, whose fetch speaks HTTP/1.1 only`,
  ],
  [
    /^token: (.*)$/,
    (m, s) => `${nameOf("token", s)}: ${m[1]}`,
  ],
  [
    /^caCerts\/tls could not be loaded: (.*)$/,
    (m, s) => `the CA certificate (${nameOf("caCerts", s)}) could not be loaded: ${m[1]}`,
  ],
];

// Longest first, so that `maxBackoffMs` is not taken for `backoffMs`.
const OPTION_NAMES = VECTORVUE_OPTIONS.map((row) => row.name as string)
  .sort((a, b) => b.length - a.length);
// Only names no English sentence would use (camelCase): "token" or "proxy" stay words.
const CAMEL = new RegExp(`\\b(${OPTION_NAMES.filter((n) => /[A-Z]/.test(n)).join("|")})\\b`, "g");

/**
 * A library problem in the command line's words: every option named by the flag or variable
 * that set it (or that would set it).
 */
export function inCliWords(problem: string, sources: Sources): string {
  for (const [pattern, rewrite] of REWRITES) {
    const match = pattern.exec(problem);
    if (match) return rewrite(match, sources);
  }
  // `maxBatchSize must be at most 1000` → `--batch-size must be at most 1000`.
  const leading = /^(\w+)(?=[ :])/.exec(problem)?.[1];
  let text = problem;
  if (leading !== undefined && OPTION_NAMES.includes(leading)) {
    text = nameOf(leading as Option, sources) + text.slice(leading.length);
  }
  return text.replace(CAMEL, (name) => nameOf(name as Option, sources));
}
