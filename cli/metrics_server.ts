/**
 * The local HTTP endpoint of a long-running command: `GET /metrics` (Prometheus text) and
 * `GET /healthz` (200 `ok`, or 503 with the reason), over plain HTTP through the platform's
 * serving seam, on 127.0.0.1 unless told otherwise.
 *
 * @module
 */
import { type ServedHttps, serveHttp } from "../src/platform/serving.ts";
import { type MetricFamily, PROMETHEUS_CONTENT_TYPE, prometheusText } from "./metrics.ts";

/** What the endpoint reads on each request. */
export interface MetricsSource {
  /** The metric families now. */
  metrics(): readonly MetricFamily[];
  /** Whether the command is healthy, and why (or why not). */
  health(): { readonly healthy: boolean; readonly reason: string };
}

/** A listening endpoint. */
export interface MetricsServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

const TEXT = "text/plain; charset=utf-8";

/** Answers one request to the endpoint. */
export function answer(request: Request, source: MetricsSource): Response {
  const path = new URL(request.url).pathname;
  if (path !== "/metrics" && path !== "/healthz") {
    return new Response("not found: try /metrics or /healthz\n", {
      status: 404,
      headers: { "content-type": TEXT },
    });
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", {
      status: 405,
      headers: { "content-type": TEXT, allow: "GET, HEAD" },
    });
  }
  // Neither answer may be cached: both say what is true now.
  const headers = { "cache-control": "no-store" };
  if (path === "/healthz") {
    const { healthy, reason } = source.health();
    return new Response(`${healthy ? "ok" : "unhealthy"}: ${reason}\n`, {
      status: healthy ? 200 : 503,
      headers: { ...headers, "content-type": TEXT },
    });
  }
  return new Response(prometheusText(source.metrics()), {
    headers: { ...headers, "content-type": PROMETHEUS_CONTENT_TYPE },
  });
}

/** Serves the endpoint on `host:port` (port 0 picks a free one) until `close()`. */
export async function serveMetrics(
  source: MetricsSource,
  options: { readonly host: string; readonly port: number },
): Promise<MetricsServer> {
  const served: ServedHttps = await serveHttp(
    (request) => Promise.resolve(answer(request, source)),
    { hostname: options.host, port: options.port },
  );
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    port: served.port,
    url: `http://${host}:${served.port}`,
    close: () => served.close(),
  };
}
