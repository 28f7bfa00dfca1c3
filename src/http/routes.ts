// The HTTP surface: the only place URL prefixes are written.
import { Hono } from "hono";
import type { HttpDeps } from "./env.ts";
import { DsError, engineError, errorResponse } from "./errors.ts";
import { applyBaseHeaders } from "./middleware/base-headers.ts";
import { apiKeyAuth } from "./middleware/auth.ts";
import { envelope } from "./middleware/envelope.ts";
import { healthHandler, metricsHandler } from "./ops.ts";
import { serverDetailsHandler, serverMemHandler } from "./server-info.ts";
import { streamHandler } from "./stream-routes.ts";
import { listStreamsHandler } from "./streams.ts";

export function buildRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  const auth = deps.config.auth;
  if (auth.strategy === "api-key") app.use("*", apiKeyAuth(auth.apiKey));
  app.use("*", envelope(deps.log, deps.isClosing, deps.config.http.requestTimeoutMs));

  app.all("/health", healthHandler());
  app.all("/metrics", metricsHandler(deps));
  app.get("/v1/streams", listStreamsHandler(deps));
  app.all("/v1/server/_details", serverDetailsHandler(deps));
  app.all("/v1/server/_mem", serverMemHandler(deps));
  app.all("/v1/stream/*", streamHandler(deps));

  app.notFound(() => errorResponse(new DsError(404, "not_found", "no such route")));
  app.onError((error) => {
    if (error instanceof DsError) return errorResponse(error);
    const mapped = engineError(error);
    if (mapped) return errorResponse(mapped);
    deps.log.error({ err: error }, "request failed");
    return errorResponse(new DsError(500, "internal", "internal server error"));
  });
  return app;
}

/** For responses produced outside Hono (e.g. Bun's own error path). */
export function finalizeResponse(res: Response): Response {
  applyBaseHeaders(res.headers, false);
  return res;
}
