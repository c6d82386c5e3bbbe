/**
 * Which secrets the client scrubs from everything it logs or throws: every
 * credential of the configuration, in every form a server may echo it in.
 *
 * @module
 */

import type { ResolvedConfig, VectorVueConfig } from "../config.ts";
import { Scrubber } from "../logger.ts";

/** A scrubber that knows every secret of `config` (`given` is what the caller passed). */
export function scrubberFor(config: ResolvedConfig, given: VectorVueConfig): Scrubber {
  const scrubber = new Scrubber();
  const { password, token, signatureSecret, responseSigningKey } = config;
  const proxyUsername = config.proxy?.username;
  const proxyPassword = config.proxy?.password;
  for (
    const secret of [password, token, signatureSecret, responseSigningKey, proxyPassword]
  ) {
    scrubber.add(secret);
  }
  // Each password also as `user:password` and its base64, as Basic auth would carry it.
  scrubber.addCredentials(config.username, password);
  if (proxyUsername !== undefined) {
    scrubber.add(proxyUsername);
    // As sent in Proxy-Authorization: base64 of the UTF-8 bytes.
    scrubber.addCredentials(proxyUsername, proxyPassword ?? "");
    if (typeof given.proxy === "string") {
      scrubber.add(/\/\/([^@/]*)@/.exec(given.proxy)?.[1]);
    }
  }
  return scrubber;
}
