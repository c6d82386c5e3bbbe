// A TCP relay on 127.0.0.1 in front of a server, counting the connections a client opens through
// it: how many at once (the peak) and how many in all. TLS passes through untouched.

/** What the relay saw since the last `reset()`. */
export interface ConnectionCounts {
  /** Connections open now. */
  readonly open: number;
  /** The most open at once. */
  readonly peak: number;
  /** Connections accepted. */
  readonly opened: number;
}

/** A running relay. */
export interface ConnectionCounter {
  /** `https://127.0.0.1:<port>` of the relay. */
  readonly url: string;
  counts(): ConnectionCounts;
  /** Starts counting afresh (`open` stays as it is). */
  reset(): void;
  close(): void;
}

/** Relays `127.0.0.1:<relay port>` to `127.0.0.1:<targetPort>`. */
export function startConnectionCounter(targetPort: number): ConnectionCounter {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let open = 0;
  let peak = 0;
  let opened = 0;
  const conns = new Set<Deno.Conn>();
  const relay = async (conn: Deno.Conn) => {
    opened++;
    peak = Math.max(peak, ++open);
    conns.add(conn);
    let upstream: Deno.Conn | undefined;
    try {
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
      conns.add(upstream);
      await Promise.allSettled([
        conn.readable.pipeTo(upstream.writable),
        upstream.readable.pipeTo(conn.writable),
      ]);
    } catch {
      // The server went away: the client sees its connection end.
    } finally {
      open--;
      for (const c of [conn, upstream]) {
        if (!c) continue;
        conns.delete(c);
        try {
          c.close();
        } catch {
          // Already closed by its stream.
        }
      }
    }
  };
  (async () => {
    try {
      for await (const conn of listener) relay(conn);
    } catch {
      // Closed.
    }
  })();
  return {
    url: `https://127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    counts: () => ({ open, peak, opened }),
    reset: () => {
      peak = open;
      opened = 0;
    },
    close: () => {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
    },
  };
}
