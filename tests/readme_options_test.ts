// The configuration tables are the option table (src/options.ts), row for row: docs/configuration.md
// in full, the README without the meanings. A new option, default or variable, or a changed
// meaning, that the pages do not show fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { type OptionSpec, VECTORVUE_OPTIONS } from "../src/options.ts";
import {
  BATCHER_OPTIONS,
  BULK_OPTIONS,
  CALL_OPTIONS,
  SPOOL_OPTIONS,
} from "../src/option_tables.ts";
import { EMULATOR_OPTIONS, EMULATOR_USER_OPTIONS } from "../src/testing/_options.ts";
import { SERVE_OPTIONS } from "../src/testing/_serve_options.ts";
import { FLAG_OPTIONS } from "../cli/flag_options.ts";
import { sendCommand } from "../cli/send.ts";
import { emulatorCommand } from "../cli/emulator.ts";

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

// The JSDoc `@default` tags of the option types are the tables' defaults: a default changed in
// one place and not the other fails here. A row without a default has no tag, or a tag in words
// (`the client's maxBatchSize`); every property of the type has a row, and every row a property.
const SRC = new URL("../src/", import.meta.url);

/** Every `.ts` file under `dir`, as URLs. */
function sources(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return sources(new URL(`${entry.name}/`, dir));
    return entry.name.endsWith(".ts") ? [new URL(entry.name, dir)] : [];
  });
}

/** The `@default` tag (or `undefined`) of each property of `export interface <name>`. */
function defaultTags(name: string): Record<string, string | undefined> {
  const head = `export interface ${name} {`;
  const text = sources(SRC).map((url) => readFileSync(url, "utf8")).find((t) => t.includes(head));
  assert.ok(text !== undefined, `no "${head}" in src/`);
  const body = text.slice(
    text.indexOf(head) + head.length,
    text.indexOf("\n}\n", text.indexOf(head)),
  );
  const tags: Record<string, string | undefined> = {};
  let doc = "";
  for (const line of body.split("\n")) {
    const property = /^ {2}(?:readonly )?(\w+)\??:/.exec(line);
    if (property) {
      tags[property[1]] = /@default \{(.*)\}\s*(?:\*\/)?\s*$/m.exec(doc)?.[1];
      doc = "";
    } else if (line.trim().startsWith("/**")) doc = `${line}\n`;
    else doc += `${line}\n`;
  }
  return tags;
}

/** A default as a `@default` tag writes it: `10000`, `"https://…"`, `{ requests: 240, … }`. */
function literal(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{ ${Object.entries(value).map(([k, v]) => `${k}: ${literal(v)}`).join(", ")} }`;
  }
  return String(value);
}

const isLiteral = (tag: string) => /^(".*"|-?\d+(\.\d+)?|true|false|\{.*\}|\[.*\])$/.test(tag);

/** What each property's tag should read by the table: its default, or no literal. */
function expectedTags(
  rows: readonly { name: string; default?: unknown }[],
  actual: Record<string, string | undefined>,
): Record<string, string | undefined> {
  return Object.fromEntries(rows.map((row) => {
    const tag = actual[row.name];
    const words = tag !== undefined && !isLiteral(tag) ? tag : undefined;
    return [row.name, row.default === undefined ? words : literal(row.default)];
  }));
}

for (
  const [type, rows] of [
    ["VectorVueConfig", VECTORVUE_OPTIONS],
    ["CallOptions", CALL_OPTIONS.filter((row) => row.name !== "idempotencyKey")],
    ["BulkOptions", BULK_OPTIONS],
    ["BatcherOptions", BATCHER_OPTIONS],
    ["SpoolOptions", SPOOL_OPTIONS],
    ["EmulatorOptions", EMULATOR_OPTIONS],
    ["EmulatorUser", EMULATOR_USER_OPTIONS],
    ["ServeOptions", SERVE_OPTIONS],
  ] as const
) {
  test(`${type}'s @default tags and properties are its options table's`, {
    skip: typeof Deno === "undefined" && "Deno only: reads src/",
  }, () => {
    const actual = defaultTags(type);
    assert.deepEqual(
      Object.keys(actual).sort(),
      rows.map((row) => row.name).sort(),
      `${type}'s properties and its table's rows differ`,
    );
    assert.deepEqual(actual, expectedTags(rows, actual), `${type}'s @default tags`);
  });
}

test("literal() writes a default as a @default tag does", () => {
  assert.equal(literal(10_000), "10000");
  assert.equal(literal("https://127.0.0.1"), '"https://127.0.0.1"');
  assert.equal(literal({ requests: 240, windowMs: 60_000 }), "{ requests: 240, windowMs: 60000 }");
  assert.equal(literal([{ role: "operator" }]), '[{ role: "operator" }]');
});

// A flag that sets an option takes that option's row: its default (the emulator's `--port`
// excepted, a port a person can type) and its check; its help and docs/command-line.md say the
// table's default.
test("each flag that sets an option shows its option's default in its help and the guide", () => {
  const options: Record<string, readonly { name: string; default?: unknown }[]> = {
    concurrency: BULK_OPTIONS,
    hostname: SERVE_OPTIONS,
    port: SERVE_OPTIONS,
    "max-batch-size": EMULATOR_OPTIONS,
  };
  const optionName: Record<string, string> = { "max-batch-size": "maxBatchSize" };
  const guide = read("docs/command-line.md");
  const flags = [...sendCommand.flags, ...emulatorCommand.flags];
  assert.deepEqual(Object.keys(FLAG_OPTIONS).sort(), Object.keys(options).sort());
  for (const [flag, row] of Object.entries(FLAG_OPTIONS)) {
    const option = options[flag].find((r) => r.name === (optionName[flag] ?? flag));
    assert.ok(option !== undefined, flag);
    if (flag !== "port") assert.equal(row.default, option.default, `--${flag}'s default`);
    const help = flags.find((spec) => spec.name === flag)?.help ?? "";
    assert.match(help, new RegExp(`\\(default ${row.default}\\)`), `--${flag}'s help: ${help}`);
    const said = new RegExp(`\`--${flag} [A-Z]+\` \\(default ([^,)]+)`).exec(guide)?.[1];
    if (said !== undefined) {
      assert.equal(said, String(row.default), `docs/command-line.md --${flag}`);
    }
  }
});

test("the emulator's --rate-limit help shows EmulatorOptions' default rate limit", () => {
  const rate = EMULATOR_OPTIONS.find((row) => row.name === "rateLimit")!.default as {
    requests: number;
    windowMs: number;
  };
  const help = emulatorCommand.flags.find((spec) => spec.name === "rate-limit")?.help ?? "";
  assert.match(help, new RegExp(`\\(default ${rate.requests}/${rate.windowMs / 1000},`), help);
});
