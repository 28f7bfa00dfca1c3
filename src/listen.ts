// Serving an app over HTTP with Bun.serve: the listener's options and its last-resort error
// answer, shared by the full server (server.ts) and the local mode (local/server.ts).
import type { Server } from "bun";
import type { Logger } from "pino";
import type { App } from "./app.ts";
import type { Config } from "./config.ts";
import { finalizeResponse } from "./http/routes.ts";

export function listen(app: App, config: Config, log: Logger): Server<undefined> {
  return Bun.serve({
    hostname: config.host,
    port: config.port,
    idleTimeout: config.http.idleTimeoutSeconds,
    // Our own limit answers 413 with the error envelope; Bun's only guards against abuse.
    maxRequestBodySize: config.ingest.maxBodyBytes * 2 + 1024 * 1024,
    fetch: (req) => app.http.fetch(req),
    error: (error) => {
      log.error({ err: error }, "request failed outside the router");
      return finalizeResponse(
        Response.json({ error: { code: "internal", message: "internal server error" } }, { status: 500 }),
      );
    },
  });
}

/** Where the server listens, as `host:port` (an IPv6 host in brackets) and as a URL. */
export function listenAddress(server: Server<undefined>): { hostPort: string; url: string; port: number } {
  const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  const port = server.port ?? 0;
  return { hostPort: `${host}:${port}`, url: `http://${host}:${port}`, port };
}
