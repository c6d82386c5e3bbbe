// Property-based tests of the response path: whatever a server (or a proxy, or the network)
// answers, every call ends in a ResponseEnvelope or a VectorVueError, never another exception.
// fast-check prints the seed and the shrunk counterexample of a failure; replay it with
// `fc.assert(..., { seed, path })`.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type ResponseEnvelope,
  VectorVueClient,
  type VectorVueConfig,
  VectorVueError,
  VectorVueResponseError,
  VectorVueTokenError,
  VectorVueValidationError,
} from "../../mod.ts";
import { parseBody, readErrorFacts, toEnvelope } from "../../src/envelope.ts";
import { makeJwt } from "../_fake.ts";
import { rejection, sampleEvent, sampleFinding, TENANT } from "./_helpers.ts";

const RUNS = 200;
const SIGNATURE_STATES = ["verified", "unverified", "absent"];
const printableAscii = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  maxLength: 40,
});

// ---- bodies ---------------------------------------------------------------------------------

/** A bracket pyramid deep enough to overflow a recursive printer (as JSON text). */
const deepNesting = fc.integer({ min: 1, max: 20_000 }).map((depth) =>
  `${"[".repeat(depth)}${"]".repeat(depth)}`
);

/** A JWT whose claims are anything (the client reads, never verifies). */
const anyJwt = fc.record({
  sub: fc.jsonValue(),
  tenant_id: fc.oneof(fc.constant(TENANT), fc.jsonValue()),
  exp: fc.oneof(fc.integer(), fc.double(), fc.constant(1e300), fc.constant("soon")),
}, { requiredKeys: [] }).map((claims) => makeJwt(claims));

const signatureField = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.record({
    algorithm: fc.oneof(fc.constant("hmac-sha256"), fc.jsonValue()),
    signed_at: fc.oneof(fc.constant("2026-02-22T10:00:00.000000+00:00"), fc.jsonValue()),
    signature: fc.oneof(
      fc.string({ unit: fc.constantFrom(..."0123456789abcdef") }),
      fc.jsonValue(),
    ),
  }, { requiredKeys: [] }),
  fc.jsonValue(),
);

const errorItem = fc.oneof(
  fc.record({
    code: fc.oneof(fc.string(), fc.jsonValue()),
    message: fc.oneof(fc.string(), fc.jsonValue()),
    error_code: fc.string(),
    error_message: fc.string(),
  }, { requiredKeys: [] }),
  fc.jsonValue(),
);

/** Objects shaped more or less like what the server sends: envelopes, details, logins. */
const envelopeLike = fc.record({
  request_id: fc.oneof(fc.uuid(), fc.jsonValue()),
  status: fc.oneof(fc.constantFrom("accepted", "partial", "failed", "replayed"), fc.jsonValue()),
  data: fc.jsonValue(),
  errors: fc.oneof(fc.array(errorItem, { maxLength: 4 }), fc.jsonValue()),
  signature: signatureField,
  detail: fc.oneof(
    fc.string(),
    fc.array(
      fc.record({ loc: fc.jsonValue(), msg: fc.jsonValue(), input: fc.jsonValue() }, {
        requiredKeys: [],
      }),
    ),
    fc.jsonValue(),
  ),
  access_token: fc.oneof(anyJwt, fc.string()),
  error_code: fc.jsonValue(),
  error_message: fc.jsonValue(),
}, { requiredKeys: [] });

const shallowJsonText = fc.oneof(
  envelopeLike.map((value) => JSON.stringify(value)),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  // Truncated JSON: a cut anywhere in an envelope.
  fc.tuple(envelopeLike, fc.nat()).map(([value, cut]) => {
    const text = JSON.stringify(value);
    return text.slice(0, cut % (text.length + 1));
  }),
);

const jsonText = fc.oneof(
  { arbitrary: shallowJsonText, weight: 3 },
  // Deeply nested values where the parser reads messages and data.
  {
    arbitrary: fc.tuple(deepNesting, fc.constantFrom("errors", "detail", "data")).map((
      [nest, field],
    ) => `{"status":"failed","request_id":"r","${field}":[${nest}]}`),
    weight: 1,
  },
);

const html = fc.tuple(fc.string(), fc.string()).map(([title, text]) =>
  `<!DOCTYPE html><html><head><title>${title}</title></head><body><h1>${text}</h1></body></html>`
);

/** Strings up to ~1 MB: repeated short text, and the "<" flood that once made parsing quadratic. */
const hugeString = fc.oneof(
  fc.tuple(fc.string({ maxLength: 4 }), fc.integer({ min: 1, max: 250_000 })).map(([unit, n]) =>
    unit.repeat(n)
  ),
  fc.tuple(fc.constantFrom("<", "<title", "<a "), fc.integer({ min: 1, max: 200_000 })).map((
    [unit, n],
  ) => unit.repeat(n)),
  fc.integer({ min: 1, max: 300_000 }).map((n) => `{"detail":"${"x".repeat(n)}"}`),
);

const body: fc.Arbitrary<string | Uint8Array<ArrayBuffer>> = fc.oneof(
  { arbitrary: jsonText, weight: 4 },
  { arbitrary: fc.uint8Array({ maxLength: 2048 }), weight: 1 },
  { arbitrary: fc.string({ unit: "binary" }), weight: 1 },
  { arbitrary: html, weight: 1 },
  { arbitrary: hugeString, weight: 1 },
  { arbitrary: fc.constant(""), weight: 1 },
);

const headers = fc.record({
  "content-type": fc.constantFrom("application/json", "text/html", "text/plain", "", "x/y"),
  "date": fc.oneof(
    fc.integer({ min: -4e12, max: 4e12 }).map((ms) => new Date(Date.now() + ms).toUTCString()),
    printableAscii,
  ),
  "retry-after": fc.oneof(fc.nat().map(String), printableAscii),
  "x-idempotent-replay": fc.constantFrom("true", "false", "TRUE", " true ", "1"),
  "content-length": fc.oneof(fc.nat().map(String), printableAscii),
  "location": printableAscii,
}, { requiredKeys: [] });

const answer = fc.record({
  status: fc.integer({ min: 100, max: 599 }),
  body,
  headers,
});
type Answer = typeof answer extends fc.Arbitrary<infer T> ? T : never;

/**
 * The answer as a `Response`. `Response` refuses statuses below 200 and a body on 204/205/304, so
 * those are built as 200 and given their status afterwards, as a non-conforming runtime or proxy
 * might hand them over.
 */
function toResponse({ status, body, headers }: Answer): Response {
  const buildable = status >= 200 && ![204, 205, 304].includes(status);
  const response = new Response(body, { status: buildable ? status : 200, headers });
  if (!buildable) Object.defineProperty(response, "status", { value: status });
  return response;
}

// ---- the client under test ---------------------------------------------------------------

const CALLS = {
  login: (c: VectorVueClient) => c.login(),
  sendEvent: (c: VectorVueClient) => c.sendEvent(sampleEvent()),
  sendEventsBatch: (c: VectorVueClient) => c.sendEventsBatch([sampleEvent(), sampleEvent()]),
  sendFinding: (c: VectorVueClient) => c.sendFinding(sampleFinding()),
  sendFindingsBatch: (c: VectorVueClient) => c.sendFindingsBatch([sampleFinding()]),
  getIngestStatus: (c: VectorVueClient) => c.getIngestStatus(crypto.randomUUID()),
  sendClientEvent: (c: VectorVueClient) =>
    c.sendClientEvent({ event_type: "FINDING_VIEWED", object_type: "finding" }),
} as const;

const scenario = fc.record({
  answers: fc.array(answer, { minLength: 1, maxLength: 3 }),
  call: fc.constantFrom(...Object.keys(CALLS) as (keyof typeof CALLS)[]),
  credentials: fc.boolean(),
  maxRetries: fc.integer({ min: 0, max: 2 }),
  maxResponseBytes: fc.oneof(
    fc.constant(10 * 1024 * 1024),
    fc.integer({ min: 1, max: 64 * 1024 }),
  ),
  signatureSecret: fc.option(fc.constant("property-signing-secret"), { nil: undefined }),
  responseSigningKey: fc.option(fc.constant("property-response-key"), { nil: undefined }),
});

function assertEnvelope(value: unknown): asserts value is ResponseEnvelope {
  const envelope = value as ResponseEnvelope;
  assert.ok(envelope !== null && typeof envelope === "object");
  assert.ok(envelope.httpStatus >= 200 && envelope.httpStatus < 300, `${envelope.httpStatus}`);
  assert.ok(SIGNATURE_STATES.includes(envelope.signatureState));
  // A signature made up at random never verifies.
  assert.notEqual(envelope.signatureState, "verified");
  assert.equal(typeof envelope.status, "string");
  assert.ok(Array.isArray(envelope.errors));
  for (const error of envelope.errors) {
    assert.equal(typeof error.code, "string");
    assert.equal(typeof error.message, "string");
  }
  assert.equal(typeof envelope.ok, "boolean");
  assert.equal(typeof envelope.replayed, "boolean");
  assert.ok(Number.isInteger(envelope.retryCount));
}

describe("property: any answer yields an envelope or a VectorVueError", () => {
  test(`every call, ${RUNS} random answers (status 100-599, any body and headers)`, async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        let index = 0;
        const fetchImpl: typeof fetch = () =>
          Promise.resolve(toResponse(s.answers[index++ % s.answers.length]));
        const config: VectorVueConfig = {
          baseUrl: "https://vectorvue.test",
          ...(s.credentials
            ? { username: "operator", password: "property-password", tenantId: TENANT }
            : { token: makeJwt({ tenant_id: TENANT, exp: Date.now() / 1000 + 3600 }) }),
          maxRetries: s.maxRetries,
          backoffMs: 0,
          maxBackoffMs: 0,
          rateLimitWaitMs: 0, // a random 429 would otherwise be waited out for two minutes
          maxResponseBytes: s.maxResponseBytes,
          signatureSecret: s.signatureSecret,
          responseSigningKey: s.responseSigningKey,
          fetch: fetchImpl,
        };
        const client = new VectorVueClient(config);
        try {
          const value = await CALLS[s.call](client);
          if (s.call === "login") assert.equal(typeof value, "string");
          else assertEnvelope(value);
        } catch (error) {
          if (error instanceof assert.AssertionError) throw error;
          assert.ok(
            error instanceof VectorVueError,
            `not a VectorVueError: ${(error as Error)?.name}: ${(error as Error)?.message}`,
          );
          assert.ok(error.name.startsWith("VectorVue"), error.name);
          assert.ok(error.message.length > 0);
        } finally {
          await client.close();
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe("property: the pure parsers never throw", () => {
  const text = fc.oneof(jsonText, html, hugeString, fc.string({ unit: "binary" }));

  test("parseBody() returns JSON exactly when the trimmed text parses, text otherwise", () => {
    // Shallow JSON only: the deep-equality oracle itself would overflow on deep nesting.
    const shallow = fc.oneof(shallowJsonText, html, hugeString, fc.string({ unit: "binary" }));
    fc.assert(
      fc.property(shallow, (input) => {
        const parsed = parseBody(input);
        if (parsed.kind === "json") {
          assert.deepEqual(parsed.value, JSON.parse(input.trim()));
        } else {
          assert.equal(parsed.text, input);
        }
      }),
      { numRuns: RUNS },
    );
  });

  test("readErrorFacts() gives a message of at most 501 characters, never throwing", () => {
    const parsedBodies = fc.oneof(
      text.map(parseBody),
      fc.anything({ withNullPrototype: true, withSparseArray: true, withBigInt: true }).map((
        value,
      ) => ({ kind: "json" as const, value })),
    );
    fc.assert(
      fc.property(parsedBodies, (parsed) => {
        const facts = readErrorFacts(parsed);
        if (facts.message !== undefined) {
          assert.equal(typeof facts.message, "string");
          assert.ok(facts.message.length <= 501, `${facts.message.length}`);
        }
        assert.ok(facts.errorCode === undefined || typeof facts.errorCode === "string");
        assert.ok(facts.requestId === null || typeof facts.requestId === "string");
      }),
      { numRuns: RUNS },
    );
  });

  test("toEnvelope() builds a well-typed envelope from any JSON value and headers", () => {
    const values = fc.oneof(
      envelopeLike,
      fc.jsonValue(),
      jsonText.map(parseBody).map((parsed) => parsed.kind === "json" ? parsed.value : null),
    );
    fc.assert(
      fc.property(values, headers, fc.integer({ min: 200, max: 299 }), (value, h, status) => {
        const envelope = toEnvelope(value, {
          httpStatus: status,
          headers: h as Record<string, string>,
          retryCount: 0,
        });
        assertEnvelope(envelope);
        assert.equal(envelope.replayed, envelope.status === "replayed");
      }),
      { numRuns: RUNS },
    );
  });
});

describe("hostile answers the properties found", () => {
  const client = (fetchImpl: typeof fetch, extra: VectorVueConfig = {}) =>
    new VectorVueClient({
      baseUrl: "https://vectorvue.test",
      token: makeJwt({ tenant_id: TENANT }),
      maxRetries: 0,
      fetch: fetchImpl,
      ...extra,
    });

  test("a 422 whose errors hold 100 000 nested arrays is a VectorVueValidationError, not a RangeError", async () => {
    const nest = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const answer = () =>
      Promise.resolve(new Response(`{"status":"failed","errors":[${nest}]}`, { status: 422 }));
    const error = await rejection(client(answer).sendEvent(sampleEvent()));
    assert.ok(error instanceof VectorVueValidationError, String(error));
    assert.match(error.message, /failed with 422 validation_failed: \[nested array\] \(request_id/);
  });

  test("a 202 envelope whose errors hold deep nesting is still an envelope", async () => {
    const nest = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const answer = () =>
      Promise.resolve(
        new Response(`{"status":"accepted","request_id":"r","data":{},"errors":[${nest}]}`, {
          status: 202,
        }),
      );
    const envelope = await client(answer).sendEvent(sampleEvent());
    assert.deepEqual(envelope.errors, [{ code: "unknown", message: "[nested array]" }]);
  });

  test("a 502 body of two million '<' is described in linear time", async () => {
    const answer = () => Promise.resolve(new Response("<".repeat(2_000_000), { status: 502 }));
    const error = await rejection(client(answer).sendEvent(sampleEvent()));
    assert.ok(error instanceof VectorVueError);
    assert.match(error.message, /failed with 502 bad_gateway: <{500}… \(request_id/);
  });

  test("an HTML error page is summarised by its title", async () => {
    const page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    const answer = () => Promise.resolve(new Response(page, { status: 502 }));
    const error = await rejection(client(answer).sendEvent(sampleEvent()));
    assert.match(
      (error as Error).message,
      /^POST https:\/\/[^/ ]+\/api\/v1\/integrations\/spectrastrike\/events failed with 502 bad_gateway: 502 Bad Gateway \(request_id [0-9a-f-]{36}\)$/,
    );
  });

  test("a login answer whose token expires beyond the Date range is a VectorVueError, not a RangeError", async () => {
    const token = makeJwt({ sub: "operator", tenant_id: TENANT, exp: 1e13 });
    const answer = () =>
      Promise.resolve(Response.json({ access_token: token, token_type: "bearer" }));
    const loginClient = new VectorVueClient({
      baseUrl: "https://vectorvue.test",
      username: "operator",
      password: "property-password",
      tenantId: TENANT,
      fetch: answer,
    });
    const outcome = await loginClient.login().then((value) => value, (error) => error);
    assert.ok(
      outcome === token || outcome instanceof VectorVueError,
      `login() threw ${outcome?.name}: ${outcome?.message}`,
    );
  });

  test("a configured token that expired before the Date range is a VectorVueTokenError, not a RangeError", async () => {
    const expired = client(() => Promise.reject(new Error("nothing may be sent")), {
      token: makeJwt({ tenant_id: TENANT, exp: -1e13 }),
    });
    const error = await rejection(expired.sendEvent(sampleEvent()));
    assert.ok(error instanceof VectorVueTokenError, `${(error as Error).name}`);
    assert.match(error.message, /^the configured token expired at .+; configure username/);
  });

  test("a 200 answer that is not an envelope is a VectorVueResponseError naming what came", async () => {
    const answer = () =>
      Promise.resolve(
        new Response("<html>maintenance</html>", {
          status: 200,
          headers: { "content-type": "text/html" },
        }),
      );
    const error = await rejection(client(answer).sendEvent(sampleEvent()));
    assert.ok(error instanceof VectorVueResponseError);
    assert.equal(error.errorCode, "invalid_response");
    assert.equal(
      error.message,
      "POST https://vectorvue.test/api/v1/integrations/spectrastrike/events answered 200 with text/html (24 characters), " +
        "not the response envelope the API promises",
    );
  });
});
