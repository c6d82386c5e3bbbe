/**
 * Checking a payload against the server's own rules (`rules.ts`, which the
 * emulator validates with too): what the client adds to a 422
 * `validation_failed`, and what `validatePayloads` checks before sending.
 *
 * @module
 */

import { validateModel, type ValidationIssue } from "./_pydantic.ts";
import { EVENT_MODEL, FINDING_MODEL } from "./rules.ts";

/**
 * One thing wrong with a payload, by the server's rules.
 *
 * @example Print what is wrong
 * ```ts
 * import type { PayloadProblem } from "@spectrastrike/vectorvue-client";
 *
 * const line = (problem: PayloadProblem) => problem.message;
 * ```
 */
export interface PayloadProblem {
  /** Where: `severity`, `metadata`, or `events[3].occurred_at` in a batch. */
  readonly path: string;
  /** The rule broken, as the server words it: `severity must be one of info|low|medium|high|critical`. */
  readonly rule: string;
  /** The value received (`undefined` for a missing field). */
  readonly received: unknown;
  /** All of it in one line: `severity must be one of …: got "hgh"`. */
  readonly message: string;
}

/** Which of the server's models a payload is checked against. */
export type PayloadKind = "event" | "finding";

const MODELS = { event: EVENT_MODEL, finding: FINDING_MODEL } as const;

/** A received value, short enough for a message. */
function shown(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

function toProblem(issue: ValidationIssue, prefix: string): PayloadProblem {
  const field = issue.loc.join(".");
  const path = prefix === "" ? field : field === "" ? prefix : `${prefix}.${field}`;
  const rule = issue.type === "value_error" && typeof issue.ctx?.error === "string"
    ? issue.ctx.error
    : issue.msg;
  const missing = issue.type === "missing";
  const named = field !== "" && rule.startsWith(`${field} `)
    ? (prefix === "" ? rule : `${prefix}.${rule}`)
    : `${path === "" ? "payload" : path}: ${rule}`;
  return {
    path,
    rule,
    received: missing ? undefined : issue.input,
    message: missing ? named : `${named}: got ${shown(issue.input)}`,
  };
}

/**
 * Checks one event or finding, as JSON carries it (parse the text sent, so
 * that a `Date` is checked as the string it becomes), against the rules the
 * server applies. Returns every problem, in the server's order; none when the
 * server would accept it.
 *
 * @param prefix Put before each path, such as `events[3]` for a batch item.
 */
export function checkPayload(kind: PayloadKind, value: unknown, prefix = ""): PayloadProblem[] {
  const result = validateModel(MODELS[kind], value);
  return result.ok ? [] : result.issues.map((issue) => toProblem(issue, prefix));
}

/** Checks every item of a batch; paths are `events[i]…` or `findings[i]…`. */
export function checkBatch(kind: PayloadKind, items: readonly unknown[]): PayloadProblem[] {
  return items.flatMap((item, index) => checkPayload(kind, item, `${kind}s[${index}]`));
}

/**
 * The server's message for a refused batch item, with what its rules find
 * wrong added: `Field required; by the server's rules: asset_ref: Field required`.
 */
export function explainItem(kind: PayloadKind, item: unknown, serverMessage = ""): string {
  let sent: unknown;
  try {
    // What the server saw: a Date as its ISO string, and so on.
    sent = JSON.parse(JSON.stringify(item) ?? "null");
  } catch {
    return serverMessage;
  }
  const problems = checkPayload(kind, sent);
  if (problems.length === 0) return serverMessage;
  const found = `by the server's rules: ${problems.map((problem) => problem.message).join("; ")}`;
  return serverMessage === "" ? found : `${serverMessage}; ${found}`;
}
