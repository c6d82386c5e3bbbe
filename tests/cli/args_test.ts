import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { didYouMean, type FlagSpec, parseArgs, UsageError } from "../../cli/args.ts";

const SPECS: FlagSpec[] = [
  { name: "kind", type: "string", help: "" },
  { name: "batch-size", type: "integer", help: "" },
  { name: "resume", type: "boolean", help: "" },
  { name: "quiet", short: "q", type: "boolean", help: "" },
  { name: "password-file", type: "string", help: "" },
];

describe("parseArgs()", () => {
  test("reads long, =value, short and boolean flags, positionals, - and --", () => {
    const parsed = parseArgs(
      ["in.ndjson", "--kind", "events", "--batch-size=250", "-q", "--resume", "--", "--x"],
      SPECS,
    );
    assert.deepEqual(parsed.flags, {
      kind: "events",
      "batch-size": 250,
      quiet: true,
      resume: true,
    });
    assert.deepEqual(parsed.positionals, ["in.ndjson", "--x"]);
    assert.deepEqual(parseArgs(["-"], SPECS).positionals, ["-"]);
  });

  test("reports every problem at once, with a did-you-mean for a typo", () => {
    assert.throws(
      () =>
        parseArgs(
          ["--batchsize", "5", "--kind", "--resum", "--batch-size", "many", "--kind"],
          SPECS,
        ),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.deepEqual(error.problems, [
          "unknown option --batchsize (did you mean --batch-size?)",
          "--kind needs a value (VALUE)",
          "unknown option --resum (did you mean --resume?)",
          '--batch-size must be a whole number, got "many"',
          "--kind needs a value (VALUE)",
        ]);
        return true;
      },
    );
  });

  test("refuses secrets as flags and names where they go, without echoing the value", () => {
    assert.throws(
      () => parseArgs(["--password", "hunter2", "--token=abc.def.ghi"], SPECS),
      (error: unknown) => {
        assert.ok(error instanceof UsageError);
        assert.equal(error.problems.length, 2);
        assert.match(
          error.problems[0],
          /--password is not accepted: .* process list; use VECTORVUE_PASSWORD or --password-file FILE/,
        );
        assert.match(
          error.problems[1],
          /--token is not accepted: .*VECTORVUE_TOKEN or --token-file FILE/,
        );
        assert.doesNotMatch(error.message, /hunter2|abc\.def/);
        return true;
      },
    );
  });

  test("command names get the client's did-you-mean too", () => {
    assert.equal(didYouMean("staus", ["send", "status", "whoami"]), "status");
    assert.equal(didYouMean("sned", ["send", "status", "whoami"]), "send");
    assert.equal(didYouMean("xyz", ["send", "status"]), undefined);
  });
});
