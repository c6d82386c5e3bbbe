// Property-based tests of option validation: any options object makes a client or one
// VectorVueConfigError, whose message never repeats a secret that was given.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { VectorVueClient, VectorVueConfigError } from "../../mod.ts";
import { makeJwt } from "../_fake.ts";
import { CA, TENANT } from "./_helpers.ts";

const RUNS = 200;
const SECRET_PREFIX = "S3CRET-";

/** Junk of every kind JavaScript has. */
const junk = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withNullPrototype: true,
    withObjectString: true,
    withSet: true,
    withSparseArray: true,
    withTypedArray: true,
  }),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, () => {}, Symbol("option"), 2n ** 64n),
);

/** A secret-looking string that no other option can contain by chance. */
const secret = fc.string({ minLength: 1, maxLength: 20 }).map((text) => SECRET_PREFIX + text);

/** For each option: plausible values, edge values, and junk. */
const OPTION_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  baseUrl: fc.oneof(
    fc.constantFrom(
      "https://vectorvue.test",
      "https://vectorvue.test/proxy/",
      "http://127.0.0.1:8080",
      "https://user:pw@vectorvue.test",
      "https://vectorvue.test/?q=1#f",
      "ftp://vectorvue.test",
      "not a url",
      "",
    ),
    fc.webUrl(),
    fc.string(),
  ),
  username: fc.oneof(fc.constant("operator"), fc.string()),
  password: secret,
  tenantId: fc.oneof(fc.constant(TENANT), fc.uuid(), fc.string()),
  token: fc.oneof(
    fc.constant(makeJwt({ tenant_id: TENANT, exp: 4_000_000_000 })),
    fc.record({ tenant_id: fc.jsonValue(), exp: fc.jsonValue() }, { requiredKeys: [] }).map(
      (claims) => makeJwt(claims),
    ),
    secret,
  ),
  timeoutMs: fc.oneof(fc.double(), fc.integer()),
  verifyTls: fc.boolean(),
  caCerts: fc.oneof(
    fc.constant([CA]),
    fc.array(fc.oneof(fc.constant(CA), fc.string())),
    fc.constant(CA),
  ),
  tls: fc.oneof(fc.constant({ cert: CA, key: CA }), fc.record({ cert: junk, key: junk })),
  http2: fc.boolean(),
  maxRetries: fc.oneof(fc.integer({ min: -2, max: 10 }), fc.double()),
  backoffMs: fc.oneof(fc.nat(), fc.double()),
  maxBackoffMs: fc.oneof(fc.nat(), fc.double()),
  maxBatchSize: fc.oneof(fc.integer({ min: -1, max: 2000 }), fc.double()),
  signatureSecret: secret,
  responseSigningKey: secret,
  requireHttps: fc.boolean(),
  maxResponseBytes: fc.oneof(fc.integer({ min: -1, max: 2 ** 40 }), fc.double()),
  logger: fc.oneof(
    fc.constant(console),
    fc.record({ debug: fc.func(fc.constant(undefined)), info: junk }),
  ),
  fetch: fc.constant(fetch),
};

/** An options object: any subset of the options, each plausible or junk, plus unknown keys. */
const options = fc.tuple(
  fc.record(
    Object.fromEntries(
      Object.entries(OPTION_VALUES).map((
        [name, values],
      ) => [name, fc.oneof({ arbitrary: values, weight: 4 }, { arbitrary: junk, weight: 1 })]),
    ),
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), junk, { maxKeys: 2 }),
).map(([known, unknown]) => ({ ...unknown, ...known }));

describe("property: any options make a client or one VectorVueConfigError", () => {
  test(`${RUNS} random option objects`, async () => {
    await fc.assert(
      fc.asyncProperty(options, async (given) => {
        let client: VectorVueClient | undefined;
        try {
          client = new VectorVueClient(given as never);
        } catch (error) {
          assert.ok(
            error instanceof VectorVueConfigError,
            `not a VectorVueConfigError: ${(error as Error)?.name}: ${(error as Error)?.message}`,
          );
          assert.ok(error.problems.length > 0);
          assert.ok(error.problems.every((problem) => typeof problem === "string"));
          assert.equal(
            error.message,
            `Invalid VectorVue configuration: ${error.problems.join("; ")}`,
          );
          assert.ok(
            !error.message.includes(SECRET_PREFIX),
            `a secret is repeated in: ${error.message}`,
          );
          return;
        }
        // What was accepted prints without its secrets.
        assert.ok(!JSON.stringify(client).includes(SECRET_PREFIX));
        await client.close();
      }),
      { numRuns: RUNS },
    );
  });

  test("options that are not an object at all are one VectorVueConfigError", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(null), fc.string(), fc.double(), fc.boolean(), fc.bigInt()),
        (given) => {
          assert.throws(
            () => new VectorVueClient(given as never),
            (error: unknown) =>
              error instanceof VectorVueConfigError &&
              error.message === "Invalid VectorVue configuration: options must be an object",
          );
        },
      ),
      { numRuns: 50 },
    );
  });
});
