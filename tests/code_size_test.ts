// The house's size limits (issue 20): no file in `src/` or `cli/` over 400 lines, and no function
// or method over 80 lines of its own, a nested function counted apart (its lines are taken out of
// the function around it). A file or function that grows past them fails here, named, so that it
// is split along its concepts instead of growing on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";

const MAX_FILE_LINES = 400;
const MAX_FUNCTION_LINES = 80;

const root = new URL("../", import.meta.url);
const onSource = typeof Deno !== "undefined";
const skip = !onSource && "the sources are not beside the built tests";

/** Repository-relative paths of the `.ts` files under `dir`. */
function walk(dir: string): string[] {
  return readdirSync(new URL(dir, root)).flatMap((name) => {
    const path = `${dir}${name}`;
    if (statSync(new URL(path, root)).isDirectory()) return walk(`${path}/`);
    return path.endsWith(".ts") && !path.endsWith(".d.ts") ? [path] : [];
  });
}

const FILES = onSource ? [...walk("src/"), ...walk("cli/")] : [];

test("no file in src/ or cli/ is over 400 lines", { skip }, () => {
  const over = FILES.map((path) => ({
    path,
    lines: readFileSync(new URL(path, root), "utf8").split("\n").length - 1,
  })).filter(({ lines }) => lines > MAX_FILE_LINES);
  assert.deepEqual(over, []);
});

test("no function or method in src/ or cli/ is over 80 lines of its own", { skip }, async () => {
  // The compiler the npm build pins (deno.lock); named through a variable so that the build's own
  // compile of this test does not try to resolve it.
  const specifier = "npm:typescript@5.9.3";
  const ts = (await import(specifier)).default as typeof import("npm:typescript@5.9.3");
  const over: string[] = [];
  for (const path of FILES) {
    const text = readFileSync(new URL(path, root), "utf8");
    const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
    const lineOf = (position: number) => source.getLineAndCharacterOfPosition(position).line;
    const span = (node: import("npm:typescript@5.9.3").Node) =>
      lineOf(node.getEnd()) - lineOf(node.getStart(source)) + 1;
    const isFunction = (node: import("npm:typescript@5.9.3").Node) =>
      ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) ||
      ts.isFunctionExpression(node) || ts.isArrowFunction(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node);
    /** Lines of the functions nested directly in `node` (not deeper: those count for them). */
    const nestedLines = (node: import("npm:typescript@5.9.3").Node): number => {
      let lines = 0;
      node.forEachChild((child) => {
        lines += isFunction(child) ? span(child) : nestedLines(child);
      });
      return lines;
    };
    const visit = (node: import("npm:typescript@5.9.3").Node) => {
      if (isFunction(node)) {
        const own = span(node) - nestedLines(node.body ?? node);
        if (own > MAX_FUNCTION_LINES) {
          const name = (node as { name?: { getText(): string } }).name?.getText() ?? "(anonymous)";
          over.push(`${path}:${lineOf(node.getStart(source)) + 1} ${name}: ${own} lines`);
        }
      }
      node.forEachChild(visit);
    };
    visit(source);
  }
  assert.deepEqual(over, []);
});
