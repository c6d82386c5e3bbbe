// No import cycle in src/: every module's relative imports (type-only ones too, and re-exports)
// are walked, and any loop found is named file by file. A cycle makes load order matter and
// keeps two modules from being read, tested or moved apart.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");

/** Every `.ts` file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The files a module imports or re-exports from, by relative specifier. */
export function importsOf(path: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+["'](\.[^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s+["'](\.[^"']+)["']/gm),
  ].map((match) => match[1]);
  return specifiers.map((specifier) => resolve(dirname(path), specifier));
}

/** Every cycle among `graph`'s nodes, each as the files on it, the first repeated at the end. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

test("cyclesOf() finds a loop, a self-import and a longer ring, and nothing in a tree", () => {
  assert.deepEqual(cyclesOf(new Map([["a", ["b"]], ["b", ["a"]]])), [["a", "b", "a"]]);
  assert.deepEqual(cyclesOf(new Map([["a", ["a"]]])), [["a", "a"]]);
  assert.deepEqual(
    cyclesOf(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]])),
    [["a", "b", "c", "a"]],
  );
  assert.deepEqual(cyclesOf(new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]])), []);
});

test("importsOf() reads imports, type imports, re-exports and multi-line import lists", () => {
  const text = [
    'import { a } from "./a.ts";',
    'import type { B } from "../b.ts";',
    "import {",
    "  c,",
    "  type D,",
    '} from "./c.ts";',
    'export { e } from "./e.ts";',
    'export type { F } from "./f.ts";',
    'import "./side.ts";',
    'import assert from "node:assert/strict";',
    "export const g = 1;",
  ].join("\n");
  assert.deepEqual(
    importsOf("/x/src/m.ts", text).map((path) => relative("/x", path)),
    ["src/a.ts", "b.ts", "src/c.ts", "src/e.ts", "src/f.ts", "src/side.ts"],
  );
});

test("src/ has no import cycle (type-only imports included)", {
  // The npm build's tests run beside the built package, without src/.
  skip: typeof Deno === "undefined" && "Deno only: reads src/",
}, () => {
  const graph = new Map<string, string[]>();
  for (const path of sources(SRC)) graph.set(path, importsOf(path, readFileSync(path, "utf8")));
  const cycles = cyclesOf(graph).map((cycle) =>
    cycle.map((path) => relative(ROOT, path)).join(" -> ")
  );
  assert.deepEqual(cycles, [], `import cycles in src/:\n${cycles.join("\n")}`);
});
