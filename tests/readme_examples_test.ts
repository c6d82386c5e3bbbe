// Every `ts` and `js` example of README.md, docs/*.md and bench/README.md, run: the Deno ones under
// Deno (type-checked first), the Node ones under Node against the built package (this file runs
// again from npm/test/, where the package refers to itself by name and the build puts the pages
// beside it). Each talks to the emulator served over HTTPS on 127.0.0.1, the pages' placeholders
// standing for it (`proxy.corp:3128` for a loopback CONNECT proxy).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { createVectorVueEmulator, type ServedEmulator } from "../src/testing/mod.ts";
import { type ConnectProxy, startConnectProxy } from "./_connect_proxy.ts";
import { TENANT } from "./_fixtures.ts";

const ON_DENO = typeof Deno !== "undefined";
const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");
/** The pages whose examples run: the README, every guide in docs/, the benchmark's README. */
export const PAGES: readonly string[] = [
  "README.md",
  ...readdirSync(new URL("../docs/", import.meta.url))
    .filter((name) => name.endsWith(".md"))
    .sort()
    .map((name) => `docs/${name}`),
  "bench/README.md",
];
const CA_PATH = fileURLToPath(new URL("./fixtures/ca.pem", import.meta.url));
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const PASSWORD = "readme-example-password";
const PROXY_PASSWORD = "readme-proxy-password";

interface Example {
  /** The page it is on, such as `docs/testing.md`. */
  readonly page: string;
  readonly lang: "ts" | "js";
  readonly line: number;
  readonly code: string;
}

/** The fenced `ts` and `js` blocks of a Markdown text, with the line each starts on. */
export function readmeExamples(markdown: string, page = "README.md"): Example[] {
  const examples: Example[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|js)\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.indexOf("```", i + 1);
    assert.ok(end > i, `${page}:${i + 1}: unclosed code block`);
    examples.push({
      page,
      lang: open[1] as "ts" | "js",
      line: i + 1,
      code: lines.slice(i + 1, end).join("\n"),
    });
    i = end;
  }
  return examples;
}

const run = (file: string, args: string[], env: Record<string, string>) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      file,
      args,
      { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });

/** `docs/x.md` line 12 → `docs_x_12`, a file name for the example. */
const fileBase = (example: Example) =>
  `${example.page.replace(/\.md$/, "").replace(/[^A-Za-z0-9]+/g, "_")}_${example.line}`;

describe("README and guide examples", () => {
  const examples = PAGES.flatMap((page) => readmeExamples(read(page), page));
  const dir = new URL(`./_readme_examples_${process.pid}/`, import.meta.url);
  let server: ServedEmulator;
  let proxy: ConnectProxy;
  let env: Record<string, string>;

  before(async () => {
    const emulator = createVectorVueEmulator({
      users: [{
        username: "spectrastrike",
        password: PASSWORD,
        tenantId: TENANT,
        role: "operator",
      }],
    });
    server = await emulator.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: fixture("server.pem"),
      key: fixture("server-key.pem"),
    });
    proxy = await startConnectProxy({
      credentials: { username: "svc-spectrastrike", password: PROXY_PASSWORD },
    });
    env = {
      PROXY_PASSWORD,
      VECTORVUE_BASE_URL: server.url,
      VECTORVUE_TOKEN: await emulator.issueToken({ sub: "spectrastrike", tenant_id: TENANT }),
      VECTORVUE_USERNAME: "spectrastrike",
      VECTORVUE_PASSWORD: PASSWORD,
      VECTORVUE_TENANT_ID: TENANT,
      VECTORVUE_CA_CERT: CA_PATH,
    };
    mkdirSync(dir, { recursive: true });
  });

  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await server?.close();
    await proxy?.close();
  });

  test("README.md and the guides have Deno and Node examples to run", () => {
    const readme = examples.filter((e) => e.page === "README.md");
    assert.ok(readme.filter((e) => e.lang === "ts").length >= 2);
    assert.ok(readme.filter((e) => e.lang === "js").length >= 2);
    assert.ok(examples.filter((e) => e.lang === "ts").length >= 8);
    assert.ok(examples.filter((e) => e.lang === "js").length >= 3);
    // The guides: at least five pages beside the decisions, each reached from the README.
    const guides = PAGES.filter((page) => page.startsWith("docs/") && page !== "docs/decisions.md");
    assert.ok(guides.length >= 5, `only ${guides.length} guides in docs/`);
    for (const guide of guides) {
      assert.ok(read("README.md").includes(`](${guide})`), `README.md does not link ${guide}`);
    }
  });

  /** The example with the README's placeholders standing for the test server. */
  const localise = (code: string, imports: Record<string, string>) => {
    let out = code
      .replaceAll("https://vectorvue.internal", server.url)
      .replaceAll("/etc/vectorvue/ca.pem", CA_PATH)
      .replaceAll("proxy.corp:3128", `127.0.0.1:${proxy.port}`);
    for (const [from, to] of Object.entries(imports)) out = out.replaceAll(`"${from}"`, `"${to}"`);
    return out;
  };

  test(
    "every Deno example type-checks and runs",
    { skip: !ON_DENO && "Deno examples" },
    async () => {
      const tunnels = proxy.tunnels;
      const mod = new URL("../mod.ts", import.meta.url).href;
      const imports = {
        "https://<host>/vectorvue-client/mod.ts": mod,
        "https://<host>/vectorvue-client/src/testing/mod.ts":
          new URL("../src/testing/mod.ts", import.meta.url).href,
        "@spectrastrike/vectorvue-client/testing": new URL("../src/testing/mod.ts", import.meta.url)
          .href,
        "@spectrastrike/vectorvue-client": mod,
      };
      const files = examples.filter((e) => e.lang === "ts").map((example) => {
        const file = fileURLToPath(new URL(`${fileBase(example)}.ts`, dir));
        writeFileSync(file, localise(example.code, imports));
        return { example, file };
      });
      const deno = Deno.execPath();
      const checked = await run(deno, ["check", "--quiet", ...files.map((f) => f.file)], env);
      assert.equal(checked.code, 0, `examples do not type-check:\n${checked.stderr}`);
      for (const { example, file } of files) {
        const ran = await run(
          deno,
          [
            "run",
            "--quiet",
            "--allow-net=127.0.0.1",
            "--allow-read",
            "--allow-env",
            `--allow-write=${tmpdir()}`, // a spool example makes a temporary directory
            file,
          ],
          env,
        );
        assert.equal(
          ran.code,
          0,
          `${example.page}:${example.line} (Deno) failed:\n${ran.stdout}\n${ran.stderr}`,
        );
      }
      assert.ok(proxy.tunnels > tunnels, "the proxy example went through the proxy");
    },
  );

  test("every Node example runs against the built package", {
    skip: ON_DENO && "Node examples run from the npm build",
  }, async () => {
    for (const example of examples.filter((e) => e.lang === "js")) {
      const esm = /^import /m.test(example.code);
      const file = fileURLToPath(new URL(`${fileBase(example)}.${esm ? "mjs" : "cjs"}`, dir));
      writeFileSync(file, localise(example.code, {}));
      const ran = await run(process.execPath, [file], env);
      assert.equal(
        ran.code,
        0,
        `${example.page}:${example.line} (Node) failed:\n${ran.stdout}\n${ran.stderr}`,
      );
    }
  });
});
