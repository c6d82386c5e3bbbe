// The serving capability: an HTTPS server for the emulator (`src/testing/`), and a plain HTTP
// one for the command line's local metrics endpoint (`vectorvue ship --metrics-port`). `serving_deno.ts`
// and `serving_node.ts` implement `ServingPlatform`; `serving.ts` checks the one the build picked.
// Deno and Node share `serving_node_api.ts`, Node's server API, which Deno runs too.

/**
 * Answers one request. `null` means "drop the connection without answering"; a response whose
 * body stream errors means "drop it mid-body". The adapter turns both into real connection
 * failures.
 */
export type ConnectionHandler = (
  request: Request,
  connection: ConnectionInfo,
) => Promise<Response | null>;

/** What the adapter knows about the connection a request came on. */
export interface ConnectionInfo {
  /** The client's IP address. */
  readonly remoteAddr: string;
  /**
   * Aborts when the client goes away before the answer is complete, where the runtime tells.
   * (Deno's `request.signal` also aborts after every successful answer, so Deno passes none.)
   */
  readonly disconnected?: AbortSignal;
}

/** Where and how to listen. */
export interface ServeHttpsOptions {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Certificate chain, PEM. */
  readonly cert: string;
  /** Private key, PEM. */
  readonly key: string;
  /** `false`: HTTP/1.1 only; `true`: HTTP/2 and HTTP/1.1; `undefined`: the runtime's default. */
  readonly http2?: boolean;
}

/** A listening HTTPS server. */
export interface ServedHttps {
  /** The bound port (useful when 0 was asked for). */
  readonly port: number;
  /** Stops listening and closes every connection, idle keep-alive ones included. */
  close(): Promise<void>;
}

/** Where to listen for plain HTTP (a local endpoint such as `vectorvue ship`'s metrics). */
export interface ServeHttpOptions {
  readonly hostname: string;
  /** 0 picks a free port. */
  readonly port: number;
}

/** The serving capability, one implementation per runtime. */
export interface ServingPlatform {
  /** Serves `handler` over HTTPS until `close()`. */
  serveHttps(handler: ConnectionHandler, options: ServeHttpsOptions): Promise<ServedHttps>;
  /**
   * Serves `handler` over plain HTTP/1.1 until `close()`: for a local endpoint that a scraper on
   * the same host reads (Prometheus speaks plain HTTP to exporters by default).
   */
  serveHttp(handler: ConnectionHandler, options: ServeHttpOptions): Promise<ServedHttps>;
}

/**
 * How long an adapter lets already-sent bytes reach the client before it drops a connection
 * mid-body. HTTP/2 discards a stream's queued frames when the stream is reset, so without the
 * pause a "mid-body" drop could arrive before the headers and look like "before-response".
 */
export const FLUSH_BEFORE_DROP_MS = 50;

const streamed = new WeakSet<Response>();

/** Marks a response whose body is produced over time and may fail (trickle, mid-body drop). */
export function markStreamed(response: Response): Response {
  streamed.add(response);
  return response;
}

/** Whether {@linkcode markStreamed} marked `response`: adapters stream it rather than buffer. */
export function isStreamed(response: Response): boolean {
  return streamed.has(response);
}
