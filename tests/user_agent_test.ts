// The User-Agent names this client's version, which must be the one the package is published as.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { VectorVueClient, VectorVueConfigError, VERSION } from "../mod.ts";
import { createVectorVueEmulator } from "../src/testing/mod.ts";
import { appNameProblem, userAgent } from "../src/user_agent.ts";

// Under Deno the manifest is deno.json; in the npm build's test run it is the package.json written
// from it.
function manifestVersion(): string {
  for (const name of ["../deno.json", "../package.json"]) {
    const url = new URL(name, import.meta.url);
    if (existsSync(url)) return JSON.parse(readFileSync(url, "utf8")).version;
  }
  throw new Error("no deno.json or package.json above the tests");
}

test("VERSION is the version in deno.json (package.json in the npm build)", () => {
  assert.equal(VERSION, manifestVersion());
});

test("userAgent() names the client, its version and the runtime, then the application", () => {
  assert.match(
    userAgent(),
    /^vectorvue-client\/\d+\.\d+\.\d+\S* \((deno|node|bun) \d+\.\d+\.\d+\S*\)$/,
  );
  assert.equal(userAgent().split(" ")[0], `vectorvue-client/${VERSION}`);
  assert.equal(
    userAgent("spectrastrike-sensor/4.2.0"),
    `${userAgent()} spectrastrike-sensor/4.2.0`,
  );
});

test("appName must be one product token", () => {
  assert.equal(appNameProblem("spectrastrike"), undefined);
  assert.equal(appNameProblem("spectrastrike-sensor/4.2.0"), undefined);
  for (const bad of ["two words", "a/b/c", "", "new\r\nline", 42]) {
    assert.match(appNameProblem(bad) ?? "", /^appName must be an HTTP product token/, String(bad));
  }
});

test("the emulator records the User-Agent the client sent over HTTPS, naming the manifest's version", async () => {
  const fixture = (name: string) =>
    readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
  const emulator = createVectorVueEmulator();
  const server = await emulator.serve({
    cert: fixture("server.pem"),
    key: fixture("server-key.pem"),
  });
  const plain = new VectorVueClient({
    baseUrl: server.url,
    ...emulator.defaults,
    caCerts: [fixture("ca.pem")],
  });
  const named = new VectorVueClient({
    baseUrl: server.url,
    ...emulator.defaults,
    caCerts: [fixture("ca.pem")],
    appName: "spectrastrike-sensor/4.2.0",
  });
  try {
    await plain.login();
    await named.login();
    const [first, second] = emulator.requests.map((request) => request.userAgent);
    const runtime = /^vectorvue-client\/(\S+) \((deno|node|bun) [^)]+\)$/.exec(first ?? "");
    assert.ok(runtime, `unexpected User-Agent ${first}`);
    assert.equal(runtime[1], manifestVersion());
    assert.equal(second, `${first} spectrastrike-sensor/4.2.0`);
  } finally {
    await plain.close();
    await named.close();
    await server.close();
  }
});

test("a bad appName is a VectorVueConfigError before anything is sent", () => {
  assert.throws(
    () => new VectorVueClient({ token: "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln", appName: "my app" }),
    (error: unknown) =>
      error instanceof VectorVueConfigError &&
      /appName must be an HTTP product token .*got "my app"/.test(error.message),
  );
});
