/**
 * The paths a follower watches: literal paths, and globs expanded segment by segment. In any
 * segment, `*` matches any run of characters but `/`, `?` one character, `[abc]`, `[a-z]` one of
 * a set and `[!abc]` (or `[^abc]`) one outside it; `\` takes the next character literally. A
 * segment that does not start with `.` does not match names starting with `.` (as a shell).
 * There is no `**` and no `{a,b}`: give several patterns instead.
 *
 * @module
 */
import type { CliSystem } from "../src/platform/command_line.ts";

/**
 * Whether a path segment has glob characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasGlob } from "./follow_glob.ts";
 * assert.equal(hasGlob("app-*.log"), true);
 * assert.equal(hasGlob("app.log"), false);
 * ```
 */
export function hasGlob(segment: string): boolean {
  return /[*?[\\]/.test(segment);
}

/**
 * The regular expression one glob segment stands for.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { segmentPattern } from "./follow_glob.ts";
 * assert.equal(segmentPattern("app-[0-9].log").test("app-7.log"), true);
 * assert.equal(segmentPattern("*.log").test(".hidden.log"), false);
 * assert.equal(segmentPattern("a\\*").test("a*"), true);
 * ```
 */
export function segmentPattern(segment: string): RegExp {
  let source = "";
  for (let at = 0; at < segment.length; at++) {
    const char = segment[at];
    if (char === "\\" && at + 1 < segment.length) {
      source += escape(segment[++at]);
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "[") {
      const close = segment.indexOf("]", at + 2);
      if (close < 0) {
        source += "\\[";
        continue;
      }
      let body = segment.slice(at + 1, close);
      const negated = body.startsWith("!") || body.startsWith("^");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replace(/[\\\]^]/g, "\\$&")}]`;
      at = close;
    } else {
      source += escape(char);
    }
  }
  const hidden = segment.startsWith(".") ? "" : "(?!\\.)";
  return new RegExp(`^${hidden}${source}$`, "u");
}

function escape(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** A segment with its escapes taken out (a literal name). */
function literal(segment: string): string {
  return segment.replace(/\\(.)/g, "$1");
}

/**
 * The paths `pattern` names now, absolute and sorted: itself when it has no glob (whether it
 * exists or not, so that a file created later is found), else the existing matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandPattern } from "./follow_glob.ts";
 * const system = {
 *   resolvePath: (path: string) => path,
 *   readDirectory: (path: string) =>
 *     Promise.resolve(path === "/logs" ? ["a.log", "b.txt", "c.log"] : undefined),
 * };
 * assert.deepEqual(await expandPattern(system, "/logs/*.log"), ["/logs/a.log", "/logs/c.log"]);
 * ```
 */
export async function expandPattern(
  system: Pick<CliSystem, "resolvePath" | "readDirectory">,
  pattern: string,
): Promise<string[]> {
  const absolute = system.resolvePath(pattern);
  const segments = absolute.split("/").filter((segment) => segment !== "");
  if (!segments.some(hasGlob)) return [absolute];
  let bases = [""];
  for (const segment of segments) {
    if (!hasGlob(segment)) {
      bases = bases.map((base) => `${base}/${literal(segment)}`);
      continue;
    }
    const matcher = segmentPattern(segment);
    const next: string[] = [];
    for (const base of bases) {
      const names = await system.readDirectory(base === "" ? "/" : base);
      for (const name of names ?? []) if (matcher.test(name)) next.push(`${base}/${name}`);
    }
    bases = next;
  }
  return bases.sort();
}
