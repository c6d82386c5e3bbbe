/**
 * Builds the npm package for Node into `npm/` and proves it works there.
 *
 * ```sh
 * deno run -A scripts/build_npm.ts [version] [--skip-tests] [--skip-pack]
 * ```
 *
 * Steps: compile `mod.ts` and `src/` with the TypeScript compiler (every `*_deno.ts`
 * import swapped for its `*_node.ts` twin) into `esm/` and `script/` (CommonJS) with
 * `.d.ts`; write `package.json` from `deno.json` and check that their `exports` agree;
 * lint the packed tarball with publint and @arethetypeswrong/core; run `tests/` under
 * `node --test` and `bun test` (Bun from the npm package `bun`) against the built output; install the tarball into a fresh project,
 * type-check it there as a consumer and make one real HTTPS call from both `import` and
 * `require`.
 *
 * `--skip-tests` skips `node --test` and `bun test`; `--skip-pack` skips the install smoke test.
 *
 * @module
 */
// deno-lint-ignore-file no-import-prefix -- build-only tools stay out of deno.json's imports; deno.lock pins them
import { type ExportEntry, exportsProblems } from "./_exports_check.ts";
// The Bun the test suite runs under too, from the npm package `bun`, pinned like Deno.
import { BUN_VERSION } from "./_runtimes.ts";
import { stampVersion, VERSION_MODULE, versionProblem } from "./_version.ts";
import ts from "npm:typescript@5.9.3";
import { publint } from "npm:publint@0.3.25";
import { formatMessage } from "npm:publint@0.3.25/utils";
import {
  checkPackage,
  createPackageFromTarballData,
  type Problem,
} from "npm:@arethetypeswrong/core@0.18.5";
import { problemKindInfo } from "npm:@arethetypeswrong/core@0.18.5/problems";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** Newest types for the oldest Node we support, so the build rejects newer APIs. */
const TYPES_NODE = "20.19.43";
/** 7.28.0 fixes a TLS certificate validation bypass (GHSA-vmh5-mc38-953g); 8 needs Node 22. */
const UNDICI_RANGE = "^7.28.0";
/** undici 7 declares this floor, so promising less would be a lie to npm. */
const NODE_RANGE = ">=20.18.1";

/**
 * publint messages (warnings and suggestions alike) the package is known to carry, each
 * with the reason it is acceptable. Anything not listed here fails the build.
 */
const PUBLINT_ALLOWED: ReadonlyArray<{ code: string; reason: string }> = [];

/**
 * @arethetypeswrong problems the package is known to carry, with the reason. A rule
 * without `entrypoint`/`resolutionKind` matches every entry point/resolution.
 */
const ATTW_ALLOWED: ReadonlyArray<{
  kind: Problem["kind"];
  resolutionKind?: string;
  entrypoint?: string;
  reason: string;
}> = [];

/**
 * WebCrypto type names that Node >= 20 has as globals at run time but @types/node 20
 * only declares inside `node:crypto`. Deno and DOM typings have them globally, so core
 * code may use them; the build leaves every other DOM-only name an error.
 */
const NODE_WEB_GLOBALS = `export {};
declare global {
  type CryptoKey = import("node:crypto").webcrypto.CryptoKey;
  type CryptoKeyPair = import("node:crypto").webcrypto.CryptoKeyPair;
  type SubtleCrypto = import("node:crypto").webcrypto.SubtleCrypto;
  type BufferSource = import("node:crypto").webcrypto.BufferSource;
  type KeyUsage = import("node:crypto").webcrypto.KeyUsage;
  type KeyFormat = import("node:crypto").webcrypto.KeyFormat;
  type JsonWebKey = import("node:crypto").webcrypto.JsonWebKey;
  type AlgorithmIdentifier = import("node:crypto").webcrypto.AlgorithmIdentifier;
  type HmacImportParams = import("node:crypto").webcrypto.HmacImportParams;
}
`;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");
/** The command line: `cli.ts` dispatches to `cli/`; the package's `bin` runs its build. */
const CLI = join(ROOT, "cli.ts");
const BIN = { vectorvue: "./esm/cli.js" };
const TESTS = join(ROOT, "tests");
const NPM = join(ROOT, "npm");
const ESM = join(NPM, "esm");
const SCRIPT = join(NPM, "script");
const TEST_OUT = join(NPM, "test");

class BuildError extends Error {}

interface Options {
  version?: string;
  skipTests: boolean;
  skipPack: boolean;
}

function parseArgs(args: readonly string[]): Options {
  const options: Options = { skipTests: false, skipPack: false };
  for (const arg of args) {
    if (arg === "--skip-tests") options.skipTests = true;
    else if (arg === "--skip-pack") options.skipPack = true;
    else if (!arg.startsWith("-") && options.version === undefined) options.version = arg;
    else {
      throw new BuildError(
        `unknown argument '${arg}'\nusage: deno run -A scripts/build_npm.ts [version] [--skip-tests] [--skip-pack]`,
      );
    }
  }
  return options;
}

const started = performance.now();
let stepStarted = started;

function step(name: string, detail: string): void {
  const now = performance.now();
  const seconds = ((now - stepStarted) / 1000).toFixed(1);
  console.log(`build_npm: ${name.padEnd(8)} ${detail} (${seconds} s)`);
  stepStarted = now;
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith("./") || specifier.startsWith("../");
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/");
}

/** The Node twin of a runtime-specific module, or the path itself. */
function nodeTwin(path: string): string {
  return path.replace(/_deno\.ts$/, "_node.ts");
}

function toJs(path: string): string {
  return path.replace(/\.ts$/, ".js");
}

/** A relative import specifier (always `/`-separated, always starting with `.`). */
function specifierFrom(fromDir: string, target: string): string {
  const rel = relative(fromDir, target).replaceAll("\\", "/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) files.push(...walk(path));
    else if (entry.isFile) files.push(path);
  }
  return files.sort();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function writeFile(path: string, text: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, text);
}

/**
 * Runs a command; its output is shown only when it fails, unless `inherit` is set. Returns its
 * standard output, and its standard error after it with `withStderr` (a report on stderr).
 */
async function run(
  command: string,
  args: string[],
  cwd: string,
  inherit = false,
  withStderr = false,
): Promise<string> {
  const output = await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: inherit ? "inherit" : "piped",
    stderr: inherit ? "inherit" : "piped",
    env: { npm_config_update_notifier: "false", npm_config_fund: "false" },
  }).output();
  // Deno throws on reading an output that was not piped.
  const decode = (stream: "stdout" | "stderr") =>
    inherit ? "" : new TextDecoder().decode(output[stream]);
  if (!output.success) {
    const shown = `${decode("stdout")}${decode("stderr")}`.trim();
    const line = `${command} ${args.join(" ")}`.replace(/\s+/g, " ");
    throw new BuildError(
      `\`${
        line.length > 120 ? `${line.slice(0, 120)}…` : line
      }\` failed with exit code ${output.code} in ${cwd}` +
        (shown ? `\n${shown}` : ""),
    );
  }
  return withStderr ? `${decode("stdout")}${decode("stderr")}` : decode("stdout");
}

// ---------------------------------------------------------------------------------------
// package.json

interface DenoJson {
  name: string;
  version: string;
  description?: string;
  license?: string;
  exports: Record<string, string>;
  imports?: Record<string, string>;
}

async function readDenoJson(): Promise<DenoJson> {
  const raw = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const exports = typeof raw.exports === "string" ? { ".": raw.exports } : raw.exports;
  const missing = ["name", "version"].filter((key) => typeof raw[key] !== "string");
  if (missing.length > 0 || !exports || typeof exports !== "object") {
    throw new BuildError(`deno.json needs ${[...missing, "exports"].join(", ")}`);
  }
  return { ...raw, exports };
}

/** `./src/testing/mod.ts` → `src/testing/mod`. */
function exportBase(target: string): string {
  if (!target.startsWith("./") || !target.endsWith(".ts") || target.endsWith("_deno.ts")) {
    throw new BuildError(
      `deno.json export target '${target}' must be a './…' .ts module that is not a *_deno.ts file`,
    );
  }
  return target.slice(2, -3);
}

function packageExports(denoExports: Record<string, string>): Record<string, ExportEntry> {
  const entries = Object.entries(denoExports).map(([key, target]) => {
    const base = exportBase(target);
    // Each format gets its own .d.ts: types next to CommonJS code are read as CommonJS.
    const entry: ExportEntry = {
      import: { types: `./esm/${base}.d.ts`, default: `./esm/${base}.js` },
      require: { types: `./script/${base}.d.ts`, default: `./script/${base}.js` },
    };
    return [key, entry] as const;
  });
  return Object.fromEntries(entries);
}

/** Subpath entry points (`./testing` → `testing`), which resolvers without `exports` miss. */
function legacySubpaths(exportKeys: readonly string[]): string[] {
  return exportKeys.filter((key) => key !== ".").map((key) => key.slice(2));
}

/**
 * TypeScript's `moduleResolution: "node"` (node10), still common in tsconfigs, ignores
 * `exports`; a `testing/package.json` pointing into `script/` lets it find subpaths too.
 */
async function writeLegacySubpathStubs(pkg: Record<string, unknown>): Promise<void> {
  const exports = pkg.exports as Record<string, ExportEntry>;
  for (const dir of legacySubpaths(Object.keys(exports))) {
    const entry = exports[`./${dir}`];
    const up = (target: string) => specifierFrom(join(NPM, dir), join(NPM, target));
    await writeFile(
      join(NPM, dir, "package.json"),
      `${
        JSON.stringify({ main: up(entry.require.default), types: up(entry.require.types) }, null, 2)
      }\n`,
    );
  }
}

function packageJson(deno: DenoJson, version: string): Record<string, unknown> {
  const exports = packageExports(deno.exports);
  const root = exports["."];
  if (!root) throw new BuildError(`deno.json exports has no "." entry`);
  return {
    name: deno.name,
    version,
    description: deno.description,
    license: deno.license,
    type: "module",
    engines: { node: NODE_RANGE },
    main: root.require.default,
    module: root.import.default,
    types: root.require.types,
    exports,
    bin: BIN,
    files: [
      "esm/",
      "script/",
      ...legacySubpaths(Object.keys(deno.exports)).map((dir) => `${dir}/`),
    ],
    sideEffects: false,
    dependencies: { undici: UNDICI_RANGE },
  };
}

/**
 * `deno.json` is what Deno users import and `package.json` what Node users import; they
 * must name the same entry points, each pointing at the build of the same source module.
 */
async function checkExports(deno: DenoJson): Promise<void> {
  // What was written is what gets published, so that is what is compared.
  const pkg = JSON.parse(await Deno.readTextFile(join(NPM, "package.json")));
  const problems = await exportsProblems(deno.exports, pkg, (target) => exists(join(NPM, target)));
  if (problems.length > 0) {
    throw new BuildError(
      `deno.json and package.json exports disagree:\n  ${problems.join("\n  ")}`,
    );
  }
}

// ---------------------------------------------------------------------------------------
// Compiling

/**
 * Rewrites the module specifiers of static and dynamic imports, re-exports and `import()`
 * types (the last appear in emitted `.d.ts`).
 */
function specifierRewriter<T extends ts.SourceFile | ts.Bundle>(
  rewrite: (specifier: string, fileName: string) => string,
): ts.TransformerFactory<T> {
  return (context) => (root) => {
    if (!ts.isSourceFile(root)) return root;
    const { factory } = context;
    const literal = (node: ts.StringLiteral): ts.StringLiteral => {
      const next = rewrite(node.text, root.fileName);
      return next === node.text ? node : factory.createStringLiteral(next);
    };
    const visit = (node: ts.Node): ts.Node => {
      if (
        ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)
      ) {
        return factory.updateImportDeclaration(
          node,
          node.modifiers,
          node.importClause,
          literal(node.moduleSpecifier),
          node.attributes,
        );
      }
      if (
        ts.isExportDeclaration(node) && node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        return factory.updateExportDeclaration(
          node,
          node.modifiers,
          node.isTypeOnly,
          node.exportClause,
          literal(node.moduleSpecifier),
          node.attributes,
        );
      }
      if (
        ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments.length > 0 && ts.isStringLiteral(node.arguments[0])
      ) {
        const [first, ...rest] = node.arguments;
        return factory.updateCallExpression(node, node.expression, node.typeArguments, [
          literal(first as ts.StringLiteral),
          ...ts.visitNodes(factory.createNodeArray(rest), visit, ts.isExpression),
        ]);
      }
      if (
        ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) &&
        ts.isStringLiteral(node.argument.literal)
      ) {
        return factory.updateImportTypeNode(
          node,
          factory.updateLiteralTypeNode(node.argument, literal(node.argument.literal)),
          node.attributes,
          node.qualifier,
          ts.visitNodes(node.typeArguments, visit, ts.isTypeNode),
          node.isTypeOf,
        );
      }
      return ts.visitEachChild(node, visit, context);
    };
    return ts.visitNode(root, visit, ts.isSourceFile) as T;
  };
}

/** Relative imports inside the package: Node twin, `.js` extension. */
function packageSpecifier(specifier: string): string {
  return isRelative(specifier) ? toJs(nodeTwin(specifier)) : specifier;
}

function formatDiagnostics(diagnostics: readonly ts.Diagnostic[]): string {
  const format = Deno.stderr.isTerminal()
    ? ts.formatDiagnosticsWithColorAndContext
    : ts.formatDiagnostics;
  return format(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => ROOT,
    getNewLine: () => "\n",
  });
}

/** Export targets and `src/**`, without tests and without the Deno side of runtime pairs. */
function packageSources(deno: DenoJson): string[] {
  const targets = Object.values(deno.exports).map((target) => join(ROOT, target));
  const sources = [...new Set([...targets, ...walk(SRC), CLI, ...walk(join(ROOT, "cli"))])].filter((
    path,
  ) => path.endsWith(".ts") && !path.endsWith(".d.ts") && !/[_.]test\.ts$/.test(path));
  const missingTwins = sources.filter((path) =>
    path.endsWith("_deno.ts") && !sources.includes(nodeTwin(path))
  );
  if (missingTwins.length > 0) {
    throw new BuildError(
      `runtime-specific modules without a Node twin:\n  ${
        missingTwins.map((path) =>
          `${relative(ROOT, path)} needs ${relative(ROOT, nodeTwin(path))}`
        )
          .join("\n  ")
      }`,
    );
  }
  return sources.filter((path) => !path.endsWith("_deno.ts"));
}

/** Compiles the package sources; returns the number of modules. */
async function compilePackage(sources: readonly string[], version: string): Promise<number> {
  const { options, errors } = ts.convertCompilerOptionsFromJson({
    target: "ES2022",
    module: "ES2022",
    moduleResolution: "Bundler",
    // Node 20 runs ES2023; fetch, streams, WebCrypto etc. come from @types/node as in Node.
    lib: ["ES2023"],
    types: ["node"],
    typeRoots: [join(NPM, "node_modules", "@types")],
    strict: true,
    isolatedModules: true,
    moduleDetection: "force",
    skipLibCheck: true,
    allowImportingTsExtensions: true,
    rewriteRelativeImportExtensions: true,
    declaration: true,
    newLine: "lf",
    rootDir: ROOT,
    outDir: ESM,
  }, ROOT);
  if (errors.length > 0) throw new BuildError(formatDiagnostics(errors));

  const host = ts.createCompilerHost(options);
  // Bare specifiers (undici) resolve from npm/node_modules, where the build installed them.
  const bareFrom = join(NPM, "package.json");
  host.resolveModuleNameLiterals = (literals, containingFile, redirected, opts, file) =>
    literals.map((literal) => {
      const own = isInside(containingFile, ROOT) && !containingFile.includes("/node_modules/");
      const name = own && isRelative(literal.text) ? nodeTwin(literal.text) : literal.text;
      const from = own && !isRelative(name) ? bareFrom : containingFile;
      const mode = ts.getModeForUsageLocation(file, literal, opts);
      return ts.resolveModuleName(name, from, opts, host, undefined, redirected, mode);
    });

  const globalsFile = join(NPM, "node-web-globals.d.ts");
  // The version given to the build is the one the User-Agent names (see scripts/_version.ts).
  const versionFile = join(ROOT, VERSION_MODULE);
  const versionSource = stampVersion(await Deno.readTextFile(versionFile), version);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (fileName, ...rest) =>
    fileName === globalsFile
      ? ts.createSourceFile(fileName, NODE_WEB_GLOBALS, ts.ScriptTarget.ES2022)
      : fileName === versionFile
      ? ts.createSourceFile(fileName, versionSource, ts.ScriptTarget.ES2022)
      : getSourceFile(fileName, ...rest);

  const rootNames = [...sources, globalsFile];
  const program = ts.createProgram({ rootNames, options, host });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  if (diagnostics.length > 0) {
    const hint = diagnostics.some((d) =>
        ts.flattenDiagnosticMessageText(d.messageText, "\n").includes("'Deno'")
      )
      ? "\nThe Deno global belongs in *_deno.ts files only; the npm build uses their *_node.ts twins."
      : "";
    throw new BuildError(
      `TypeScript (Node ${NODE_RANGE} types) rejects the sources:\n${
        formatDiagnostics(diagnostics)
      }${hint}`,
    );
  }

  const outputs = new Map<string, string>();
  const result = program.emit(
    undefined,
    (fileName, text) => outputs.set(fileName, text),
    undefined,
    false,
    {
      before: [specifierRewriter(packageSpecifier)],
      afterDeclarations: [specifierRewriter(packageSpecifier)],
    },
  );
  if (result.emitSkipped || result.diagnostics.length > 0) {
    throw new BuildError(`emit failed:\n${formatDiagnostics(result.diagnostics)}`);
  }

  let modules = 0;
  for (const [fileName, text] of outputs) {
    const scriptPath = join(SCRIPT, relative(ESM, fileName));
    await writeFile(fileName, text);
    if (fileName.endsWith(".d.ts")) {
      await writeFile(scriptPath, text);
    } else if (fileName.endsWith(".js")) {
      modules++;
      // The ES module output is already type-free with final specifiers, so turning it
      // into CommonJS is a per-file syntax change that needs no second type-check.
      const cjs = ts.transpileModule(text, {
        fileName,
        compilerOptions: {
          module: ts.ModuleKind.CommonJS,
          target: ts.ScriptTarget.ES2022,
          esModuleInterop: true,
          newLine: ts.NewLineKind.LineFeed,
        },
      });
      await writeFile(scriptPath, cjs.outputText);
    }
  }
  await writeFile(join(SCRIPT, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
  return modules;
}

/** Loads every entry point both ways, so syntax CommonJS cannot run fails here, not later. */
async function checkEntryPointsLoad(pkg: Record<string, unknown>): Promise<void> {
  const entries = Object.values(pkg.exports as Record<string, ExportEntry>);
  const required = entries.map((entry) => join(NPM, entry.require.default));
  const imported = entries.map((entry) => pathToFileURL(join(NPM, entry.import.default)).href);
  const script = `
    for (const file of ${JSON.stringify(required)}) require(file);
    Promise.all(${JSON.stringify(imported)}.map((url) => import(url)))
      .catch((error) => { console.error(error); process.exitCode = 1; });`;
  await run("node", ["-e", script], NPM);
}

/** `docs/*.md` and `bench/README.md`, relative to the repository. */
function guidePages(): string[] {
  const docs = [...Deno.readDirSync(join(ROOT, "docs"))]
    .filter((entry) => entry.isFile && entry.name.endsWith(".md"))
    .map((entry) => `docs/${entry.name}`);
  return [...docs.sort(), "bench/README.md"];
}

/** The built client, loaded both ways, names the version `package.json` has. */
async function checkBuiltVersion(version: string): Promise<void> {
  const script = `
    const { VERSION } = require(${JSON.stringify(join(SCRIPT, "mod.js"))});
    import(${JSON.stringify(pathToFileURL(join(ESM, "mod.js")).href)}).then((esm) => {
      if (VERSION !== ${JSON.stringify(version)} || esm.VERSION !== VERSION) {
        console.error("built VERSION " + VERSION + " / " + esm.VERSION + ", package.json " +
          ${JSON.stringify(version)});
        process.exitCode = 1;
      }
    });`;
  await run("node", ["-e", script], NPM);
}

// ---------------------------------------------------------------------------------------
// Checks on the packed tarball

async function pack(into: string): Promise<{ path: string; files: number; size: number }> {
  const out = await run("npm", ["pack", "--json", "--pack-destination", into], NPM);
  const [info] = JSON.parse(out) as [{ filename: string; files: unknown[]; size: number }];
  return { path: join(into, info.filename), files: info.files.length, size: info.size };
}

async function runPublint(tarball: Uint8Array): Promise<string> {
  // Linting the tarball rather than npm/ sees exactly the files that get published.
  const { messages, pkg } = await publint({
    level: "suggestion",
    pack: { tarball: tarball.slice().buffer },
  });
  const unexplained = messages.filter((message) =>
    !PUBLINT_ALLOWED.some((allowed) => allowed.code === message.code)
  );
  if (unexplained.length > 0) {
    throw new BuildError(
      `publint found ${unexplained.length} problem(s) not in PUBLINT_ALLOWED:\n  ${
        unexplained.map((m) => `${m.type} ${m.code}: ${formatMessage(m, pkg, { color: false })}`)
          .join("\n  ")
      }`,
    );
  }
  return messages.length === 0 ? "clean" : `${messages.length} allow-listed`;
}

function describeProblem(problem: Problem): string {
  const info = problemKindInfo[problem.kind];
  const where = "entrypoint" in problem
    ? `${problem.entrypoint} (${problem.resolutionKind})`
    : "fileName" in problem
    ? problem.fileName
    : `${problem.typesFileName} / ${problem.implementationFileName}`;
  return `${problem.kind} at ${where}: ${info.title}. ${info.description}`;
}

async function runAttw(tarball: Uint8Array): Promise<string> {
  const result = await checkPackage(createPackageFromTarballData(tarball));
  if (result.types === false) throw new BuildError("@arethetypeswrong: the package has no types");
  const unexplained = result.problems.filter((problem) =>
    !ATTW_ALLOWED.some((allowed) =>
      allowed.kind === problem.kind &&
      (allowed.entrypoint === undefined ||
        ("entrypoint" in problem && problem.entrypoint === allowed.entrypoint)) &&
      (allowed.resolutionKind === undefined ||
        ("resolutionKind" in problem && problem.resolutionKind === allowed.resolutionKind))
    )
  );
  if (unexplained.length > 0) {
    throw new BuildError(
      `@arethetypeswrong found ${unexplained.length} problem(s) not in ATTW_ALLOWED:\n  ${
        unexplained.map(describeProblem).join("\n  ")
      }`,
    );
  }
  const entrypoints = Object.keys(result.entrypoints).join(", ");
  return result.problems.length === 0
    ? `clean for ${entrypoints}`
    : `${result.problems.length} allow-listed for ${entrypoints}`;
}

// ---------------------------------------------------------------------------------------
// Tests under Node

/** `npm:name@version/sub/path` → its parts. */
function parseNpmSpecifier(specifier: string) {
  const match = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/.exec(specifier);
  return match && { name: match[1], version: match[2] ?? "latest", subpath: match[3] ?? "" };
}

/** The modules the Node test run compiles, and the npm packages they import. */
interface TestGraph {
  /** `tests/**` (fixtures too) and the repo modules outside the package they import. */
  readonly files: readonly string[];
  /** `npm install` arguments. */
  readonly packages: readonly string[];
}

/**
 * Walks `tests/` and what it imports. Package sources are not followed (the test run uses
 * their build); other repo modules a test imports, such as a script it tests, are
 * compiled alongside the tests. npm packages come from `npm:` specifiers or deno.json
 * `imports`; a map key other than the package name is installed under that key (an npm
 * alias), so the bare specifier resolves unchanged under Node.
 */
async function testGraph(deno: DenoJson, sources: ReadonlySet<string>): Promise<TestGraph> {
  const imports = deno.imports ?? {};
  const files = walk(TESTS);
  const packages = new Set<string>();
  const problems: string[] = [];
  for (let i = 0; i < files.length; i++) {
    const file = files[i];
    if (!file.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(file).catch(() => undefined);
    if (text === undefined) {
      problems.push(`${relative(ROOT, file)} is imported by a test but cannot be read`);
      continue;
    }
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (specifier.startsWith("node:")) continue;
      if (isRelative(specifier)) {
        const target = nodeTwin(resolve(dirname(file), specifier));
        const follow = target.endsWith(".ts") && !sources.has(target);
        if (follow && !files.includes(target)) files.push(target);
        continue;
      }
      const inline = parseNpmSpecifier(specifier);
      if (inline) {
        packages.add(`${inline.name}@${inline.version}`);
        continue;
      }
      const key = Object.keys(imports).find((key) =>
        key === specifier || (key.endsWith("/") && specifier.startsWith(key))
      );
      const mapped = key && parseNpmSpecifier(imports[key]);
      if (mapped) {
        const alias = key.replace(/\/$/, "");
        packages.add(
          alias === mapped.name
            ? `${mapped.name}@${mapped.version}`
            : `${alias}@npm:${mapped.name}@${mapped.version}`,
        );
      } else if (key || /^(jsr|https?):/.test(specifier)) {
        problems.push(`${relative(ROOT, file)} imports ${specifier}, which Node cannot load`);
      }
    }
  }
  if (problems.length > 0) throw new BuildError(problems.join("\n"));
  return { files, packages: [...packages].sort() };
}

/**
 * Compiles the test graph into `npm/test/` (`tests/x` → `npm/test/x`, other repo modules
 * → `npm/test/_repo/…`), pointing imports of package sources at their built ES modules so
 * the tests exercise the build. Returns the test files to run.
 */
async function compileTests(graph: TestGraph, sources: ReadonlySet<string>): Promise<string[]> {
  const outputOf = (path: string): string =>
    isInside(path, TESTS)
      ? join(TEST_OUT, relative(TESTS, path))
      : sources.has(path)
      ? join(ESM, relative(ROOT, path))
      : join(TEST_OUT, "_repo", relative(ROOT, path));
  const testFiles: string[] = [];
  for (const file of graph.files) {
    const out = outputOf(file);
    await Deno.mkdir(dirname(out), { recursive: true });
    if (!file.endsWith(".ts")) {
      // Fixtures sit beside the compiled tests, where `new URL(…, import.meta.url)` looks.
      await Deno.copyFile(file, out);
      continue;
    }
    const rewrite = (specifier: string) => {
      const npm = parseNpmSpecifier(specifier);
      if (npm) return npm.name + npm.subpath;
      if (!isRelative(specifier)) return specifier;
      const target = nodeTwin(resolve(dirname(file), specifier));
      const compiled = target.endsWith(".ts") || isInside(target, TESTS);
      return specifierFrom(dirname(out), compiled ? toJs(outputOf(target)) : target);
    };
    const result = ts.transpileModule(await Deno.readTextFile(file), {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: {
        module: ts.ModuleKind.ES2022,
        target: ts.ScriptTarget.ES2022,
        newLine: ts.NewLineKind.LineFeed,
        allowImportingTsExtensions: true,
        rewriteRelativeImportExtensions: true,
      },
      transformers: { before: [specifierRewriter(rewrite)] },
    });
    if (result.diagnostics?.length) throw new BuildError(formatDiagnostics(result.diagnostics));
    await Deno.writeTextFile(toJs(out), result.outputText);
    // `*_slow_test.ts`: scenarios that take their time by design (rate-limit windows, outages);
    // they run under Deno only, so the Node run stays short.
    if (isInside(file, TESTS) && file.endsWith("_test.ts") && !file.endsWith("_slow_test.ts")) {
      testFiles.push(toJs(out));
    }
  }
  return testFiles;
}

// ---------------------------------------------------------------------------------------
// Smoke test of the installed tarball

/**
 * One real call through the installed package. `load` brings `readFileSync`,
 * `VectorVueClient` and `createVectorVueEmulator` into scope, by `import` or `require`.
 */
function smokeScript(load: string, label: string): string {
  return `${load}
const [ca, cert, key] = ["ca.pem", "server.pem", "server-key.pem"]
  .map((name) => readFileSync(process.argv[2] + "/" + name, "utf8"));
setTimeout(() => { console.error("${label}: timed out"); process.exit(1); }, 30_000).unref();
async function main() {
  const emulator = createVectorVueEmulator();
  const server = await emulator.serve({ hostname: "127.0.0.1", port: 0, cert, key });
  try {
    const { username, password, tenantId } = emulator.defaults;
    const client = new VectorVueClient({ baseUrl: server.url, username, password, tenantId, caCerts: [ca] });
    await client.login();
    const result = await client.sendEvent({
      source_system: "npm-smoke",
      event_type: "PROCESS_ANOMALY",
      occurred_at: new Date().toISOString(),
      severity: "high",
      asset_ref: "host-1",
      message: "${label} smoke test over HTTPS with a private CA",
      metadata: {},
    });
    if (!result.ok || result.status !== "accepted") {
      throw new Error("unexpected result: " + JSON.stringify(result));
    }
    await client.close();
    console.log("${label}: sendEvent " + result.status + " (" + result.requestId + ")");
  } finally {
    await server.close();
  }
}
main().catch((error) => { console.error("${label}:", error); process.exit(1); });
`;
}

/**
 * Type-checks an `import` and a `require` of every entry point as a consumer on Node 20
 * types would (node16 resolution, no DOM lib, `skipLibCheck: false`), so a `.d.ts` that
 * only compiles with Deno's or the build's extra globals fails here.
 */
function checkConsumerTypes(dir: string, name: string, exportKeys: readonly string[]): void {
  const specifiers = exportKeys.map((key) => key === "." ? name : `${name}${key.slice(1)}`);
  const files = ["consumer.mts", "consumer.cts"].map((file) => join(dir, file));
  for (const file of files) {
    Deno.writeTextFileSync(
      file,
      specifiers.map((specifier, i) => `import * as entry${i} from "${specifier}";\n`).join("") +
        `export const entries = [${specifiers.map((_, i) => `entry${i}`).join(", ")}];\n`,
    );
  }
  const { options, errors } = ts.convertCompilerOptionsFromJson({
    module: "NodeNext",
    moduleResolution: "NodeNext",
    target: "ES2022",
    lib: ["ES2023"],
    types: ["node"],
    typeRoots: [join(NPM, "node_modules", "@types")],
    strict: true,
    noEmit: true,
    skipLibCheck: false,
  }, dir);
  const program = ts.createProgram({ rootNames: files, options });
  const diagnostics = [...errors, ...ts.getPreEmitDiagnostics(program)];
  if (diagnostics.length > 0) {
    throw new BuildError(
      `the published types fail a consumer's type-check:\n${formatDiagnostics(diagnostics)}`,
    );
  }
}

async function smokeTest(
  tarball: string,
  name: string,
  exportKeys: readonly string[],
): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vectorvue-npm-smoke-" });
  const fixtures = join(TESTS, "fixtures");
  try {
    await writeFile(
      join(dir, "package.json"),
      JSON.stringify({ name: "vectorvue-npm-smoke", version: "0.0.0", private: true }),
    );
    await run("npm", ["install", "--no-audit", "--loglevel=error", tarball], dir);
    checkConsumerTypes(dir, name, exportKeys);
    await writeFile(
      join(dir, "smoke.mjs"),
      smokeScript(
        `import { readFileSync } from "node:fs";
import { VectorVueClient } from "${name}";
import { createVectorVueEmulator } from "${name}/testing";`,
        "import",
      ),
    );
    await writeFile(
      join(dir, "smoke.cjs"),
      smokeScript(
        `const { readFileSync } = require("node:fs");
const { VectorVueClient } = require("${name}");
const { createVectorVueEmulator } = require("${name}/testing");`,
        "require",
      ),
    );
    const lines = [];
    for (const file of ["smoke.mjs", "smoke.cjs"]) {
      lines.push((await run("node", [file, fixtures], dir)).trim());
    }
    // The installed `vectorvue` bin, against the emulator it serves with certificates it makes.
    const qa = await run(join(dir, "node_modules", ".bin", "vectorvue"), ["qa"], dir);
    lines.push(`vectorvue qa: ${qa.trim().split("\n").at(-1)}`);
    const bun = await run("npx", ["-y", `bun@${BUN_VERSION}`, "smoke.mjs", fixtures], dir);
    lines.push(`bun ${bun.trim()}`);
    await Deno.remove(dir, { recursive: true });
    return lines.join("; ");
  } catch (error) {
    // The project is left in place so the failure can be reproduced there.
    if (error instanceof BuildError) error.message += `\n(smoke project kept in ${dir})`;
    throw error;
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseArgs(Deno.args);
  const deno = await readDenoJson();
  const version = options.version ?? deno.version;
  const problem = versionProblem(version);
  if (problem !== undefined) throw new BuildError(problem);
  const pkg = packageJson(deno, version);

  // node_modules survives rebuilds: reinstalling it is the slowest part otherwise.
  await Deno.mkdir(NPM, { recursive: true });
  for (const entry of Deno.readDirSync(NPM)) {
    if (entry.name !== "node_modules") {
      await Deno.remove(join(NPM, entry.name), { recursive: true });
    }
  }
  await writeFile(join(NPM, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  for (const file of ["README.md", "LICENSE"]) {
    if (!(await exists(join(ROOT, file)))) throw new BuildError(`${file} is missing`);
    await Deno.copyFile(join(ROOT, file), join(NPM, file));
  }
  // The guides, beside the README, for the tests that run their examples from npm/test/; the
  // package's `files` leaves them out of the tarball.
  for (const guide of guidePages()) {
    await Deno.mkdir(dirname(join(NPM, guide)), { recursive: true });
    await Deno.copyFile(join(ROOT, guide), join(NPM, guide));
  }
  // One install for everything: a later `npm install` would prune what this one added.
  // It brings the package's own dependency range (undici) too, from package.json.
  const sources = packageSources(deno);
  const tests = options.skipTests ? undefined : await testGraph(deno, new Set(sources));
  const testPackages = tests?.packages ?? [];
  await run("npm", [
    "install",
    "--no-save",
    "--no-package-lock",
    "--no-audit",
    "--loglevel=error",
    `@types/node@${TYPES_NODE}`,
    ...testPackages,
  ], NPM);
  const undici = JSON.parse(
    await Deno.readTextFile(join(NPM, "node_modules", "undici", "package.json")),
  );
  step(
    "install",
    [`undici ${undici.version}`, `@types/node ${TYPES_NODE}`, ...testPackages].join(", ") +
      " in npm/node_modules",
  );

  const modules = await compilePackage(sources, version);
  for (const bin of Object.values(BIN)) {
    const path = join(NPM, bin);
    await Deno.writeTextFile(path, `#!/usr/bin/env node\n${await Deno.readTextFile(path)}`);
  }
  step("compile", `${modules} modules → npm/esm, npm/script (+ .d.ts)`);

  await writeLegacySubpathStubs(pkg);
  await checkExports(deno);
  await checkEntryPointsLoad(pkg);
  await checkBuiltVersion(version);
  step("exports", `${Object.keys(deno.exports).join(", ")} agree with deno.json and load`);

  const packDir = await Deno.makeTempDir({ prefix: "vectorvue-npm-pack-" });
  try {
    const tarball = await pack(packDir);
    const bytes = await Deno.readFile(tarball.path);
    step("pack", `${relative(packDir, tarball.path)}: ${tarball.files} files, ${tarball.size} B`);
    step("publint", await runPublint(bytes));
    step("attw", await runAttw(bytes));

    if (!tests) {
      step("test", "skipped (--skip-tests)");
    } else {
      const testFiles = await compileTests(tests, new Set(sources));
      if (testFiles.length === 0) throw new BuildError("no tests/**/*_test.ts to run");
      step(
        "test",
        `${testFiles.length} test files compiled into npm/test; running node --test and bun test`,
      );
      // Node and Bun side by side, one core each (CI has two): Node's report is shown as it runs,
      // Bun's (or why it failed) when it ends, so the two never interleave.
      const started = performance.now();
      const since = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
      const [node, bun] = await Promise.allSettled([
        run(
          "node",
          [
            "--test",
            "--test-reporter=spec",
            // A hung test must fail the build rather than stall CI.
            "--test-timeout=60000",
            ...testFiles.map((file) => relative(NPM, file)),
          ],
          NPM,
          true,
        ).then(() => console.log(`build_npm: node --test passed (${since()})`)),
        // `bun test` runs node:test files; the package's runtime seam hands over to Bun's.
        run(
          "npx",
          [
            "-y",
            `bun@${BUN_VERSION}`,
            "test",
            "--timeout=60000",
            ...testFiles.map((file) => `./${relative(NPM, file)}`),
          ],
          NPM,
          false,
          true,
        ).then((report) =>
          console.log(`${report.trim()}\nbuild_npm: bun test passed (${since()})`)
        ),
      ]);
      for (const result of [node, bun]) {
        if (result.status === "rejected") throw result.reason;
      }
      step("test", `node --test and bun ${BUN_VERSION} test passed`);
    }

    if (options.skipPack) {
      step("smoke", "skipped (--skip-pack)");
    } else {
      step("smoke", await smokeTest(tarball.path, deno.name, Object.keys(deno.exports)));
    }
  } finally {
    await Deno.remove(packDir, { recursive: true });
  }
  const total = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`build_npm: done, ${deno.name}@${version} in npm/ (${total} s)`);
}

try {
  await main();
} catch (error) {
  console.error(
    `build_npm: FAILED: ${error instanceof BuildError ? error.message : error}`,
  );
  Deno.exit(1);
}
