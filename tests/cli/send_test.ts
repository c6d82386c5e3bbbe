// `vectorvue send` as a user runs it: a child process against the emulator over HTTPS, in Deno
// from the source and under Node from the built package.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { event, receivedItems, runCli, startCli, until, withTarget, writeEvents } from "./_cli.ts";

const lines = (text: string) => text.split("\n").filter((line) => line !== "");
const readDeadLetters = (path: string) =>
  lines(readFileSync(path, "utf8")).map((line) => JSON.parse(line));

describe("vectorvue send", () => {
  test("30,000 lines with 3 malformed and 2 rejected: exit 1, 29,995 accepted, 5 dead letters with line numbers and reasons", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 30_000, { malformed: [7, 15_000, 29_999], rejected: [2, 20_001] });
      const run = await runCli(
        ["send", input, "--kind", "events", "--batch-size", "250", "--progress-interval", "1"],
        { env: target.env },
      );
      assert.equal(run.code, 1, run.stderr);
      assert.equal(target.emulator.events().length, 29_995);
      const dead = readDeadLetters(`${input}.dead-letter.ndjson`);
      assert.deepEqual(
        dead.map((
          record,
        ) => [record.vectorvue_dead_letter.line, record.vectorvue_dead_letter.reason]),
        [[2, "rejected"], [7, "malformed"], [15_000, "malformed"], [20_001, "rejected"], [
          29_999,
          "malformed",
        ]],
      );
      assert.equal(dead[0].vectorvue_dead_letter.code, "validation_failed");
      assert.match(dead[0].vectorvue_dead_letter.message, /severity/);
      assert.deepEqual(dead[0].item, { ...event(2), severity: "apocalyptic" });
      assert.match(dead[0].vectorvue_dead_letter.request_id, /^[0-9a-f-]{36}$/);
      assert.equal(dead[1].vectorvue_dead_letter.code, "invalid_json");
      assert.equal(dead[1].raw, '{"event_id": "cli-7", broken');
      // "sent" counts what went to the server: malformed lines never do.
      assert.match(run.stdout, /^sent 29,997 events from /);
      assert.match(run.stdout, /accepted +29,995/);
      assert.match(run.stdout, /rejected +2/);
      assert.match(run.stdout, /malformed +3/);
      assert.match(run.stdout, /requests +\d+/);
      // The two rejected items are in two batches: their request ids, and only those.
      const ids = /request ids of batches with rejected items: (.*)$/m.exec(run.stdout)![1].split(
        " ",
      );
      assert.deepEqual(ids, [dead[0], dead[3]].map((d) => d.vectorvue_dead_letter.request_id));
      // Not a terminal: plain progress lines, and each malformed line reported with its number.
      assert.match(run.stderr, /^progress: [\d,]+\/~?[\d,]+ items, [\d,]+\/s, accepted /m);
      assert.doesNotMatch(run.stderr, /\r/);
      // The last progress line is printed once, and agrees with the summary.
      const progress = run.stderr.split("\n").filter((line) => line.startsWith("progress: "));
      const last = progress.at(-1)!;
      // Not even with another rate: the counts of the last two lines differ.
      const facts = (line?: string) => line?.replace(/, [\d,]+\/s,/, ",").replace(/, ETA .*$/, "");
      assert.notEqual(facts(progress.at(-2)), facts(last));
      assert.match(
        last,
        /^progress: 30,000\/30,000 items, .*accepted 29,995 rejected 2 failed 0 malformed 3/,
      );
      assert.match(run.stderr, /^line 15000: not JSON/m);
      // A completed run leaves no checkpoint behind.
      assert.equal(existsSync(join(dir, "events.ndjson.dead-letter.checkpoint.json")), false);
    });
  });

  test("--json prints exactly one JSON summary on standard output, and exit 0 when all is accepted", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 500);
      const run = await runCli(["send", input, "--kind", "events", "--json"], { env: target.env });
      assert.equal(run.code, 0, run.stderr);
      const out = lines(run.stdout);
      assert.equal(out.length, 1);
      const summary = JSON.parse(out[0]);
      assert.equal(summary.status, "completed");
      assert.equal(summary.accepted, 500);
      assert.equal(summary.rejected + summary.failed + summary.malformed, 0);
      assert.equal(summary.requests, 5);
      assert.equal(summary.deadLetter, null);
      assert.equal(target.emulator.events().length, 500);
    });
  });

  test("a JSON array of findings on standard input, with a bad element, goes through and the dead letter can be sent again once fixed", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const finding = (n: number) => ({
        finding_id: `f-${n}`,
        title: `Finding ${n}`,
        description: "Seen by the command-line test.",
        severity: "medium",
        first_seen: "2026-11-30T12:00:00Z",
      });
      const array = `[\n${[finding(1), finding(2)].map((f) => JSON.stringify(f)).join(",\n")},\n` +
        `  42,\n  ${JSON.stringify({ ...finding(3), title: "x" })}\n]\n`;
      const deadLetter = join(dir, "findings.dead.ndjson");
      const run = await runCli(["send", "-", "--kind", "findings", "--dead-letter", deadLetter], {
        env: target.env,
        stdin: array,
      });
      assert.equal(run.code, 1, run.stderr);
      assert.deepEqual(target.emulator.findings().map((f) => f.finding_id), ["f-1", "f-2"]);
      const dead = readDeadLetters(deadLetter);
      assert.deepEqual(dead.map((d) => d.vectorvue_dead_letter.line), [4, 5]);
      assert.equal(dead[0].vectorvue_dead_letter.code, "not_an_object");
      // Fix the rejected item in the dead-letter file and send that file.
      const fixed = join(dir, "fixed.ndjson");
      writeFileSync(fixed, JSON.stringify({ ...dead[1], item: finding(3) }) + "\n");
      const again = await runCli(["send", fixed, "--kind", "findings"], { env: target.env });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(target.emulator.findings().length, 3);
    });
  });

  test("--strict stops at the first malformed line, after sending what came before it", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 300, { malformed: [120] });
      const run = await runCli(["send", input, "--kind", "events", "--strict"], {
        env: target.env,
      });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /stopped: --strict: line 120 is malformed/);
      assert.equal(target.emulator.events().length, 119);
      const dead = readDeadLetters(`${input}.dead-letter.ndjson`);
      assert.deepEqual(dead.map((d) => d.vectorvue_dead_letter.line), [120]);
    });
  });

  test("killed with SIGKILL mid-run, then --resume: every valid event stored, settled items not sent again", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 6_000, { malformed: [10, 4_000] });
      // Slow batches down so the kill lands in the middle.
      target.emulator.inject({ path: /\/batch$/, delayMs: 15, count: 1_000_000 });
      const args = ["send", input, "--kind", "events", "--concurrency", "1", "--batch-size", "100"];
      const first = startCli(args, { env: target.env });
      const checkpointPath = join(dir, "events.ndjson.dead-letter.checkpoint.json");
      await until(() => target.emulator.requests.length >= 25 && existsSync(checkpointPath));
      first.kill("SIGKILL");
      const killed = await first.done;
      assert.equal(killed.signal, "SIGKILL");
      const beforeResume = target.emulator.requests.length;
      const checkpoint = JSON.parse(readFileSync(checkpointPath, "utf8"));
      assert.ok(checkpoint.next.line > 1 && checkpoint.next.line < 6_000, checkpoint.next.line);

      const resumed = await runCli([...args, "--resume"], { env: target.env });
      assert.equal(resumed.code, 1, resumed.stderr); // the two malformed lines
      assert.match(resumed.stderr, /resuming .* at line \d+/);
      const stored = new Set(target.emulator.events().map((e) => e.event_id));
      for (let n = 1; n <= 6_000; n++) {
        if (n !== 10 && n !== 4_000) assert.ok(stored.has(`cli-${n}`), `cli-${n} missing`);
      }
      assert.equal(stored.size, 5_998);
      // The resumed run starts at the checkpoint: nothing settled before it goes out again.
      const resent = target.emulator.requests.slice(beforeResume)
        .filter((r) => r.path.endsWith("/batch"))
        .flatMap((r) => JSON.parse(r.body) as Array<{ event_id: string }>);
      const firstResent = Number(resent[0].event_id.slice(4));
      assert.ok(firstResent >= checkpoint.next.line, `${firstResent} < ${checkpoint.next.line}`);
      // At most the chunk in flight at the kill was sent twice, and what went twice went under
      // the Idempotency-Key it had before the kill, with the same items.
      const all = receivedItems(target.emulator);
      assert.ok(all.length - 5_998 <= checkpoint.chunkItems, `${all.length - 5_998} sent twice`);
      const isBatch = (r: { path: string }) => r.path.endsWith("/batch");
      const ids = (body: string) =>
        (JSON.parse(body) as Array<{ event_id: string }>).map((e) => e.event_id);
      const beforeKill = target.emulator.requests.slice(0, beforeResume).filter(isBatch);
      const bodyByKey = new Map(beforeKill.map((r) => [r.headers["idempotency-key"], r.body]));
      const sentBefore = new Set(beforeKill.flatMap((r) => ids(r.body)));
      let resentBatches = 0;
      for (const request of target.emulator.requests.slice(beforeResume).filter(isBatch)) {
        if (!ids(request.body).some((id) => sentBefore.has(id))) continue;
        assert.equal(bodyByKey.get(request.headers["idempotency-key"]), request.body);
        resentBatches++;
      }
      // A batch was in flight at the kill (one always is, at concurrency 1).
      assert.ok(resentBatches >= 1);
      // The dead-letter file holds each malformed line once, despite the kill.
      const dead = readDeadLetters(`${input}.dead-letter.ndjson`);
      assert.deepEqual(dead.map((d) => d.vectorvue_dead_letter.line), [10, 4_000]);
    });
  });

  test("Ctrl+C once finishes the batches in flight, writes the checkpoint and exits 130; --resume completes", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 3_000);
      target.emulator.inject({ path: /\/batch$/, delayMs: 15, count: 1_000_000 });
      const args = ["send", input, "--kind", "events", "--concurrency", "1"];
      const first = startCli(args, { env: target.env });
      await until(() => target.emulator.requests.length >= 5);
      first.kill("SIGINT");
      const interrupted = await first.done;
      assert.equal(interrupted.code, 130, interrupted.stderr);
      assert.match(interrupted.stderr, /interrupted: finishing the batches in flight/);
      assert.match(interrupted.stdout, /^interrupted after [\d,]+ events/);
      assert.match(interrupted.stdout, /--resume/);
      const checkpoint = JSON.parse(
        readFileSync(join(dir, "events.ndjson.dead-letter.checkpoint.json"), "utf8"),
      );
      // Everything the checkpoint calls settled is on the server.
      assert.ok(target.emulator.events().length >= checkpoint.counts.accepted);
      assert.ok(checkpoint.counts.accepted < 3_000);
      const resumed = await runCli([...args, "--resume"], { env: target.env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(target.emulator.events().length, 3_000);
    });
  });

  test("a server refusing every batch stops the run: exit 1, checkpoint kept, nothing dead-lettered", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 1_000);
      target.emulator.inject({
        path: /\/batch$/,
        status: 403,
        body: '{"detail":"Tenant is inactive"}',
        count: 1_000_000,
      });
      const run = await runCli(["send", input, "--kind", "events"], { env: target.env });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stdout, /^stopped after 0 events/);
      // As curl would say it, without the client's class or request line.
      assert.match(
        run.stdout,
        /stopped: nothing delivered: HTTP 403: Tenant is inactive \(request id [0-9a-f-]{36}\)\n/,
      );
      assert.match(run.stdout, /--resume to continue/);
      assert.equal(existsSync(`${input}.dead-letter.ndjson`), false);
      assert.equal(existsSync(join(dir, "events.ndjson.dead-letter.checkpoint.json")), true);
      // Once the server takes them again, --resume sends everything.
      target.emulator.clearFaults();
      const resumed = await runCli(["send", input, "--kind", "events", "--resume"], {
        env: target.env,
      });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(target.emulator.events().length, 1_000);
    });
  });

  test("a JSON array file interrupted and resumed: every event stored", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.json");
      const events = Array.from({ length: 2_000 }, (_, i) => JSON.stringify(event(i + 1)));
      writeFileSync(input, `[\n  ${events.join(",\n  ")}\n]\n`);
      target.emulator.inject({ path: /\/batch$/, delayMs: 15, count: 1_000_000 });
      const args = ["send", input, "--kind", "events", "--concurrency", "1"];
      const first = startCli(args, { env: target.env });
      await until(() => existsSync(join(dir, "events.json.dead-letter.checkpoint.json")));
      first.kill("SIGINT");
      assert.equal((await first.done).code, 130);
      const checkpoint = JSON.parse(
        readFileSync(join(dir, "events.json.dead-letter.checkpoint.json"), "utf8"),
      );
      assert.equal(checkpoint.format, "array");
      const resumed = await runCli([...args, "--resume"], { env: target.env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(target.emulator.events().length, 2_000);
    });
  });

  test("--resume refuses a checkpoint made for a different file", async () => {
    await withTarget({ rateLimit: false }, async (target, dir) => {
      const input = join(dir, "events.ndjson");
      writeEvents(input, 1_000);
      target.emulator.inject({ path: /\/batch$/, delayMs: 15, count: 1_000_000 });
      const args = ["send", input, "--kind", "events", "--concurrency", "1"];
      const first = startCli(args, { env: target.env });
      await until(() => existsSync(join(dir, "events.ndjson.dead-letter.checkpoint.json")));
      first.kill("SIGKILL");
      await first.done;
      appendFileSync(input, JSON.stringify(event(1_001)) + "\n");
      const before = target.emulator.requests.length;
      const resumed = await runCli([...args, "--resume"], { env: target.env });
      assert.equal(resumed.code, 2);
      assert.match(resumed.stderr, /refusing to resume .*now \d+ bytes, the checkpoint saw \d+/);
      assert.equal(target.emulator.requests.length, before);
      // Without --resume, the checkpoint is not silently overwritten either.
      const fresh = await runCli(args, { env: target.env });
      assert.equal(fresh.code, 2);
      assert.match(fresh.stderr, /add --resume to continue it, or remove it to start over/);
    });
  });

  test("usage mistakes: exit 2, every problem at once, a did-you-mean, no secret flags, nothing sent", async () => {
    await withTarget({}, async (target) => {
      const run = await runCli(
        ["send", "--batchsize", "10", "--password", "hunter2-secret", "--concurrency", "x"],
        { env: target.env },
      );
      assert.equal(run.code, 2);
      assert.match(run.stderr, /unknown option --batchsize \(did you mean --batch-size\?\)/);
      assert.match(
        run.stderr,
        /--password is not accepted: .*VECTORVUE_PASSWORD or --password-file/,
      );
      assert.match(run.stderr, /--concurrency must be a whole number, got "x"/);
      assert.doesNotMatch(run.stderr + run.stdout, /hunter2-secret/);
      const missing = await runCli(["send", "nowhere.ndjson"], {
        env: { ...target.env, VECTORVUE_TIMEOUT_SECONDS: "soon" },
      });
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /--kind events\|findings is required/);
      assert.match(missing.stderr, /nowhere\.ndjson does not exist/);
      assert.match(missing.stderr, /VECTORVUE_TIMEOUT_SECONDS must be a number of seconds/);
      assert.equal(target.emulator.requests.length, 0);
    });
  });
});
