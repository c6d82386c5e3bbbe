/**
 * The parts of one client and how they are wired: the configuration and its
 * secrets, the pacer, the server clock, the connection, the session, the call
 * pipeline, the response reader and the endpoints.
 *
 * @module
 */

import { resolveConfig, type ResolvedConfig, type VectorVueConfig } from "../config.ts";
import { usePacer } from "../delivery/pacer_sharing.ts";
import { AnswerErrors } from "./answer_errors.ts";
import { exchange, type PipelineParts } from "./call_run.ts";
import { ServerClock } from "./clock.ts";
import { ClientConnection } from "./connection.ts";
import { Endpoints } from "./endpoints.ts";
import { clientLog } from "./log.ts";
import { ResponseReader } from "./response.ts";
import { scrubberFor } from "./secrets.ts";
import { ClientSession } from "./session.ts";
import { RequestSigner } from "./steps.ts";

/** What the facade keeps of its parts. */
export interface ClientParts {
  readonly config: ResolvedConfig;
  readonly clock: ServerClock;
  readonly session: ClientSession;
  readonly connection: ClientConnection;
  readonly endpoints: Endpoints;
  /** Closes the connection and lets go of the shared pacer. */
  close(): Promise<void>;
}

/** Checks `given` (throwing every problem at once) and wires the parts of a client. */
export function assembleClient(given: VectorVueConfig): ClientParts {
  const config = resolveConfig(given);
  const scrubber = scrubberFor(config, given);
  const log = clientLog(config.logger, scrubber);
  // Shared with the other clients of this server in the process (`pacer_sharing.ts`).
  const paced = usePacer(
    {
      origin: config.origin,
      proxy: config.proxy?.url,
      rateLimit: config.rateLimit,
      backoff: config,
      fetch: config.fetch,
    },
    (event) =>
      log("info", "vectorvue rate limit", {
        ...event,
        detail: "the server answered 429: its window for this address is full (others on the " +
          "address may hold part of it); this client probes for room and takes it",
      }),
    config.logger,
  );
  const pacer = paced.pacer;
  const clock = new ServerClock(log);
  const connection = new ClientConnection(config);
  const errors = new AnswerErrors(config, scrubber);
  // The session logs in through the pipeline, and the pipeline authorises with the session.
  const send = (
    operation: Parameters<typeof exchange>[1],
    limits: Parameters<typeof exchange>[2],
  ) => exchange(pipeline, operation, limits);
  const session = new ClientSession({ config, clock, scrubber, errors, log, exchange: send });
  const signer = new RequestSigner(config.signatureSecret, scrubber);
  const pipeline: PipelineParts = {
    config,
    scrubber,
    pacer,
    clock,
    session,
    signer,
    connection,
    errors,
    log,
  };
  const reader = new ResponseReader({ config, scrubber, session, errors, log });
  const endpoints = new Endpoints({
    config,
    pacer,
    session,
    connection,
    reader,
    log,
    exchange: send,
  });
  const close = async () => {
    paced.release();
    await connection.close();
  };
  return { config, clock, session, connection, endpoints, close };
}
