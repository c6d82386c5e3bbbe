// The proxy decision (NO_PROXY matching as curl does it, which variable wins), and the client
// through a real CONNECT proxy.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import process from "node:process";
import { inspect } from "node:util";
import {
  VectorVueClient,
  type VectorVueConfig,
  VectorVueConfigError,
  VectorVueTransportError,
} from "../../mod.ts";
import { createVectorVueEmulator, type ServedEmulator } from "../../src/testing/mod.ts";
import {
  bypassesProxy,
  PROXY_VARIABLES,
  redactUserinfo,
  resolveProxy,
} from "../../src/transport/proxy.ts";
import { type ConnectProxy, startConnectProxy } from "../_connect_proxy.ts";
import { capturingLogger, sampleEvent } from "../_fake.ts";

describe("bypassesProxy() matches NO_PROXY as curl does", () => {
  // [NO_PROXY, hostname (as URL.hostname gives it), port, bypass?]
  const table: [string, string, number, boolean][] = [
    ["", "example.com", 443, false],
    ["   ", "example.com", 443, false],
    ["*", "example.com", 443, true],
    [" * ", "10.1.2.3", 443, true],
    ["localhost,*", "example.com", 443, true],
    ["example.com", "example.com", 443, true],
    ["example.com", "EXAMPLE.com", 443, true],
    ["example.com", "www.example.com", 443, true],
    ["example.com", "a.b.example.com", 443, true],
    ["example.com", "notexample.com", 443, false],
    ["example.com", "example.com.evil.net", 443, false],
    [".example.com", "www.example.com", 443, true],
    [".example.com", "example.com", 443, true],
    ["*.example.com", "www.example.com", 443, true],
    ["example.com.", "www.example.com", 443, true],
    ["example.com", "www.example.com.", 443, true],
    ["www.example.com", "example.com", 443, false],
    ["other.org, example.com", "example.com", 443, true],
    ["other.org example.com", "example.com", 443, true],
    ["other.org,,example.com,", "example.com", 443, true],
    ["other.org", "example.com", 443, false],
    // Ports: an entry with a port only matches that port.
    ["example.com:8443", "example.com", 8443, true],
    ["example.com:8443", "example.com", 443, false],
    ["127.0.0.1:8443", "127.0.0.1", 8443, true],
    ["127.0.0.1:8443", "127.0.0.1", 9443, false],
    // IPv4: exact or CIDR, never by suffix.
    ["127.0.0.1", "127.0.0.1", 443, true],
    ["127.0.0.1", "127.0.0.10", 443, false],
    ["0.0.1", "127.0.0.1", 443, false],
    ["10.0.0.0/8", "10.200.3.4", 443, true],
    ["10.0.0.0/8", "11.0.0.1", 443, false],
    ["192.168.1.0/24", "192.168.1.77", 443, true],
    ["192.168.1.0/24", "192.168.2.1", 443, false],
    ["0.0.0.0/0", "8.8.8.8", 443, true],
    ["10.0.0.0/33", "10.0.0.1", 443, false],
    ["localhost", "127.0.0.1", 443, false],
    // IPv6 literals: bracketed or not, compressed forms, CIDR, ports.
    ["::1", "[::1]", 443, true],
    ["[::1]", "[::1]", 443, true],
    ["0:0:0:0:0:0:0:1", "[::1]", 443, true],
    ["[::1]:8443", "[::1]", 8443, true],
    ["[::1]:8443", "[::1]", 443, false],
    ["::2", "[::1]", 443, false],
    ["fd00::/8", "[fd12:3456::1]", 443, true],
    ["fd00::/8", "[fe80::1]", 443, false],
    ["::ffff:10.0.0.1", "[::ffff:a00:1]", 443, true],
    ["127.0.0.1", "[::1]", 443, false],
    ["::1", "127.0.0.1", 443, false],
  ];
  for (const [noProxy, hostname, port, expected] of table) {
    test(`NO_PROXY=${JSON.stringify(noProxy)} ${expected ? "bypasses" : "keeps"} ${hostname}:${port}`, () => {
      assert.equal(bypassesProxy(noProxy, hostname, port), expected);
    });
  }
});

describe("resolveProxy() picks the proxy as curl does", () => {
  const https = new URL("https://vectorvue.internal:8443");
  const http = new URL("http://vectorvue.internal");

  test("https_proxy wins over HTTPS_PROXY, which wins over ALL_PROXY", () => {
    const env = {
      https_proxy: "http://lower:1",
      HTTPS_PROXY: "http://upper:2",
      ALL_PROXY: "http://all:3",
    };
    assert.equal(resolveProxy(https, undefined, env).proxy?.url, "http://lower:1");
    assert.equal(
      resolveProxy(https, undefined, { ...env, https_proxy: undefined }).proxy?.url,
      "http://upper:2",
    );
    assert.equal(
      resolveProxy(https, undefined, { ALL_PROXY: "http://all:3" }).proxy?.source,
      "ALL_PROXY",
    );
  });

  test("an http base URL reads http_proxy, never HTTP_PROXY (CGI sets it from a header)", () => {
    assert.equal(resolveProxy(http, undefined, { HTTP_PROXY: "http://evil:1" }).proxy, null);
    assert.equal(
      resolveProxy(http, undefined, { http_proxy: "http://p:1" }).proxy?.url,
      "http://p:1",
    );
    assert.equal(resolveProxy(http, undefined, { HTTPS_PROXY: "http://p:1" }).proxy, null);
  });

  test("NO_PROXY exempts the base URL's host and says which variable did", () => {
    const decision = resolveProxy(https, undefined, {
      HTTPS_PROXY: "http://p:1",
      NO_PROXY: ".internal",
    });
    assert.equal(decision.proxy, null);
    assert.equal(decision.bypassedBy, "NO_PROXY");
    assert.equal(
      resolveProxy(https, undefined, {
        HTTPS_PROXY: "http://p:1",
        NO_PROXY: "vectorvue.internal:443",
      })
        .proxy?.url,
      "http://p:1",
    );
  });

  test("the proxy option overrides the environment, NO_PROXY included; false ignores it", () => {
    const env = { HTTPS_PROXY: "http://env:1", NO_PROXY: "*" };
    assert.equal(resolveProxy(https, "http://option:2", env).proxy?.url, "http://option:2");
    assert.equal(resolveProxy(https, "http://option:2", env).proxy?.source, "proxy option");
    assert.equal(resolveProxy(https, false, { HTTPS_PROXY: "http://env:1" }).proxy, null);
  });

  test("credentials are split off, decoded, and never in the display form", () => {
    const { proxy } = resolveProxy(https, "http://svc%40corp:p%3Ass%20w@proxy.corp:3128", {});
    assert.equal(proxy?.url, "http://proxy.corp:3128");
    assert.equal(proxy?.username, "svc@corp");
    assert.equal(proxy?.password, "p:ss w");
    assert.equal(proxy?.display, "http://[REDACTED]@proxy.corp:3128");
  });

  test("curl's defaults: no scheme means http, no port means 1080 (http) or 443 (https)", () => {
    assert.equal(resolveProxy(https, "proxy.corp:3128", {}).proxy?.url, "http://proxy.corp:3128");
    assert.equal(resolveProxy(https, "http://proxy.corp", {}).proxy?.url, "http://proxy.corp:1080");
    assert.equal(
      resolveProxy(https, "https://proxy.corp", {}).proxy?.url,
      "https://proxy.corp:443",
    );
  });

  test("unusable proxy URLs are problems that never echo credentials", () => {
    for (
      const bad of ["socks5://u:hunter2@p:1", "http://u:hunter2@p:1/path", "http://u:hunter2@[::1"]
    ) {
      const decision = resolveProxy(https, undefined, { HTTPS_PROXY: bad });
      assert.equal(decision.proxy, null);
      assert.equal(decision.problems.length, 1, bad);
      assert.match(decision.problems[0], /^HTTPS_PROXY must/);
      assert.doesNotMatch(decision.problems[0], /hunter2/);
    }
  });

  test("redactUserinfo() hides userinfo in text that may not parse", () => {
    assert.equal(redactUserinfo("http://u:pw@host:1"), "http://[REDACTED]@host:1");
    assert.equal(redactUserinfo("u:pw@host:1"), "[REDACTED]@host:1");
    assert.equal(redactUserinfo("http://host:1"), "http://host:1");
  });

  test("a password typed without percent-encoding stays hidden (@ / ? # in it)", () => {
    for (const password of ["p/ss", "p#ss", "p?ss", "p@ss"]) {
      const raw = `http://user:hunter2${password}@proxy.example:3128`;
      const option = resolveProxy(new URL("https://h.example"), raw, {});
      const env = resolveProxy(new URL("https://h.example"), undefined, { HTTPS_PROXY: raw });
      for (const text of [...option.problems, ...env.problems, redactUserinfo(raw)]) {
        assert.doesNotMatch(text, /hunter2/, raw);
      }
    }
  });
});

describe("the proxy option", () => {
  const token = "e30.eyJ0ZW5hbnRfaWQiOiJ0In0.c2ln";
  const problemsOf = (config: VectorVueConfig) => {
    try {
      new VectorVueClient({ token, ...config });
    } catch (error) {
      if (error instanceof VectorVueConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  test("a bad proxy is a VectorVueConfigError that never echoes its credentials", () => {
    assert.deepEqual(problemsOf({ proxy: 42 as unknown as string }), [
      "proxy must be a proxy URL or false, got 42",
    ]);
    assert.deepEqual(problemsOf({ proxy: "socks5://u:hunter2@p:1" }), [
      'proxy must be an http:// or https:// proxy (socks is not supported), got "socks5://[REDACTED]@p:1"',
    ]);
  });

  test("a proxy cannot apply to an injected fetch", () => {
    assert.deepEqual(problemsOf({ proxy: "http://p:1", fetch: () => Promise.reject() }), [
      "proxy cannot apply to an injected fetch; configure it on that fetch instead",
    ]);
  });

  test("the client prints its proxy without credentials", () => {
    const client = new VectorVueClient({ token, proxy: "http://svc:hunter2@proxy.corp:3128" });
    assert.equal(JSON.parse(JSON.stringify(client)).proxy, "http://[REDACTED]@proxy.corp:3128");
    assert.doesNotMatch(inspect(client), /hunter2|svc/);
  });
});

// Over real HTTPS on loopback: the client reaches the emulator through a CONNECT proxy that
// only tunnels bytes, trusting the test CA for the tunnelled connection.
describe("through a real CONNECT proxy", () => {
  const fixture = (name: string) =>
    readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
  const USER = "svc-proxy";
  const PASSWORD = "pr0xy-Pa55word!";
  const emulator = createVectorVueEmulator();
  let server: ServedEmulator;
  let proxy: ConnectProxy;
  let proxyUrl: string;
  const saved = new Map<string, string | undefined>();

  before(async () => {
    server = await emulator.serve({ cert: fixture("server.pem"), key: fixture("server-key.pem") });
    proxy = await startConnectProxy({ credentials: { username: USER, password: PASSWORD } });
    proxyUrl = proxy.url.replace("//", `//${USER}:${encodeURIComponent(PASSWORD)}@`);
    for (const name of PROXY_VARIABLES) {
      saved.set(name, process.env[name]);
      delete process.env[name];
    }
  });
  afterEach(() => {
    for (const name of PROXY_VARIABLES) delete process.env[name];
  });
  after(async () => {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
    await proxy.close();
    await server.close();
  });

  async function roundTrip(extra: VectorVueConfig = {}) {
    const { logger, records } = capturingLogger();
    const client = new VectorVueClient({
      baseUrl: server.url,
      ...emulator.defaults,
      caCerts: [fixture("ca.pem")],
      logger,
      ...extra,
    });
    try {
      const sent = await client.sendEvent(sampleEvent());
      const status = await client.getIngestStatus(sent.requestId!);
      assert.equal(status.status, "accepted");
      return { client, records };
    } finally {
      await client.close();
    }
  }

  const tunnelsTo = (lines: readonly string[]) => {
    const port = new URL(server.url).port;
    assert.ok(lines.length > 0, "the proxy saw no request");
    for (const line of lines) assert.equal(line, `CONNECT 127.0.0.1:${port} HTTP/1.1`);
  };

  test("HTTPS_PROXY with credentials: the proxy sees only CONNECT, the emulator gets the calls", async () => {
    process.env.HTTPS_PROXY = proxyUrl;
    const before = proxy.log.length;
    const received = emulator.requests.length;
    const { client, records } = await roundTrip();
    tunnelsTo(proxy.log.slice(before));
    assert.equal(emulator.requests.length - received, 3); // login, event, status
    const printed = [
      JSON.stringify(records),
      JSON.stringify(client),
      inspect(client),
    ].join("\n");
    assert.match(printed, /\[REDACTED\]@127\.0\.0\.1/);
    for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), USER]) {
      assert.ok(!printed.includes(secret), `${secret} printed`);
    }
  });

  test("https_proxy in lower case works too", async () => {
    process.env.https_proxy = proxyUrl;
    const before = proxy.log.length;
    await roundTrip();
    tunnelsTo(proxy.log.slice(before));
  });

  test("NO_PROXY=127.0.0.1 bypasses the proxy", async () => {
    process.env.HTTPS_PROXY = proxyUrl;
    process.env.NO_PROXY = "127.0.0.1";
    const before = proxy.log.length;
    await roundTrip();
    assert.deepEqual(proxy.log.slice(before), []);
  });

  test("proxy: false ignores HTTPS_PROXY", async () => {
    process.env.HTTPS_PROXY = proxyUrl;
    const before = proxy.log.length;
    await roundTrip({ proxy: false });
    assert.deepEqual(proxy.log.slice(before), []);
  });

  test("the proxy option overrides HTTPS_PROXY and NO_PROXY", async () => {
    process.env.HTTPS_PROXY = "http://127.0.0.1:9";
    process.env.NO_PROXY = "*";
    const before = proxy.log.length;
    await roundTrip({ proxy: proxyUrl });
    tunnelsTo(proxy.log.slice(before));
  });

  test("a proxy refusing the credentials fails with an error that does not contain them", async () => {
    const wrong = proxy.url.replace("//", `//${USER}:wr0ng-${encodeURIComponent(PASSWORD)}@`);
    const { logger, records } = capturingLogger();
    const client = new VectorVueClient({
      baseUrl: server.url,
      ...emulator.defaults,
      caCerts: [fixture("ca.pem")],
      proxy: wrong,
      maxRetries: 0,
      logger,
    });
    try {
      const error = await client.login().then(() => assert.fail("resolved"), (e: unknown) => e);
      assert.ok(error instanceof VectorVueTransportError, String(error));
      const printed = [error.message, inspect(error), JSON.stringify(records), inspect(client)]
        .join("\n");
      for (const secret of [PASSWORD, `wr0ng-${PASSWORD}`, USER]) {
        assert.ok(!printed.includes(secret), `${secret} printed: ${printed}`);
      }
    } finally {
      await client.close();
    }
  });
});
