// Input the client refuses before a single byte leaves: payloads JSON cannot carry, oversized
// batches, malformed request ids, idempotency keys and per-call options. The emulator (behind an injected fetch)
// proves that nothing was sent, not even a login.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type CallOptions,
  type SendEventOptions,
  VectorVueClient,
  VectorVueConfigError,
  VectorVueSerializationError,
} from "../../mod.ts";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import { withTempDir } from "../delivery/_spool_helpers.ts";
import { credentialsOf, rejection, rejectionOf, sampleEvent, sampleFinding } from "./_helpers.ts";

type Call = (client: VectorVueClient) => Promise<unknown>;

const shown = (text: string) =>
  text.length > 20
    ? `${JSON.stringify(text.slice(0, 8))}… (${text.length} characters)`
    : JSON.stringify(text);

/** A client of an in-memory emulator that records every request. */
function clientOf(emulator: ReturnType<typeof createVectorVueEmulator>, maxBatchSize = 2) {
  return new VectorVueClient({
    ...credentialsOf(emulator),
    maxBatchSize,
    fetch: (input, init) => emulator.fetch(new Request(input, init)),
  });
}

const cyclic: Record<string, unknown> = { ...sampleEvent() };
cyclic.metadata = { parent: cyclic };

/** [title, call, expected message, expected path] */
const CASES: [string, Call, string, string][] = [
  [
    "a string as an event",
    (c) => c.sendEvent("not an event" as never),
    "event must be an object, got string",
    "event",
  ],
  [
    "null as an event",
    (c) => c.sendEvent(null as never),
    "event must be an object, got null",
    "event",
  ],
  [
    "an array as an event",
    (c) => c.sendEvent([sampleEvent()] as never),
    "event must be an object, got an array",
    "event",
  ],
  [
    "a BigInt in an event",
    (c) => c.sendEvent(sampleEvent({ metadata: { bytes: 10n } })),
    "event.metadata.bytes is a BigInt, which JSON cannot carry",
    "event.metadata.bytes",
  ],
  [
    "NaN in a finding",
    (c) => c.sendFinding(sampleFinding({ metadata: { score: NaN } })),
    "finding.metadata.score is the non-finite number NaN, which JSON cannot carry",
    "finding.metadata.score",
  ],
  [
    "a function in client telemetry",
    (c) =>
      c.sendClientEvent({ event_type: "FINDING_VIEWED", object_type: () => "finding" } as never),
    "event.object_type is a function, which JSON cannot carry",
    "event.object_type",
  ],
  [
    "a cycle in an event",
    (c) => c.sendEvent(cyclic as never),
    "event.metadata.parent refers back to itself (a cycle)",
    "event.metadata.parent",
  ],
  [
    "a Map in a batch item",
    (c) => c.sendEventsBatch([sampleEvent(), sampleEvent({ metadata: new Map() })]),
    "events[1].metadata is a Map, which JSON cannot carry faithfully; convert it to a plain object or array",
    "events[1].metadata",
  ],
  [
    "a batch one over maxBatchSize",
    (c) => c.sendEventsBatch([sampleEvent(), sampleEvent(), sampleEvent()]),
    "events has 3 items, more than maxBatchSize (2); split it or use sendEvents()/sendFindings(), which split for you",
    "events",
  ],
  [
    "an empty findings batch",
    (c) => c.sendFindingsBatch([]),
    "findings is empty; send at least one item",
    "findings",
  ],
  [
    "a findings batch holding a number",
    (c) => c.sendFindingsBatch([sampleFinding(), 7 as never]),
    "findings[1] must be an object, got number",
    "findings[1]",
  ],
  ...["../../etc/passwd", "", "a".repeat(129), "id with space", "ïd", "a/b"].map((
    requestId,
  ): [string, Call, string, string] => [
    `the request id ${shown(requestId)}`,
    (c) => c.getIngestStatus(requestId),
    "requestId must be 1-128 characters of letters, digits and ._:- (a request_id the server returned)",
    "requestId",
  ]),
  [
    "a request id that is not a string",
    (c) => c.getIngestStatus(42 as unknown as string),
    "requestId must be 1-128 characters of letters, digits and ._:- (a request_id the server returned)",
    "requestId",
  ],
];

/** [title, call, expected problems]: bad per-call options, a VectorVueConfigError. */
const OPTION_CASES: [string, Call, string[]][] = [
  ...["", "has space", "é", "line\nbreak", "k".repeat(256)].map((
    idempotencyKey,
  ): [string, Call, string[]] => [
    `the idempotency key ${shown(idempotencyKey)}`,
    (c) => c.sendEvent(sampleEvent(), { idempotencyKey }),
    ["idempotencyKey must be 1-255 visible ASCII characters"],
  ]),
  [
    "a misspelled sendEvent option",
    (c) => c.sendEvent(sampleEvent(), { idempotency_key: "k" } as SendEventOptions),
    ['sendEvent: unknown option "idempotency_key" (did you mean "idempotencyKey"?)'],
  ],
  [
    "a misspelled sendFinding option",
    (c) => c.sendFinding(sampleFinding(), { signl: undefined } as CallOptions),
    ['sendFinding: unknown option "signl" (did you mean "signal"?)'],
  ],
  [
    "a signal that is not an AbortSignal",
    (c) => c.sendEventsBatch([sampleEvent()], { signal: 5 } as unknown as CallOptions),
    ["sendEventsBatch: signal must be an AbortSignal"],
  ],
  [
    "options that are not an object",
    (c) => c.getIngestStatus("req-1", "fast" as unknown as CallOptions),
    ["getIngestStatus options must be an object, got string"],
  ],
];

describe("bad input is refused before anything is sent", () => {
  for (const [title, call, message, path] of CASES) {
    test(`${title} is a VectorVueSerializationError and no request`, async () => {
      const emulator = createVectorVueEmulator();
      const client = clientOf(emulator);
      const error = await rejectionOf(call(client), VectorVueSerializationError);
      assert.equal(error.name, "VectorVueSerializationError");
      assert.equal(error.message, message);
      assert.equal(error.path, path);
      assert.equal(emulator.requests.length, 0);
      await client.close();
    });
  }

  for (const [title, call, problems] of OPTION_CASES) {
    test(`${title} is a VectorVueConfigError and no request`, async () => {
      const emulator = createVectorVueEmulator();
      const client = clientOf(emulator);
      const error = await rejectionOf(call(client), VectorVueConfigError);
      assert.deepEqual(error.problems, problems);
      assert.equal(emulator.requests.length, 0);
      await client.close();
    });
  }

  test("sendEvents() with a non-array rejects before anything is sent", async () => {
    const emulator = createVectorVueEmulator();
    const client = clientOf(emulator);
    const error = await rejectionOf(
      client.sendEvents({} as never),
      VectorVueSerializationError,
    );
    assert.equal(error.message, "events must be an array");
    assert.equal(emulator.requests.length, 0);
    await client.close();
  });

  test("an event nested 5 000 levels deep is a VectorVueSerializationError, not a RangeError", async () => {
    const emulator = createVectorVueEmulator();
    const client = clientOf(emulator);
    const event = sampleEvent();
    let node: Record<string, unknown> = event;
    for (let level = 0; level < 5_000; level++) node = node.a = {};
    const error = await rejection(client.sendEvent(event));
    assert.ok(
      error instanceof VectorVueSerializationError,
      `${(error as Error).name}: ${(error as Error).message}`,
    );
    assert.match(error.message, /^event(\.a)+ is nested more than \d+ levels deep/);
    assert.equal(emulator.requests.length, 0);
    await client.close();
  });
});

/** Items that throw while they are read, each with what it throws and where. */
function throwingItems(): [string, () => Record<string, unknown>, string, string?][] {
  const boom = new Error("getter exploded");
  const revoked = Proxy.revocable({ ...sampleEvent() }, {});
  revoked.revoke();
  return [
    [
      "a throwing getter",
      () =>
        Object.defineProperty({ ...sampleEvent() }, "message", {
          enumerable: true,
          get: () => {
            throw boom;
          },
        }),
      "event.message",
    ],
    [
      "a throwing getter deep inside",
      () => ({
        ...sampleEvent(),
        metadata: {
          get nested() {
            throw boom;
          },
        },
      }),
      "event.metadata.nested",
    ],
    [
      "a throwing toJSON",
      () => ({
        ...sampleEvent(),
        metadata: {
          toJSON() {
            throw boom;
          },
        },
      }),
      "event.metadata",
    ],
    [
      "a Proxy whose traps throw",
      () =>
        new Proxy({ ...sampleEvent() }, {
          get: () => {
            throw new TypeError("trap says no");
          },
          ownKeys: () => {
            throw new TypeError("trap says no");
          },
        }),
      "event",
    ],
    ["a revoked Proxy", () => revoked.proxy, "event"],
    [
      "a getter that throws only on the second read",
      () => {
        let reads = 0;
        return Object.defineProperty({ ...sampleEvent() }, "message", {
          enumerable: true,
          get: () => {
            if (++reads > 1) throw boom;
            return "first read is fine";
          },
        });
      },
      "event",
      // A batch reads it a third time to find which item threw, and names the field.
      "events[0].message",
    ],
  ];
}

describe("an item that throws while it is read is a VectorVueSerializationError with cause, and no request", () => {
  const paths: [string, (c: VectorVueClient, item: Record<string, unknown>) => Promise<unknown>][] =
    [
      ["sendEvent()", (c, item) => c.sendEvent(item as never)],
      ["sendFinding()", (c, item) => c.sendFinding(item as never)],
      ["sendClientEvent()", (c, item) => c.sendClientEvent(item as never)],
      ["sendEventsBatch()", (c, item) => c.sendEventsBatch([item as never])],
      ["sendFindingsBatch()", (c, item) => c.sendFindingsBatch([item as never])],
      ["batcher.add()", async (c, item) => {
        const batcher = c.createBatcher({ kind: "events" });
        try {
          await batcher.add(item);
        } finally {
          await batcher.close();
        }
      }],
      ["a spooled batcher's add()", (c, item) =>
        withTempDir(async (dir) => {
          const batcher = c.createBatcher({ kind: "events", spool: { dir } });
          try {
            await batcher.add(item);
          } finally {
            await batcher.close();
          }
        })],
    ];
  for (const [title, make, eventPath, batchPath] of throwingItems()) {
    for (const [call, send] of paths) {
      test(`${title}: ${call}`, async () => {
        const emulator = createVectorVueEmulator();
        const client = clientOf(emulator);
        const error = await rejectionOf(send(client, make()), VectorVueSerializationError);
        assert.ok(error.cause instanceof Error, `cause: ${error.cause}`);
        assert.match(error.message, /could not be read \(reading it threw \w*Error: /);
        // The path names where the item threw, under the name each call gives its payload.
        const batch = call.includes("Batch");
        const expected = (batch ? batchPath ?? eventPath.replace(/^event/, "events[0]") : eventPath)
          .replace(/^event/, call.includes("Finding") ? "finding" : "event");
        if (!call.includes("add()")) assert.equal(error.path, expected);
        assert.equal(emulator.requests.length, 0, "nothing was sent");
        await client.close();
      });
    }
  }
});
