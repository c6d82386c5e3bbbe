// The public surface, name by name: a change to what `mod.ts` or `src/testing/mod.ts` exports
// is a visible diff here (decision 78). Types are read from the entry point's text (they do not
// exist at run time); values are checked against the loaded module as well.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as root from "../mod.ts";
import * as testing from "../src/testing/mod.ts";

/** Every name an entry point's `export { ... } from` and `export type { ... } from` give. */
function exportedNames(source: string): { values: string[]; types: string[] } {
  const values: string[] = [];
  const types: string[] = [];
  for (const match of source.matchAll(/^export (type )?\{([^}]*)\} from/gm)) {
    const allTypes = match[1] !== undefined;
    for (const raw of match[2].split(",")) {
      const entry = raw.replace(/\/\/.*$/gm, "").trim();
      if (entry === "") continue;
      const isType = allTypes || entry.startsWith("type ");
      const name = entry.replace(/^type /, "").split(/\s+as\s+/).pop()!.trim();
      (isType ? types : values).push(name);
    }
  }
  return { values: values.sort(), types: types.sort() };
}

/**
 * The entry point's export statements: its source under Deno, its ES module declarations in
 * the npm build (where the tests run from `npm/test/` and the sources are not shipped).
 */
async function sourceOf(entry: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  try {
    return await readFile(new URL(`../${entry}.ts`, import.meta.url), "utf8");
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
    return await readFile(new URL(`../esm/${entry}.d.ts`, import.meta.url), "utf8");
  }
}

const ROOT = {
  values: [
    "DEFAULTS",
    "ENV_VARIABLES",
    "PATHS",
    "VERSION",
    "VectorVueAPIError",
    "VectorVueAuthError",
    "VectorVueBatcher",
    "VectorVueBatcherClosedError",
    "VectorVueClient",
    "VectorVueClientClosedError",
    "VectorVueConfigError",
    "VectorVueConflictError",
    "VectorVueError",
    "VectorVueHookError",
    "VectorVueNotFoundError",
    "VectorVuePayloadTooLargeError",
    "VectorVueRateLimitError",
    "VectorVueResponseError",
    "VectorVueSerializationError",
    "VectorVueServerError",
    "VectorVueSignatureError",
    "VectorVueSpoolError",
    "VectorVueSpoolLockedError",
    "VectorVueTokenError",
    "VectorVueTransportError",
    "VectorVueValidationError",
    "configFromEnv",
  ],
  types: [
    "APIErrorInit",
    "AddOptions",
    "BatchItemResultData",
    "BatchResultData",
    "BatcherOptions",
    "BatcherStats",
    "BulkItemResult",
    "BulkOptions",
    "BulkResult",
    "CallOptions",
    "ClientEventAccepted",
    "ClientEventType",
    "DateTimeInput",
    "DeliveryProgress",
    "EnvelopeError",
    "EnvelopeSignature",
    "EnvelopeStatus",
    "EventAccepted",
    "EventSeverity",
    "FindingAccepted",
    "FindingSeverity",
    "FindingStatus",
    "Hook",
    "HookContext",
    "IdempotencyKeyMaker",
    "IngestCounts",
    "IngestStatusData",
    "ItemOrigin",
    "ItemOutcome",
    "LogFields",
    "Logger",
    "PauseInfo",
    "PayloadProblem",
    "RateLimit",
    "RejectedItem",
    "ResponseEnvelope",
    "SendEventOptions",
    "SignatureState",
    "SpoolFailure",
    "SpoolOptions",
    "SpoolStats",
    "TransportFailureKind",
    "VectorVueClientEvent",
    "VectorVueConfig",
    "VectorVueDefaults",
    "VectorVueEvent",
    "VectorVueFinding",
    "VectorVueHooks",
    "VectorVuePaths",
  ],
};

const TESTING = {
  values: ["EMULATOR_DEFAULTS", "createVectorVueEmulator", "pythonCanonicalJson"],
  types: [
    "EmulatorOptions",
    "EmulatorUser",
    "Fault",
    "RecordedRequest",
    "ServeOptions",
    "ServedEmulator",
    "StoredClientEvent",
    "StoredEvent",
    "StoredFinding",
    "TokenClaims",
    "VectorVueEmulator",
  ],
};

test("mod.ts exports exactly the public surface", async () => {
  const names = exportedNames(await sourceOf("mod"));
  assert.deepEqual(names, ROOT);
  assert.deepEqual(Object.keys(root).sort(), ROOT.values);
});

test("src/testing/mod.ts exports exactly the emulator's surface", async () => {
  const names = exportedNames(await sourceOf("src/testing/mod"));
  assert.deepEqual(names, TESTING);
  assert.deepEqual(Object.keys(testing).sort(), TESTING.values);
});

test("the option-validation vocabulary is not public", () => {
  for (
    const name of [
      "VECTORVUE_OPTIONS",
      "OptionRule",
      "OptionSpec",
      "KNOWN_OPTIONS",
      "DefaultedOption",
    ]
  ) {
    assert.equal(name in root, false, name);
    assert.equal(ROOT.types.includes(name), false, name);
  }
});
