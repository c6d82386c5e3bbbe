// The check that `deno.json` and the generated `package.json` name the same entry points,
// each pointing at the build of the same source module. Pure, so a test can feed it a
// disagreement; `build_npm.ts` runs it on what it wrote.

/** The conditions of one `package.json` export. */
export interface Conditions {
  readonly types: string;
  readonly default: string;
}

/** One `package.json` export with its ESM and CommonJS conditions. */
export interface ExportEntry {
  readonly import: Conditions;
  readonly require: Conditions;
}

/** The fields of `package.json` that the check reads. */
export interface PackageExports {
  readonly exports: Readonly<Record<string, ExportEntry>>;
  readonly main?: string;
  readonly module?: string;
  readonly types?: string;
}

const toJs = (path: string) => path.replace(/\.ts$/, ".js");
const toDts = (path: string) => path.replace(/\.ts$/, ".d.ts");

/**
 * Every way `package.json` disagrees with `deno.json`'s `exports`, one sentence each
 * (empty when they agree). `emitted` says whether a file exists in the build output.
 */
export async function exportsProblems(
  denoExports: Readonly<Record<string, string>>,
  pkg: PackageExports,
  emitted: (path: string) => Promise<boolean>,
): Promise<string[]> {
  const problems: string[] = [];
  const pkgExports = pkg.exports ?? {};
  const denoKeys = Object.keys(denoExports).sort();
  const pkgKeys = Object.keys(pkgExports).sort();
  if (denoKeys.join("\n") !== pkgKeys.join("\n")) {
    problems.push(
      `entry points differ: deno.json has ${denoKeys.join(", ")}; package.json has ${
        pkgKeys.join(", ")
      }`,
    );
  }
  for (const key of denoKeys) {
    const entry = pkgExports[key];
    if (!entry) continue;
    const source = denoExports[key].replace(/^\.\//, "");
    const targets = [
      ["import.types", entry.import?.types, `esm/${toDts(source)}`],
      ["import.default", entry.import?.default, `esm/${toJs(source)}`],
      ["require.types", entry.require?.types, `script/${toDts(source)}`],
      ["require.default", entry.require?.default, `script/${toJs(source)}`],
    ];
    for (const [condition, target, expected] of targets) {
      if (target !== `./${expected}`) {
        problems.push(
          `exports["${key}"].${condition} is ${target}, but deno.json's ${
            denoExports[key]
          } builds to ./${expected}`,
        );
      } else if (!(await emitted(target))) {
        problems.push(`exports["${key}"].${condition}: ${target} was not emitted`);
      }
    }
  }
  const root = pkgExports["."];
  if (
    root &&
    (pkg.main !== root.require?.default || pkg.module !== root.import?.default ||
      pkg.types !== root.require?.types)
  ) {
    problems.push(`main/module/types do not match exports["."]`);
  }
  return problems;
}
