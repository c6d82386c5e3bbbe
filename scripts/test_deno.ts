// The Deno test run of `deno task test`: two `deno test` processes side by side. The long
// scenarios that spend their time waiting and assert no time (memory through a 20 s outage, the
// random-kill soak, Ctrl+C through `npx deno task`) run in one; everything else, with the
// doc tests and the timed rate-limit scenarios, in the other. On a 2-core machine this takes
// minutes off CI without putting the timed scenarios beside a CPU-bound neighbour.
//
//   deno run -A scripts/test_deno.ts [extra deno test flags...]
//
// The side run's output is printed when it ends (so neither interleaves with the other); the
// script exits non-zero when either run fails.

/** Test files that wait rather than compute, and assert no elapsed time. */
const WAITING = [
  "tests/delivery/batcher_memory_slow_test.ts",
  "tests/delivery/spool_kill_soak_slow_test.ts",
  "tests/cli/interrupt_slow_test.ts",
];

const extra = Deno.args;
const root = new URL("..", import.meta.url);

function deno(args: string[], piped: boolean): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...extra, ...args],
    cwd: root,
    stdout: piped ? "piped" : "inherit",
    stderr: piped ? "piped" : "inherit",
  }).spawn();
}

const side = deno(WAITING, true);
const main = deno([
  "--doc",
  ...WAITING.map((file) => `--ignore=${file}`),
  "tests/",
  "mod.ts",
  "src/",
], false);
const [mainStatus, sideOutput] = await Promise.all([main.status, side.output()]);
console.log(`\n---- ${WAITING.join(", ")} (run beside the rest) ----`);
await Deno.stdout.write(sideOutput.stdout);
await Deno.stderr.write(sideOutput.stderr);
const failed = [
  ...(mainStatus.success ? [] : ["the main run"]),
  ...(sideOutput.success ? [] : ["the waiting scenarios"]),
];
if (failed.length > 0) {
  console.error(`test_deno: ${failed.join(" and ")} failed`);
  Deno.exit(1);
}
console.log("test_deno: both runs passed");
