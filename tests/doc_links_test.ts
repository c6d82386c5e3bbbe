// Every relative link in README.md, docs/*.md and bench/README.md leads somewhere: the file exists
// and, when the link names a heading (`#anchor`), that page has the heading, spelt as GitHub spells
// its anchors. A guide moved or a heading renamed without its links fails here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";

const root = new URL("../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");
const PAGES = [
  "README.md",
  ...readdirSync(new URL("docs/", root)).filter((n) => n.endsWith(".md")).map((n) => `docs/${n}`),
  "bench/README.md",
];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a Markdown page's headings (outside code blocks), with GitHub's -1, -2 for repeats. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (!heading) continue;
    const base = anchorOf(heading[1]);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The relative link targets of a Markdown page (outside code blocks and code spans). */
export function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "").replace(/`[^`\n]*`/g, "``");
  const links: string[] = [];
  for (const match of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (!/^[a-z][a-z0-9+.-]*:/i.test(match[1])) links.push(match[1]);
  }
  return links;
}

test("anchorOf() spells anchors as GitHub does", () => {
  assert.equal(anchorOf("HTTP/1.1 or HTTP/2"), "http11-or-http2");
  assert.equal(anchorOf("`results.json`"), "resultsjson");
  assert.equal(
    anchorOf("Where the client is below 0.95, and why"),
    "where-the-client-is-below-095-and-why",
  );
  assert.equal(anchorOf("Node.js"), "nodejs");
  assert.deepEqual([...anchorsOf("# A\n## Use\n```\n# not\n```\n## Use\n")], ["a", "use", "use-1"]);
  assert.deepEqual(linksOf("[a](x.md#b) `[c](d.md)` [e](https://f) [g](#h)"), ["x.md#b", "#h"]);
});

test("every relative link in the README and the guides points to a file and heading that exist", () => {
  const broken: string[] = [];
  let checked = 0;
  for (const page of PAGES) {
    for (const link of linksOf(read(page))) {
      const [path, anchor] = link.split("#", 2);
      const target = path === "" ? page : posix.normalize(posix.join(posix.dirname(page), path));
      checked++;
      if (!existsSync(new URL(target, root))) {
        broken.push(`${page}: ${link} (no ${target})`);
      } else if (anchor !== undefined && target.endsWith(".md")) {
        if (!anchorsOf(read(target)).has(anchor)) broken.push(`${page}: ${link} (no heading)`);
      }
    }
  }
  assert.ok(checked > 50, `only ${checked} links checked`);
  assert.deepEqual(broken, []);
});
