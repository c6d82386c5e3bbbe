// Response builders shaped like the real stack's (Starlette `JSONResponse`, FastAPI's
// `HTTPException` handler, Starlette's plain-text 500), each carrying the emulator's `Date`.

const encoder = new TextEncoder();

/** An IMF-fixdate `Date` header value for `nowMs` (`Sun, 22 Feb 2026 10:00:00 GMT`). */
export function httpDate(nowMs: number): string {
  return new Date(nowMs).toUTCString();
}

/**
 * A response with a fixed body, `content-length` and `date` (as uvicorn sends them). `headers`
 * may override any of them.
 */
export function fixedResponse(
  status: number,
  body: string,
  nowMs: number,
  headers: Record<string, string> = {},
): Response {
  const bytes = encoder.encode(body);
  const all = new Headers({ "content-length": String(bytes.byteLength), date: httpDate(nowMs) });
  for (const [name, value] of Object.entries(headers)) all.set(name, value);
  // Per the Fetch standard, 204/205/304 responses cannot carry a body (even an empty one).
  const nullBody = status === 204 || status === 205 || status === 304;
  return new Response(nullBody ? null : bytes, { status, headers: all });
}

/**
 * Starlette's `JSONResponse`: compact separators, non-ASCII as raw UTF-8 (`ensure_ascii=False`),
 * `content-type: application/json`. `text` lets a caller supply pre-serialised JSON.
 */
export function jsonResponse(
  status: number,
  body: unknown,
  nowMs: number,
  headers: Record<string, string> = {},
  text: string = JSON.stringify(body),
): Response {
  return fixedResponse(status, text, nowMs, { "content-type": "application/json", ...headers });
}

/** FastAPI's `HTTPException` body: `{"detail": ...}`. */
export function detailResponse(
  status: number,
  detail: unknown,
  nowMs: number,
  headers: Record<string, string> = {},
): Response {
  return jsonResponse(status, { detail }, nowMs, headers);
}

/** Starlette's `ServerErrorMiddleware` answer to an unhandled exception. */
export function internalServerError(nowMs: number): Response {
  return fixedResponse(500, "Internal Server Error", nowMs, {
    "content-type": "text/plain; charset=utf-8",
  });
}
