/**
 * One call to the API as the call pipeline sees it ({@linkcode Operation}),
 * and what the pipeline hands back ({@linkcode Exchange}).
 *
 * @module
 */

import type { RequestTally } from "../delivery/pacer.ts";
import type { ParsedBody } from "../envelope.ts";
import type { PayloadProblem } from "../payloads/check.ts";
import type { SerializedBody } from "../serialize.ts";
import type { AttemptAnswer } from "../transport/attempt.ts";

/** One call to the API, as the retry loop sees it. */
export interface Operation {
  readonly method: "GET" | "POST";
  /** The path sent. */
  readonly path: string;
  /** The path as named in logs and errors (a template for status). */
  readonly endpoint: string;
  readonly body?: SerializedBody;
  readonly auth: boolean;
  readonly sign: boolean;
  readonly idempotencyKey?: string;
  /** What a 2xx body must be. */
  readonly expect: "envelope" | "object";
  /** For a 422 `validation_failed`: what the server's rules find wrong with the body. */
  readonly explain?: () => PayloadProblem[];
  /** Counts this operation's requests, 429s and rate-limit waits (bulk and batcher runs). */
  readonly tally?: RequestTally;
}

/** The outcome of the retry loop: the last answer and how it was reached. */
export interface Exchange {
  /** The URL requested, as errors name it (it never carries credentials). */
  readonly url: string;
  readonly answer: AttemptAnswer;
  /** The last answer's body, parsed once. */
  readonly parsed: ParsedBody;
  readonly retryCount: number;
  /** The `X-Request-ID` sent with the last attempt. */
  readonly sentRequestId: string;
}
