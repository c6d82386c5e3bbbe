// The platform seam's shape (decision 75): every runtime-specific file is in `src/platform/`, and
// other code reaches a runtime only through a capability's entry (`src/platform/<name>.ts`), never
// through a runtime's file, `Deno.*` or a `node:` module. A new `Deno.*` call in `src/delivery/`,
// or an import of `network_deno.ts` from `src/client.ts`, fails here rather than only in the npm
// build's Node run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { posix } from "node:path";

const root = new URL("../../", import.meta.url);
const onSource = typeof Deno !== "undefined";
const skip = !onSource && "the sources are not beside the built tests";

/** Repository-relative paths of the `.ts` files under `dir`. */
function walk(dir: string): string[] {
  return readdirSync(new URL(dir, root)).flatMap((name) => {
    const path = `${dir}${name}`;
    if (statSync(new URL(path, root)).isDirectory()) return walk(`${path}/`);
    return path.endsWith(".ts") ? [path] : [];
  });
}

const PLATFORM = "src/platform/";
const isRuntimeFile = (path: string) => /_(deno|node|bun|node_api)\.ts$/.test(path);
/** A capability's entry: `src/platform/<name>.ts` beside its `<name>_common.ts`. */
const isEntry = (path: string) =>
  path.startsWith(PLATFORM) && existsSync(new URL(path.replace(/\.ts$/, "_common.ts"), root));

/** The relative module specifiers a file imports or re-exports, resolved from the root. */
function importsOf(path: string): string[] {
  const text = readFileSync(new URL(path, root), "utf8");
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)];
  return specifiers.map(([, specifier]) => posix.join(posix.dirname(path), specifier));
}

/** The file's code, without comments (so that prose and JSDoc examples may name `Deno.*`). */
function codeOf(path: string): string {
  return readFileSync(new URL(path, root), "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .filter((line) => !line.trimStart().startsWith("//"))
    .join("\n");
}

const sources = () => [...walk("src/"), ...walk("cli/"), "cli.ts", "mod.ts"];
const everything = () => [...sources(), ...walk("scripts/"), ...walk("tests/")];

test("every runtime-specific file of src/ and cli/ is in src/platform/", { skip }, () => {
  const outside = sources().filter((path) => isRuntimeFile(path) && !path.startsWith(PLATFORM));
  assert.deepEqual(outside, []);
});

test("outside src/platform/, code imports a capability's entry, never a runtime's file", {
  skip,
}, () => {
  const wrong = everything()
    .filter((path) => !path.startsWith(PLATFORM))
    .flatMap((path) =>
      importsOf(path)
        .filter((target) => target.startsWith(PLATFORM) && !isEntry(target))
        .map((target) => `${path} imports ${target}`)
    );
  assert.deepEqual(wrong, []);
});

test("each capability has its interface, its entry and a Node twin for its Deno file", {
  skip,
}, () => {
  const files = walk(PLATFORM);
  const capabilities = files.filter((path) => path.endsWith("_common.ts"))
    .map((path) => path.slice(PLATFORM.length, -"_common.ts".length)).sort();
  assert.deepEqual(capabilities, ["command_line", "files", "network", "process", "serving"]);
  for (const name of capabilities) {
    for (const file of [`${name}.ts`, `${name}_deno.ts`, `${name}_node.ts`]) {
      assert.ok(files.includes(`${PLATFORM}${file}`), `${file} is missing`);
    }
    // The entry checks the runtime's file against the interface.
    assert.match(codeOf(`${PLATFORM}${name}.ts`), new RegExp(`from "\\./${name}_deno\\.ts"`));
  }
});

test("outside src/platform/, library and command-line code calls no Deno.* and no node: module", {
  skip,
}, () => {
  const wrong = sources()
    .filter((path) => !path.startsWith(PLATFORM))
    .flatMap((path) => {
      const code = codeOf(path);
      const found = [
        ...code.matchAll(/\bDeno\.(?!customInspect)[A-Za-z_]\w*/g),
        ...code.matchAll(/from\s+"(node:[^"]+)"/g),
      ];
      return found.map((match) => `${path}: ${match[1] ?? match[0]}`);
    });
  assert.deepEqual(wrong, []);
});
