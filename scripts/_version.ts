/**
 * The version a build is released as, written into the one place the code carries it
 * (`VERSION` in `src/user_agent.ts`, which the `User-Agent` names), so `package.json`, the
 * `User-Agent` and the tests agree whatever version `deno task build:npm <version>` is given.
 *
 * @module
 */

/** The module whose `VERSION` constant the build rewrites, relative to the repository. */
export const VERSION_MODULE = "src/user_agent.ts";

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const DECLARATION = /^export const VERSION = "[^"\n]*";$/gm;

/** Why `version` cannot be released, or `undefined` when it can. */
export function versionProblem(version: string): string | undefined {
  return SEMVER.test(version) ? undefined : `'${version}' is not a semver version`;
}

/**
 * The source of `VERSION_MODULE` with its `VERSION` constant set to `version`. Throws when the
 * declaration is not there exactly once, so a refactoring of that module cannot quietly leave the
 * built package naming another version than its `package.json`.
 */
export function stampVersion(source: string, version: string): string {
  const problem = versionProblem(version);
  if (problem !== undefined) throw new Error(problem);
  const found = source.match(DECLARATION)?.length ?? 0;
  if (found !== 1) {
    throw new Error(
      `${VERSION_MODULE} must declare \`export const VERSION = "…";\` exactly once, found ${found}`,
    );
  }
  return source.replace(DECLARATION, `export const VERSION = ${JSON.stringify(version)};`);
}
