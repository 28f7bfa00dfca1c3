// The HTTP surface: the only place URL prefixes are written. Middleware order matters:
// base headers wrap everything (errors included), then shutdown refusal, then routes.
import { Hono } from "hono";
import type { HttpDeps } from "./env.ts";
import { DsError, errorResponse } from "./errors.ts";
import { applyBaseHeaders, baseHeaders, preflightResponse } from "./middleware/base-headers.ts";
import { requestLog } from "./middleware/request-log.ts";
import { healthHandler, metricsHandler } from "./ops.ts";
import { streamHandler } from "./stream-routes.ts";
import { listStreamsHandler } from "./streams.ts";

export function buildRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.use("*", baseHeaders);
  app.use("*", requestLog(deps.log));
  app.use("*", async (c, next) => {
    if (deps.isClosing()) throw new DsError(503, "unavailable", "server shutting down", { "retry-after": "5" });
    if (c.req.method === "OPTIONS") return preflightResponse();
    await next();
  });

  app.all("/health", healthHandler());
  app.all("/metrics", metricsHandler(deps));
  app.get("/v1/streams", listStreamsHandler(deps));
  app.all("/v1/stream/*", streamHandler(deps));

  app.notFound(() => errorResponse(new DsError(404, "not_found", "no such route")));
  app.onError((error) => {
    if (error instanceof DsError) return errorResponse(error);
    deps.log.error({ err: error }, "request failed");
    return errorResponse(new DsError(500, "internal", "internal server error"));
  });
  return app;
}

/** For responses produced outside Hono (e.g. Bun's own error path). */
export function finalizeResponse(res: Response): Response {
  applyBaseHeaders(res.headers);
  return res;
}
