// One debug line per request (never per record); costs one level check when debug is off.
import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";

export function requestLog(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    if (!log.isLevelEnabled("debug")) return next();
    const started = performance.now();
    await next();
    log.debug(
      { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round((performance.now() - started) * 100) / 100 },
      "request",
    );
  };
}
