// The npm build's guard that deno.json and package.json export the same entry points.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { exportsProblems, type PackageExports } from "../scripts/_exports_check.ts";

const DENO_EXPORTS = { ".": "./mod.ts", "./testing": "./src/testing/mod.ts" };

function entry(source: string) {
  const base = source.replace(/\.ts$/, "");
  return {
    import: { types: `./esm/${base}.d.ts`, default: `./esm/${base}.js` },
    require: { types: `./script/${base}.d.ts`, default: `./script/${base}.js` },
  };
}

const AGREEING: PackageExports = {
  exports: { ".": entry("mod.ts"), "./testing": entry("src/testing/mod.ts") },
  main: "./script/mod.js",
  module: "./esm/mod.js",
  types: "./script/mod.d.ts",
};
const everything = () => Promise.resolve(true);

describe("exportsProblems()", () => {
  test("finds nothing when package.json mirrors deno.json and every file was emitted", async () => {
    assert.deepEqual(await exportsProblems(DENO_EXPORTS, AGREEING, everything), []);
  });

  test("reports an entry point that only one side has", async () => {
    const problems = await exportsProblems(
      { ...DENO_EXPORTS, "./extra": "./src/extra.ts" },
      AGREEING,
      everything,
    );
    assert.deepEqual(problems, [
      "entry points differ: deno.json has ., ./extra, ./testing; package.json has ., ./testing",
    ]);
  });

  test("reports a condition that points at the build of another module", async () => {
    const pkg = {
      ...AGREEING,
      exports: { ...AGREEING.exports, "./testing": entry("src/testing/emulator.ts") },
    };
    const problems = await exportsProblems(DENO_EXPORTS, pkg, everything);
    assert.equal(problems.length, 4);
    assert.match(
      problems[0],
      /exports\["\.\/testing"\]\.import\.types is .*emulator\.d\.ts, but deno\.json's \.\/src\/testing\/mod\.ts builds to \.\/esm\/src\/testing\/mod\.d\.ts/,
    );
  });

  test("reports a target that was not emitted", async () => {
    const problems = await exportsProblems(
      DENO_EXPORTS,
      AGREEING,
      (path) => Promise.resolve(path !== "./script/mod.js"),
    );
    assert.deepEqual(problems, ['exports["."].require.default: ./script/mod.js was not emitted']);
  });

  test("reports main/module/types that disagree with the root export", async () => {
    const problems = await exportsProblems(
      DENO_EXPORTS,
      { ...AGREEING, main: "./esm/mod.js" },
      everything,
    );
    assert.deepEqual(problems, ['main/module/types do not match exports["."]']);
  });
});
