// `deno task ship-soak`: the acceptance lines of issue 22 at full size, against the emulator
// served over HTTPS on 127.0.0.1, with `vectorvue ship` as a child process (as CI runs the small
// versions in tests/cli/ship_*_test.ts), and a report of what each measured.
//
//   deno run -A scripts/ship_soak.ts [--only NAME[,NAME...]]
//
// Scenarios: files (60,000 events over about 60 s, a rename and a copy-and-truncate rotation, two
// SIGKILLs), rate (the same writer at 20 requests per 5 s, then slower: lag), stdin (10,000 lines,
// SIGTERM mid-stream, the rest to a new shipper), health (/healthz with the default threshold when
// the server goes and comes back), tokens (10 s tokens for 60 s).
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  readFileSync,
  renameSync,
  truncateSync,
} from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createVectorVueEmulator, type EmulatorOptions } from "../src/testing/mod.ts";
import { fixture } from "../tests/_served.ts";
import { runCli, targetEnv, tempDir, until, withTarget } from "../tests/cli/_cli.ts";
import {
  eventLines,
  get,
  keysById,
  metricsOf,
  type Shipper,
  startShip,
} from "../tests/cli/_ship.ts";

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const report: string[] = [];
const say = (line: string) => {
  console.log(line);
  report.push(line);
};

/** Every id stored once, and no line shipped twice (one idempotency key per id). */
function exactlyOnce(
  emulator: { events(): { event_id?: string }[]; requests: Parameters<typeof keysById>[0] },
  total: number,
  prefix: string,
) {
  const ids = new Set(emulator.events().map((event) => event.event_id));
  let missing = 0;
  for (let n = 1; n <= total; n++) if (!ids.has(`${prefix}-${n}`)) missing++;
  const twice = [...keysById(emulator.requests)].filter(([, keys]) => keys.size !== 1).length;
  return { stored: emulator.events().length, missing, twice };
}

function deadLetters(state: string): number {
  const path = join(state, "dead-letter.ndjson");
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").filter(Boolean).length : 0;
}

/** A writer of `total` events at `perSecond`, calling `at(written)` after each portion. */
async function writeAt(
  path: string,
  from: number,
  to: number,
  perSecond: number,
  prefix: string,
  at: (written: number) => Promise<void> = async () => {},
): Promise<void> {
  const started = Date.now();
  for (let written = from - 1; written < to;) {
    const next = Math.min(to, written + Math.max(1, Math.round(perSecond / 10)));
    appendFileSync(path, eventLines(written + 1, next, prefix));
    written = next;
    await at(written);
    const due = started + ((written - from + 1) / perSecond) * 1000;
    await pause(Math.max(0, due - Date.now()));
  }
}

async function files(rateLimit: EmulatorOptions["rateLimit"], name: string): Promise<void> {
  await withTarget({ rateLimit }, async (target, dir) => {
    const state = join(dir, "state");
    const log = join(dir, "app.ndjson");
    const args = ["--kind", "events", "--state-dir", state, "--metrics-port", "0", `${log}*`];
    const total = 60_000;
    const start = async () => {
      const shipper = startShip(args, target.env);
      await shipper.endInput();
      return shipper;
    };
    let shipper: Shipper = await start();
    const began = Date.now();
    const kills: number[] = [];
    await writeAt(log, 1, total, 1_000, "soak", async (written) => {
      if (written === 15_000) renameSync(log, `${log}.1`);
      if (written === 45_000) {
        copyFileSync(log, `${log}.2`);
        truncateSync(log, 0);
      }
      if (written === 25_000 || written === 52_000) {
        shipper.kill("SIGKILL");
        await shipper.done;
        kills.push(target.emulator.events().length);
        shipper = await start();
      }
    });
    const lastWritten = Date.now();
    say(
      `${name}: writer done: ${total} events in ${
        ((lastWritten - began) / 1000).toFixed(1)
      } s; SIGKILLs at ${kills.join(", ")} stored`,
    );
    if (rateLimit !== false) await slower(target, shipper, log, total);
    await until(() => target.emulator.events().length >= total, 900_000);
    const delay = (Date.now() - lastWritten) / 1000;
    const once = exactlyOnce(target.emulator, total, "soak");
    shipper.kill("SIGTERM");
    const end = await shipper.done;
    say(
      `${name}: stored ${once.stored}, missing ${once.missing}, shipped twice ${once.twice}, dead letters ${
        deadLetters(state)
      }; last event stored ${delay.toFixed(1)} s after the writer's last line; exit ${end.code}`,
    );
  });
}

/** At 20 per 5 s: a writer below the limit until the lag is under a window; the lag's course. */
async function slower(
  target: { emulator: { events(): unknown[] } },
  shipper: Shipper,
  log: string,
  from: number,
): Promise<void> {
  await until(() => shipper.logs().some((line) => line.event === "started"), 30_000);
  const base = String(
    [...shipper.logs()].reverse().find((line) => line.event === "started")!.metrics,
  );
  const slowStart = Date.now();
  let written = from;
  const course: string[] = [];
  while (Date.now() - slowStart < 600_000) {
    appendFileSync(log, eventLines(written + 1, written + 100, "slow"));
    written += 100;
    await pause(1_000); // 100 a second: a quarter of what 20 requests of 100 per 5 s carry
    // Behind in delivering what was taken (the spool's oldest line), or in reading the file.
    const metrics = await metricsOf(base);
    const spoolLag = metrics.get("vectorvue_ship_spool_oldest_age_seconds") ?? 0;
    const fileLag = Math.max(
      0,
      ...[...metrics].filter(([name]) => name.startsWith("vectorvue_ship_lag_seconds{"))
        .map(([, value]) => value),
    );
    const lag = Math.max(spoolLag, fileLag);
    const t = Math.round((Date.now() - slowStart) / 1000);
    if (t % 10 === 0) course.push(`${t}s:${fileLag.toFixed(0)}+${spoolLag.toFixed(0)}`);
    if (lag < 5 && t > 5) {
      say(
        `rate: writer slowed to 100/s; lag under one window (5 s) after ${t} s (file ${
          fileLag.toFixed(1)
        } s, spool ${spoolLag.toFixed(1)} s; course t:file+spool ${course.join(" ")})`,
      );
      break;
    }
  }
  await until(() => target.emulator.events().length >= written, 600_000);
  say(`rate: ${written - from} slow events also stored`);
}

async function stdin(): Promise<void> {
  await withTarget({ rateLimit: false }, async (target, dir) => {
    const state = join(dir, "state");
    const total = 10_000;
    const all = new TextEncoder().encode(eventLines(1, total, "pipe"));
    const args = ["-", "--kind", "events", "--state-dir", state, "--json"];
    const first = startShip(args, target.env);
    for (let at = 0; at < all.length / 2; at += 8_192) {
      await first.write(all.subarray(at, at + 8_192));
      await pause(5);
    }
    await until(() => target.emulator.events().length >= 2_000, 60_000);
    first.kill("SIGTERM");
    const summary = JSON.parse((await first.done).stdout);
    const rest = await runCli(["ship", ...args], {
      env: target.env,
      stdin: new TextDecoder().decode(all.subarray(summary.stdin.bytes)),
    });
    const once = exactlyOnce(target.emulator, total, "pipe");
    say(
      `stdin: first shipper took ${summary.stdin.lines} lines (${summary.stdin.bytes} bytes) before SIGTERM; the rest: ${
        JSON.parse(rest.stdout).stdin.lines
      } lines; stored ${once.stored}, missing ${once.missing}, shipped twice ${once.twice}`,
    );
  });
}

async function health(): Promise<void> {
  const emulator = createVectorVueEmulator({ rateLimit: false });
  const tls = {
    hostname: "127.0.0.1",
    cert: fixture("server.pem"),
    key: fixture("server-key.pem"),
  };
  let server = await emulator.serve({ ...tls, port: 0 });
  const port = Number(new URL(server.url).port);
  const { dir, remove } = tempDir();
  const env = targetEnv(server.url, emulator);
  const log = join(dir, "app.ndjson");
  const shipper = startShip([
    "--kind",
    "events",
    "--state-dir",
    join(dir, "state"),
    "--metrics-port",
    "0",
    log,
  ], env);
  await shipper.endInput();
  let stopped = false;
  const writing = (async () => {
    for (let n = 0; n < 90 && !stopped; n++) {
      appendFileSync(log, eventLines(n * 50 + 1, n * 50 + 50, "health"));
      await pause(1_000);
    }
  })();
  await until(() => shipper.logs().some((line) => line.event === "started"), 30_000);
  const base = String(shipper.logs().find((line) => line.event === "started")!.metrics);
  await until(() => emulator.events().length >= 200, 30_000);
  await server.close();
  const gone = Date.now();
  while ((await get(`${base}/healthz`)).status === 200 && Date.now() - gone < 120_000) {
    await pause(250);
  }
  const toUnhealthy = (Date.now() - gone) / 1000;
  const text = (await get(`${base}/healthz`)).text.trim();
  await pause(10_000);
  server = await emulator.serve({ ...tls, port });
  const back = Date.now();
  while ((await get(`${base}/healthz`)).status !== 200 && Date.now() - back < 120_000) {
    await pause(250);
  }
  const toHealthy = (Date.now() - back) / 1000;
  stopped = true;
  await writing;
  shipper.kill("SIGTERM");
  await shipper.done;
  await server.close();
  remove();
  say(
    `health: /healthz 503 ${
      toUnhealthy.toFixed(1)
    } s after the server went (default threshold 20 s): "${text}"; 200 again ${
      toHealthy.toFixed(1)
    } s after it returned`,
  );
}

async function tokens(): Promise<void> {
  await withTarget({ rateLimit: false, tokenTtlSeconds: 10 }, async (target, dir) => {
    const state = join(dir, "state");
    const shipper = startShip(
      ["-", "--kind", "events", "--state-dir", state, "--json"],
      target.env,
    );
    let written = 0;
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      await shipper.write(eventLines(written + 1, written + 100, "token"));
      written += 100;
      await pause(500);
    }
    await shipper.endInput();
    const summary = JSON.parse((await shipper.done).stdout);
    const logins = target.emulator.requests.filter((r) => r.path.endsWith("/auth/login")).length;
    say(
      `tokens: 10 s tokens for 60 s: ${written} lines, accepted ${summary.accepted}, dead-lettered ${
        JSON.stringify(summary.deadLettered)
      }, ${logins} logins, stored ${target.emulator.events().length}`,
    );
  });
}

const SCENARIOS: Record<string, () => Promise<void>> = {
  files: () => files(false, "files"),
  rate: () => files({ requests: 20, windowMs: 5_000 }, "rate"),
  stdin,
  health,
  tokens,
};

const { values } = parseArgs({ args: Deno.args, options: { only: { type: "string" } } });
const names = values.only?.split(",") ?? Object.keys(SCENARIOS);
const commit = new TextDecoder().decode(
  new Deno.Command("git", { args: ["rev-parse", "--short", "HEAD"], stdout: "piped" }).outputSync()
    .stdout,
).trim();
say(`ship soak on commit ${commit}, ${new Date().toISOString()}, Deno ${Deno.version.deno}`);
for (const name of names) {
  const started = Date.now();
  await SCENARIOS[name]();
  say(`${name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
console.log(`\n${report.join("\n")}`);
