// The one middleware around every request: refuses work during shutdown, answers CORS
// preflights, adds the headers every response carries, and writes one debug log line per
// request (never per record). One middleware rather than several: it runs on every append.
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { DsError, errorResponse } from "../errors.ts";
import { applyBaseHeaders, preflightResponse } from "./base-headers.ts";

export function envelope(log: Logger, isClosing: () => boolean): MiddlewareHandler {
  return async (c, next) => {
    const fromBrowser = c.req.raw.headers.has("origin");
    const started = log.isLevelEnabled("debug") ? performance.now() : -1;
    if (isClosing()) {
      c.res = errorResponse(new DsError(503, "unavailable", "server shutting down", { "retry-after": "5" }));
    } else if (c.req.method === "OPTIONS") {
      c.res = preflightResponse();
    } else {
      await next();
    }
    applyBaseHeaders(c.res.headers, fromBrowser);
    if (started >= 0) {
      const ms = Math.round((performance.now() - started) * 100) / 100;
      log.debug({ method: c.req.method, path: c.req.path, status: c.res.status, ms }, "request");
    }
  };
}
