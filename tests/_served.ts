// The emulator over real HTTPS on 127.0.0.1 with the test CA, and clients of it that trust only
// that CA: what the network-level batching and rate-limit tests share.
import { readFileSync } from "node:fs";
import { VectorVueClient, type VectorVueConfig } from "../mod.ts";
import {
  createVectorVueEmulator,
  type EmulatorOptions,
  type VectorVueEmulator,
} from "../src/testing/mod.ts";

/** A file of `tests/fixtures/`. */
export const fixture = (name: string): string =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");

/** A served emulator, a maker of clients of it (`defaults` then `extra` over them), and close. */
export interface Served {
  readonly emulator: VectorVueEmulator;
  readonly url: string;
  client(extra?: VectorVueConfig): VectorVueClient;
  /** Closes every client made, then the server. */
  close(): Promise<void>;
}

/** Serves an emulator with `options`; clients get the emulator's user, the CA and `defaults`. */
export async function served(
  options: EmulatorOptions,
  defaults: VectorVueConfig = {},
): Promise<Served> {
  const emulator = createVectorVueEmulator(options);
  const server = await emulator.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: fixture("server.pem"),
    key: fixture("server-key.pem"),
  });
  const clients: VectorVueClient[] = [];
  return {
    emulator,
    url: server.url,
    client(extra = {}) {
      const made = new VectorVueClient({
        baseUrl: server.url,
        ...emulator.defaults,
        caCerts: [fixture("ca.pem")],
        ...defaults,
        ...extra,
      });
      clients.push(made);
      return made;
    },
    async close() {
      await Promise.all(clients.map((made) => made.close()));
      await server.close();
    },
  };
}
