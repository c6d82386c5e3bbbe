import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { InterruptCounter, REPEAT_WINDOW_MS } from "../../cli/interrupts.ts";

describe("InterruptCounter", () => {
  test("a copy of a signal within the window is not counted; a later press is", () => {
    let now = 5_000;
    const counter = new InterruptCounter(() => now);
    assert.equal(counter.deliver(), 1);
    now += 2; // `deno task` forwarding the same Ctrl+C
    assert.equal(counter.deliver(), undefined);
    now += REPEAT_WINDOW_MS - 3;
    assert.equal(counter.deliver(), undefined);
    assert.equal(counter.count, 1);
    now += 5; // a distinct press, more than the window after the first
    assert.equal(counter.deliver(), 2);
    assert.equal(counter.count, 2);
  });

  test("the window runs from the last counted press, so pressing on and on still exits", () => {
    let now = 0;
    const counter = new InterruptCounter(() => now, 1_000);
    const counted = [];
    for (let i = 0; i < 8; i++, now += 300) counted.push(counter.deliver());
    assert.deepEqual(counted, [
      1,
      undefined,
      undefined,
      undefined,
      2,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
