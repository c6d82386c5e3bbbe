// Abortable waiting, so emulated delays and trickled bodies never outlive the request (or the
// server) they belong to: no timer or listener is left behind when a client gives up or a test
// closes the server.

/**
 * Resolves after `ms`, or rejects with the reason of the first of `signals` to abort. Its
 * listeners are removed either way.
 */
export function delay(ms: number, signals: readonly AbortSignal[]): Promise<void> {
  const aborted = signals.find((signal) => signal.aborted);
  if (aborted !== undefined) return Promise.reject(aborted.reason);
  return new Promise((resolve, reject) => {
    const listeners = signals.map((signal) => {
      const onAbort = () => {
        cleanup();
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      return () => signal.removeEventListener("abort", onAbort);
    });
    const timer = setTimeout(() => {
      cleanup();
      resolve();
    }, ms);
    function cleanup() {
      clearTimeout(timer);
      for (const remove of listeners) remove();
    }
  });
}
