// The configuration tables are the option table (src/options.ts), row for row: docs/configuration.md
// in full, the README without the meanings. A new option, default or variable, or a changed
// meaning, that the pages do not show fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { type OptionSpec, VECTORVUE_OPTIONS } from "../src/options.ts";

const HEADER = ["option", "default", "environment variable", "meaning"];
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

/** The README row of an option, cell by cell. */
function cells(row: OptionSpec): string[] {
  const fallback = row.default === undefined ? "—" : `\`${row.default}\``;
  const env = row.env === undefined
    ? "—"
    : `\`${row.env}\`${row.envUnit === "seconds" ? " (seconds)" : ""}`;
  const meaning = row.secret ? `${row.meaning}; a secret, never printed` : row.meaning;
  return [`\`${row.name}\``, row.defaultText ?? fallback, env, meaning];
}

/** The rows of the first Markdown table after `heading`, split into trimmed cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `no "${heading}" section`);
  const lines = markdown.slice(start).split("\n");
  const first = lines.findIndex((line) => line.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith("|")) break;
    if (/^\|[\s|:-]+\|$/.test(line)) continue; // the separator row
    rows.push(line.slice(1, -1).split(" | ").map((cell) => cell.trim()));
  }
  return rows;
}

/** What a page's table should read, as Markdown, for the failure message. */
const shown = (rows: string[][]) =>
  rows.map((row) => `| ${row.join(" | ")} |`).join("\n") + "\n(then run deno fmt on the page)";

test("docs/configuration.md lists every option with its default, variable and meaning", () => {
  // Beside the tests in the repository, and beside the built package's tests in npm/.
  const expected = [HEADER, ...VECTORVUE_OPTIONS.map(cells)];
  const actual = tableAfter(read("docs/configuration.md"), "## Options");
  assert.deepEqual(
    actual,
    expected,
    `docs/configuration.md's options table is out of date; it should read:\n${shown(expected)}`,
  );
});

test("the README's configuration table lists every option with its default and variable", () => {
  const expected = [HEADER, ...VECTORVUE_OPTIONS.map(cells)].map((row) => row.slice(0, 3));
  const actual = tableAfter(read("README.md"), "## Configuration");
  assert.deepEqual(
    actual,
    expected,
    `README.md's configuration table is out of date; it should read:\n${shown(expected)}`,
  );
});
