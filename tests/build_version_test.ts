// `deno task build:npm <version>` writes the version into the built `VERSION`, so package.json,
// the User-Agent and the tests agree (the release path once failed its own tests on this).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stampVersion, VERSION_MODULE, versionProblem } from "../scripts/_version.ts";

const SOURCE = `/** doc */\nexport const VERSION = "0.1.0";\n\nexport const OTHER = "0.1.0";\n`;

test("stampVersion() sets VERSION to the version being built and nothing else", () => {
  const stamped = stampVersion(SOURCE, "0.0.0-rc.1");
  assert.equal(stamped, SOURCE.replace('VERSION = "0.1.0"', 'VERSION = "0.0.0-rc.1"'));
  assert.match(stamped, /OTHER = "0\.1\.0"/);
});

test("stampVersion() works on the real module the User-Agent reads", {
  skip: typeof Deno === "undefined" && "the sources are not beside the built tests",
}, () => {
  const source = readFileSync(new URL(`../${VERSION_MODULE}`, import.meta.url), "utf8");
  assert.match(stampVersion(source, "1.2.3"), /^export const VERSION = "1\.2\.3";$/m);
});

test("stampVersion() refuses a module without exactly one VERSION declaration", () => {
  assert.throws(
    () => stampVersion("export const VERSION_NUMBER = 1;\n", "1.2.3"),
    /must declare `export const VERSION = "…";` exactly once, found 0/,
  );
  assert.throws(() => stampVersion(SOURCE + SOURCE, "1.2.3"), /exactly once, found 2/);
});

test("stampVersion() refuses a version that is not semver, naming it", () => {
  assert.throws(() => stampVersion(SOURCE, "v1.2"), /'v1\.2' is not a semver version/);
  assert.throws(() => stampVersion(SOURCE, '1.2.3";evil("'), /is not a semver version/);
  assert.equal(versionProblem("0.0.0-rc.1"), undefined);
  assert.equal(versionProblem("1.2.3+build.7"), undefined);
});
