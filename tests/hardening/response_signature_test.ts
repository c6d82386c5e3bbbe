// Response signatures: the pure pieces of src/response_signature.ts against the issue's test
// vectors, then the client against the emulator (which signs as the server does) over HTTPS.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  PATHS,
  VectorVueClient,
  VectorVueResponseError,
  VectorVueSignatureError,
} from "../../mod.ts";
import { pythonCanonicalJson } from "../../src/canonical_json.ts";
import {
  computeResponseSignature,
  constantTimeEqual,
  importResponseKey,
  pythonStrFromJsonDatetime,
  signedData,
  verifyResponseSignature,
} from "../../src/response_signature.ts";
import { hmacHex } from "../../src/signing.ts";
import { createVectorVueEmulator, EMULATOR_DEFAULTS } from "../../src/testing/mod.ts";
import { capturingLogger } from "../_fake.ts";
import {
  credentialsOf,
  OTHER_TENANT,
  rejectionOf,
  sampleEvent,
  sampleFinding,
  TENANT,
  withClient,
  withEmulator,
} from "./_helpers.ts";

const KEY = "compliance-key";
const SIGNED_AT = "2026-02-22T10:00:00.000000+00:00";
const EVENT_DATA = { event_id: "evt_0123456789abcdef01234567" };
const EVENT_SIGNATURE = "a43d1dbb0db2c9bde9be8970c5c75304ded74a5ca6923ca8d09f1b63bf33ec38";
const BATCH_JSON = '{"summary":{"total":2,"accepted":1,"failed":1},"results":[' +
  '{"index":0,"item_id":"evt_a","status":"accepted","error_code":null,"error_message":null},' +
  '{"index":1,"item_id":null,"status":"failed","error_code":"validation_failed",' +
  '"error_message":"Field required — é"}]}';
const BATCH_SIGNATURE = "560cfea6ceb9da0e2c3e6ee43b0ea3e9729f88ddc7790eeec3d7290ee59cf55f";
const STATUS_TEMPLATE = PATHS.ingestStatus;

describe("computeResponseSignature() reproduces the server's test vectors", () => {
  test("signs the single-event answer as a43d1dbb…", async () => {
    const key = await importResponseKey(KEY);
    assert.equal(
      await computeResponseSignature(key, PATHS.events, TENANT, SIGNED_AT, EVENT_DATA),
      EVENT_SIGNATURE,
    );
  });

  test("signs the batch answer, non-ASCII escaped as Python does, as 560cfea6…", async () => {
    const data = JSON.parse(BATCH_JSON);
    assert.equal(
      pythonCanonicalJson(data),
      '{"results":[{"error_code":null,"error_message":null,"index":0,"item_id":"evt_a",' +
        '"status":"accepted"},{"error_code":"validation_failed",' +
        '"error_message":"Field required \\u2014 \\u00e9","index":1,"item_id":null,' +
        '"status":"failed"}],"summary":{"accepted":1,"failed":1,"total":2}}',
    );
    const key = await importResponseKey(KEY);
    assert.equal(
      await computeResponseSignature(key, PATHS.eventsBatch, TENANT, SIGNED_AT, data),
      BATCH_SIGNATURE,
    );
  });

  test("binds path, tenant and signed_at: changing any one changes the signature", async () => {
    const key = await importResponseKey(KEY);
    const variants = [
      [PATHS.findings, TENANT, SIGNED_AT],
      [PATHS.events, OTHER_TENANT, SIGNED_AT],
      [PATHS.events, TENANT, "2026-02-22T10:00:01.000000+00:00"],
    ] as const;
    for (const [path, tenant, signedAt] of variants) {
      assert.notEqual(
        await computeResponseSignature(key, path, tenant, signedAt, EVENT_DATA),
        EVENT_SIGNATURE,
        `${path} ${tenant} ${signedAt}`,
      );
    }
  });
});

describe("constantTimeEqual()", () => {
  test("is true for equal strings, the empty string included", () => {
    assert.equal(constantTimeEqual(EVENT_SIGNATURE, `${EVENT_SIGNATURE}`), true);
    assert.equal(constantTimeEqual("", ""), true);
  });

  test("is false when only the first or the last character differs", () => {
    assert.equal(constantTimeEqual(EVENT_SIGNATURE, `b${EVENT_SIGNATURE.slice(1)}`), false);
    assert.equal(constantTimeEqual(EVENT_SIGNATURE, `${EVENT_SIGNATURE.slice(0, -1)}9`), false);
  });

  test("is false for a prefix or a longer string (length differs)", () => {
    assert.equal(constantTimeEqual(EVENT_SIGNATURE, EVENT_SIGNATURE.slice(0, 32)), false);
    assert.equal(constantTimeEqual(EVENT_SIGNATURE, `${EVENT_SIGNATURE}0`), false);
  });

  test("compares whole UTF-16 code units, not just their low bits", () => {
    assert.equal(constantTimeEqual("a", "\u0161"), false); // 0x61 vs 0x161
    assert.equal(constantTimeEqual("\u{1f600}", "\u{1f600}"), true);
  });
});

describe("pythonStrFromJsonDatetime()", () => {
  const cases: [string, string][] = [
    ["2026-02-22T10:00:00.250000Z", "2026-02-22 10:00:00.250000+00:00"],
    ["2026-02-22T10:00:00.25Z", "2026-02-22 10:00:00.250000+00:00"],
    ["2026-02-22T10:00:00Z", "2026-02-22 10:00:00+00:00"],
    ["2026-02-22T10:00:00.000000+00:00", "2026-02-22 10:00:00+00:00"],
    ["2026-02-22T10:00:00.000001-05:30", "2026-02-22 10:00:00.000001-05:30"],
  ];
  for (const [json, python] of cases) {
    test(`turns ${json} into Python's str() form ${python}`, () => {
      assert.equal(pythonStrFromJsonDatetime(json), python);
    });
  }

  test("returns strings that are not pydantic datetimes unchanged", () => {
    for (
      const text of [
        "",
        "not a date",
        "2026-02-22",
        "2026-02-22T10:00:00",
        "2026-02-22 10:00:00+00:00",
        "2026-02-22T10:00:00.1234567Z",
      ]
    ) {
      assert.equal(pythonStrFromJsonDatetime(text), text);
    }
  });

  test("signedData() converts created_at/updated_at of the status route only", () => {
    const record = {
      request_id: "r",
      created_at: "2026-02-22T10:00:00.250000Z",
      updated_at: "2026-02-22T10:00:01Z",
      endpoint: "2026-02-22T10:00:00Z",
    };
    assert.deepEqual(signedData(STATUS_TEMPLATE, record), {
      request_id: "r",
      created_at: "2026-02-22 10:00:00.250000+00:00",
      updated_at: "2026-02-22 10:00:01+00:00",
      endpoint: "2026-02-22T10:00:00Z",
    });
    assert.equal(signedData(PATHS.events, record), record);
    assert.deepEqual(signedData(STATUS_TEMPLATE, ["2026-02-22T10:00:00Z"]), [
      "2026-02-22T10:00:00Z",
    ]);
  });
});

describe("verifyResponseSignature()", () => {
  const signature = { algorithm: "hmac-sha256", signed_at: SIGNED_AT, signature: EVENT_SIGNATURE };

  test("is verified for the test vector, also when the hex is upper case", async () => {
    const key = await importResponseKey(KEY);
    const upper = { ...signature, signature: EVENT_SIGNATURE.toUpperCase() };
    for (const sent of [signature, upper]) {
      assert.deepEqual(
        await verifyResponseSignature(key, PATHS.events, TENANT, sent, EVENT_DATA),
        { state: "verified" },
      );
    }
  });

  test("is a mismatch for altered data, another tenant, a wrong key or another signed_at", async () => {
    const key = await importResponseKey(KEY);
    const wrongKey = await importResponseKey("another-key");
    const mismatch = {
      state: "mismatch",
      reason: "the response signature does not match its data",
    };
    const attempts = [
      verifyResponseSignature(key, PATHS.events, TENANT, signature, { event_id: "evt_forged" }),
      verifyResponseSignature(key, PATHS.events, OTHER_TENANT, signature, EVENT_DATA),
      verifyResponseSignature(wrongKey, PATHS.events, TENANT, signature, EVENT_DATA),
      verifyResponseSignature(
        key,
        PATHS.events,
        TENANT,
        { ...signature, signed_at: "2026-02-22T10:00:01.000000+00:00" },
        EVENT_DATA,
      ),
      verifyResponseSignature(key, PATHS.findings, TENANT, signature, EVENT_DATA),
    ];
    for (const result of await Promise.all(attempts)) assert.deepEqual(result, mismatch);
  });

  test("is absent without a signature and unverified when it cannot be checked, saying why", async () => {
    const key = await importResponseKey(KEY);
    const cases: [Promise<unknown>, unknown][] = [
      [verifyResponseSignature(key, PATHS.events, TENANT, null, EVENT_DATA), { state: "absent" }],
      [
        verifyResponseSignature(undefined, PATHS.events, TENANT, signature, EVENT_DATA),
        { state: "unverified", reason: "no responseSigningKey is configured" },
      ],
      [
        verifyResponseSignature(key, PATHS.clientEvents, TENANT, signature, EVENT_DATA),
        { state: "unverified", reason: "this route's signed form cannot be rebuilt" },
      ],
      [
        verifyResponseSignature(key, PATHS.events, undefined, signature, EVENT_DATA),
        { state: "unverified", reason: "the tenant is not known" },
      ],
      [
        verifyResponseSignature(key, PATHS.events, TENANT, EVENT_SIGNATURE, EVENT_DATA),
        { state: "unverified", reason: "the signature has no signed_at and value to check" },
      ],
      [
        verifyResponseSignature(key, PATHS.events, TENANT, { ...signature, algorithm: "md5" }, {}),
        { state: "unverified", reason: "unknown algorithm md5" },
      ],
      [
        verifyResponseSignature(key, PATHS.events, TENANT, signature, { n: 1n }),
        { state: "unverified", reason: "the data has no canonical JSON form" },
      ],
    ];
    for (const [result, expected] of cases) assert.deepEqual(await result, expected);
  });

  test("cannot tell a whole-number float the server signed as 1.0 from the integer 1 (documented limitation)", async () => {
    const key = await importResponseKey(KEY);
    // Python signs a float score as `1.0`; JSON.parse hands the client the number 1.
    const pythonSigned = await hmacHex(
      key,
      new TextEncoder().encode(`${PATHS.findings}|${TENANT}|${SIGNED_AT}|{"score":1.0}`),
    );
    const result = await verifyResponseSignature(
      key,
      PATHS.findings,
      TENANT,
      { algorithm: "hmac-sha256", signed_at: SIGNED_AT, signature: pythonSigned },
      JSON.parse('{"score":1.0}'),
    );
    assert.equal(result.state, "mismatch");
  });
});

describe("response signatures end to end (emulator over HTTPS)", () => {
  test("every signed route answers with signatureState verified", async () => {
    await withEmulator({ complianceSigningKey: KEY }, async (emulator, server) => {
      await withClient(
        { baseUrl: server.url, ...credentialsOf(emulator), responseSigningKey: KEY },
        async (client) => {
          const event = await client.sendEvent(sampleEvent(), { idempotencyKey: "sig-e2e-1" });
          const replay = await client.sendEvent(sampleEvent(), { idempotencyKey: "sig-e2e-1" });
          const batch = await client.sendEventsBatch([sampleEvent(), { event_type: "x" } as never]);
          const finding = await client.sendFinding(sampleFinding());
          const findings = await client.sendFindingsBatch([sampleFinding(), sampleFinding()]);
          const status = await client.getIngestStatus(batch.requestId!);
          const results = { event, replay, batch, finding, findings, status };
          for (const [name, envelope] of Object.entries(results)) {
            assert.equal(envelope.signatureState, "verified", name);
            assert.equal(typeof envelope.signature, "object", name);
          }
          assert.equal(replay.replayed, true);
          assert.equal(batch.status, "partial");
        },
      );
    });
  });

  for (const fraction of [0, 250]) {
    test(`the status route verifies at a ${fraction} ms instant (timestamps signed in str() form)`, async () => {
      const instant = Math.floor(Date.now() / 1000) * 1000 + fraction;
      await withEmulator(
        { complianceSigningKey: KEY, now: () => instant },
        async (emulator, server) => {
          await withClient(
            { baseUrl: server.url, ...credentialsOf(emulator), responseSigningKey: KEY },
            async (client) => {
              const sent = await client.sendEventsBatch([sampleEvent()]);
              const status = await client.getIngestStatus(sent.requestId!);
              const data = status.data as { created_at: string };
              assert.equal(data.created_at.includes(".250000"), fraction === 250);
              assert.equal(status.signatureState, "verified");
            },
          );
        },
      );
    });
  }

  test("a wrong responseSigningKey makes every signed answer a VectorVueSignatureError", async () => {
    await withEmulator({ complianceSigningKey: KEY }, async (emulator, server) => {
      const { logger, records } = capturingLogger();
      await withClient(
        {
          baseUrl: server.url,
          ...credentialsOf(emulator),
          responseSigningKey: "not-the-compliance-key",
          logger,
        },
        async (client) => {
          const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueSignatureError);
          assert.ok(error instanceof VectorVueResponseError);
          assert.equal(error.name, "VectorVueSignatureError");
          assert.equal(error.errorCode, "response_signature_mismatch");
          assert.equal(error.httpStatus, 202);
          assert.match(
            error.message,
            /^POST https:\/\/[^/ ]+\/api\/v1\/integrations\/spectrastrike\/events answered 202, but the response signature does not match its data; the answer is not trusted \(request_id [0-9a-f-]{36}\)$/,
          );
          assert.ok(
            records.some((r) =>
              r.level === "error" && r.message === "vectorvue response signature mismatch"
            ),
          );
          await rejectionOf(client.sendFindingsBatch([sampleFinding()]), VectorVueSignatureError);
        },
      );
    });
  });

  test("without a responseSigningKey a signed answer is unverified", async () => {
    await withEmulator({ complianceSigningKey: KEY }, async (emulator, server) => {
      await withClient({ baseUrl: server.url, ...credentialsOf(emulator) }, async (client) => {
        const envelope = await client.sendEvent(sampleEvent());
        assert.equal(envelope.signatureState, "unverified");
        assert.notEqual(envelope.signature, null);
      });
    });
  });

  test("a server that does not sign gives signatureState absent, even with a key", async () => {
    await withEmulator({}, async (emulator, server) => {
      await withClient(
        { baseUrl: server.url, ...credentialsOf(emulator), responseSigningKey: KEY },
        async (client) => {
          const envelope = await client.sendEvent(sampleEvent());
          assert.equal(envelope.signatureState, "absent");
          assert.equal(envelope.signature, null);
        },
      );
    });
  });
});

describe("response signatures refuse altered answers (injected fetch)", () => {
  /** Passes requests to the emulator and lets `alter` rewrite each JSON answer. */
  function alteringFetch(
    emulator: ReturnType<typeof createVectorVueEmulator>,
    alter: (body: Record<string, unknown>, request: Request) => void,
  ): typeof fetch {
    return async (input, init) => {
      const request = new Request(input, init);
      const response = await emulator.fetch(request.clone());
      if (!response.headers.get("content-type")?.includes("json")) return response;
      const body = await response.json();
      alter(body, request);
      const headers = new Headers(response.headers);
      headers.delete("content-length");
      return new Response(JSON.stringify(body), { status: response.status, headers });
    };
  }

  test("a forged event_id in a signed answer is a VectorVueSignatureError", async () => {
    const emulator = createVectorVueEmulator({ complianceSigningKey: KEY });
    const client = new VectorVueClient({
      ...credentialsOf(emulator),
      responseSigningKey: KEY,
      fetch: alteringFetch(emulator, (body) => {
        const data = body.data as Record<string, unknown> | undefined;
        if (data?.event_id) data.event_id = "evt_ffffffffffffffffffffffff";
      }),
    });
    const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueSignatureError);
    assert.equal(error.errorCode, "response_signature_mismatch");
    assert.match(error.message, /the response signature does not match its data/);
    await client.close();
  });

  test("a batch answer whose failed item is flipped to accepted is a VectorVueSignatureError", async () => {
    const emulator = createVectorVueEmulator({ complianceSigningKey: KEY });
    const client = new VectorVueClient({
      ...credentialsOf(emulator),
      responseSigningKey: KEY,
      fetch: alteringFetch(emulator, (body) => {
        const results = (body.data as { results?: Record<string, unknown>[] })?.results;
        for (const result of results ?? []) result.status = "accepted";
      }),
    });
    const error = await rejectionOf(
      client.sendEventsBatch([sampleEvent(), { event_type: "incomplete" } as never]),
      VectorVueSignatureError,
    );
    assert.equal(error.httpStatus, 202);
    await client.close();
  });

  test("an answer signed for another tenant is a VectorVueSignatureError", async () => {
    const other = {
      username: "other",
      password: "other-password",
      tenantId: OTHER_TENANT,
      role: "operator",
    };
    const emulator = createVectorVueEmulator({
      complianceSigningKey: KEY,
      users: [EMULATOR_DEFAULTS, other],
    });
    const otherToken = await emulator.issueToken({ sub: "other", tenant_id: OTHER_TENANT });
    // A confused proxy answers with the other tenant's session.
    const fetchImpl: typeof fetch = (input, init) => {
      const request = new Request(input, init);
      if (request.headers.has("authorization")) {
        request.headers.set("authorization", `Bearer ${otherToken}`);
      }
      return emulator.fetch(request);
    };
    const client = new VectorVueClient({
      token: await emulator.issueToken(),
      responseSigningKey: KEY,
      fetch: fetchImpl,
    });
    await rejectionOf(client.sendEvent(sampleEvent()), VectorVueSignatureError);
    await client.close();
  });
});
