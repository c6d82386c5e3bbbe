// Every `ts` example of docs/durability.md, type-checked and run under Deno (as the README's are
// by readme_examples_test.ts). They use the in-memory emulator and a temporary directory.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ON_DENO = typeof Deno !== "undefined";
const PAGE = "docs/durability.md";

function examples(markdown: string): { line: number; code: string }[] {
  const found: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ts\s*$/.test(lines[i])) continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `${PAGE}:${i + 1}: unclosed code block`);
    found.push({ line: i + 1, code: lines.slice(i + 1, end).join("\n") });
    i = end;
  }
  return found;
}

const run = (file: string, args: string[]) =>
  new Promise<{ code: number; output: string }>((resolve) => {
    execFile(file, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });

describe(PAGE, () => {
  test(
    "every Deno example type-checks and runs",
    { skip: !ON_DENO && "Deno examples" },
    async () => {
      const found = examples(readFileSync(new URL(`../${PAGE}`, import.meta.url), "utf8"));
      assert.ok(found.length >= 1);
      const mod = new URL("../mod.ts", import.meta.url).href;
      const testing = new URL("../src/testing/mod.ts", import.meta.url).href;
      const dir = mkdtempSync(join(tmpdir(), "vv-docs-"));
      try {
        for (const { line, code } of found) {
          const file = join(dir, `durability_${line}.ts`);
          writeFileSync(
            file,
            code.replaceAll('"@spectrastrike/vectorvue-client/testing"', `"${testing}"`)
              .replaceAll('"@spectrastrike/vectorvue-client"', `"${mod}"`),
          );
          const checked = await run(Deno.execPath(), ["check", "--quiet", file]);
          assert.equal(checked.code, 0, `${PAGE}:${line} does not type-check:\n${checked.output}`);
          const ran = await run(Deno.execPath(), ["run", "--quiet", "--allow-all", file]);
          assert.equal(ran.code, 0, `${PAGE}:${line} failed:\n${ran.output}`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
