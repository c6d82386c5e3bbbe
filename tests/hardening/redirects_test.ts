// Redirects are never followed: not to the same origin, and above all not to another one, which
// would receive the bearer token (or, on login, the password). Real HTTPS on 127.0.0.1, with a
// second emulator standing in for the other origin.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { PATHS, VectorVueResponseError } from "../../mod.ts";
import { createVectorVueEmulator } from "../../src/testing/mod.ts";
import {
  credentialsOf,
  rejectionOf,
  sampleEvent,
  withClient,
  withEmulator,
  withServer,
} from "./_helpers.ts";

const STATUSES = [301, 302, 307, 308] as const;
const REQUEST_ID = /\(request_id [0-9a-f-]{36}\)$/;

describe("redirects are never followed", () => {
  for (const status of STATUSES) {
    test(`a ${status} to the same origin is a VectorVueResponseError, not a second request`, async () => {
      await withEmulator({}, async (emulator, server) => {
        await withClient({ baseUrl: server.url, ...credentialsOf(emulator) }, async (client) => {
          await client.login();
          emulator.inject({ path: PATHS.events, redirect: { status, location: PATHS.findings } });
          const before = emulator.requests.length;
          const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueResponseError);
          assert.equal(error.name, "VectorVueResponseError");
          assert.equal(error.httpStatus, status);
          assert.equal(error.errorCode, "unexpected_redirect");
          assert.equal(error.retryCount, 0);
          assert.equal(error.headers["location"], PATHS.findings);
          assert.ok(
            error.message.startsWith(
              `POST ${server.url}${PATHS.events} failed with ${status} unexpected_redirect: redirect to ` +
                `${server.url} not followed: the client never follows redirects, so the bearer ` +
                `token only goes to ${server.url} `,
            ),
            error.message,
          );
          assert.match(error.message, REQUEST_ID);
          assert.equal(emulator.requests.length, before + 1, "exactly one request was sent");
          assert.equal(emulator.requests.filter((r) => r.path === PATHS.findings).length, 0);
          assert.equal(emulator.events().length, 0);
        });
      });
    });

    test(`a ${status} to another origin sends that origin nothing at all`, async () => {
      const elsewhere = createVectorVueEmulator();
      await withServer(elsewhere, async (other) => {
        // Same certificate (it covers localhost), other host and port: another origin.
        const target = other.url.replace("127.0.0.1", "localhost");
        await withEmulator({}, async (emulator, server) => {
          await withClient({ baseUrl: server.url, ...credentialsOf(emulator) }, async (client) => {
            emulator.inject({
              path: PATHS.events,
              redirect: { status, location: `${target}${PATHS.events}` },
            });
            const error = await rejectionOf(
              client.sendEvent(sampleEvent()),
              VectorVueResponseError,
            );
            assert.equal(error.httpStatus, status);
            assert.equal(error.errorCode, "unexpected_redirect");
            assert.match(
              error.message,
              new RegExp(
                `failed with ${status} unexpected_redirect: redirect to ${
                  target.replaceAll(".", "\\.")
                } not followed: the client never follows redirects`,
              ),
            );
            const sent = emulator.requests.find((r) => r.path === PATHS.events);
            assert.match(sent?.headers["authorization"] ?? "", /^Bearer /);
          });
        });
        assert.equal(elsewhere.requests.length, 0, "the other origin received no request");
      });
    });
  }

  test("a redirect of the login sends the password nowhere else", async () => {
    const elsewhere = createVectorVueEmulator();
    await withServer(elsewhere, async (other) => {
      await withEmulator({}, async (emulator, server) => {
        emulator.inject({
          path: PATHS.login,
          redirect: { status: 307, location: `${other.url}${PATHS.login}` },
        });
        await withClient({ baseUrl: server.url, ...credentialsOf(emulator) }, async (client) => {
          const error = await rejectionOf(client.login(), VectorVueResponseError);
          assert.equal(error.httpStatus, 307);
          assert.match(
            error.message,
            /^POST https:\/\/[^/ ]+\/api\/v1\/client\/auth\/login failed with 307 unexpected_redirect: redirect to https:\/\/127\.0\.0\.1:\d+ not followed/,
          );
        });
      });
      assert.equal(elsewhere.requests.length, 0);
    });
  });

  test("a redirect to an unparseable location is reported as an unknown location", async () => {
    await withEmulator({}, async (emulator, server) => {
      emulator.inject({ path: PATHS.events, redirect: { status: 302, location: "http://[::1" } });
      await withClient({ baseUrl: server.url, ...credentialsOf(emulator) }, async (client) => {
        const error = await rejectionOf(client.sendEvent(sampleEvent()), VectorVueResponseError);
        assert.match(error.message, /redirect to an unknown location not followed/);
      });
    });
  });
});
