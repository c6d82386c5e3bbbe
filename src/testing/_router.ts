// Routing as Starlette does it: exact paths (one `{request_id}` parameter), 405 with `Allow` for
// a known path and the wrong method, a 307 to the path with or without its trailing slash when
// only that one exists, and 404 otherwise. The integration routes' rate limit is a router
// dependency, so it runs before the route's own checks.
import { clientHandlers } from "./_client_routes.ts";
import type { EmulatorContext, IncomingRequest } from "./_context.ts";
import { detailResponse, fixedResponse } from "./_http.ts";
import { INTEGRATION_PREFIX, integrationHandlers } from "./_integration_routes.ts";

type Handler = (
  ctx: EmulatorContext,
  incoming: IncomingRequest,
  param: string,
) => Promise<Response>;

interface Route {
  readonly method: "GET" | "POST";
  /** An exact path, or a prefix followed by one path parameter. */
  readonly path: string | { readonly prefix: string };
  readonly handler: Handler;
  readonly rateLimited: boolean;
}

const ROUTES: readonly Route[] = [
  {
    method: "POST",
    path: "/api/v1/client/auth/login",
    handler: clientHandlers.login,
    rateLimited: false,
  },
  {
    method: "POST",
    path: "/api/v1/client/events",
    handler: clientHandlers.clientEvents,
    rateLimited: false,
  },
  ...([
    ["/events", integrationHandlers.events],
    ["/events/batch", integrationHandlers.eventsBatch],
    ["/findings", integrationHandlers.findings],
    ["/findings/batch", integrationHandlers.findingsBatch],
  ] as const).map(([path, handler]): Route => ({
    method: "POST",
    path: `${INTEGRATION_PREFIX}${path}`,
    handler,
    rateLimited: true,
  })),
  {
    method: "GET",
    path: { prefix: `${INTEGRATION_PREFIX}/ingest/status/` },
    handler: integrationHandlers.status,
    rateLimited: true,
  },
];

// The path parameter when `route` matches `path`, else `undefined`.
function match(route: Route, path: string): string | undefined {
  if (typeof route.path === "string") return route.path === path ? "" : undefined;
  if (!path.startsWith(route.path.prefix)) return undefined;
  const param = path.slice(route.path.prefix.length);
  return param !== "" && !param.includes("/") ? param : undefined;
}

/** Routes one request and runs its handler. */
export function dispatch(ctx: EmulatorContext, incoming: IncomingRequest): Promise<Response> {
  const { path, nowMs, request } = incoming;
  const candidates = ROUTES.flatMap((route) => {
    const param = match(route, path);
    return param === undefined ? [] : [{ route, param }];
  });
  if (candidates.length === 0) {
    if (path !== "/") {
      const other = path.endsWith("/") ? path.replace(/\/+$/, "") : `${path}/`;
      if (ROUTES.some((route) => match(route, other) !== undefined)) {
        const location = new URL(request.url);
        location.pathname = other;
        return Promise.resolve(fixedResponse(307, "", nowMs, { location: location.href }));
      }
    }
    return Promise.resolve(detailResponse(404, "Not Found", nowMs));
  }
  const chosen = candidates.find(({ route }) => route.method === request.method);
  if (chosen === undefined) {
    const allow = [...new Set(candidates.map(({ route }) => route.method))].join(", ");
    return Promise.resolve(detailResponse(405, "Method Not Allowed", nowMs, { allow }));
  }
  const limiter = ctx.integrationLimiter;
  if (
    chosen.route.rateLimited && limiter !== undefined && !limiter.allow(incoming.remoteAddr, nowMs)
  ) {
    return Promise.resolve(detailResponse(429, "Rate limit exceeded", nowMs));
  }
  return chosen.route.handler(ctx, incoming, chosen.param);
}
