// Process entry: flags and env → config → app → Bun.serve; SIGINT/SIGTERM drain and exit.
import { createApp } from "./app.ts";
import { ConfigError, loadConfig, unknownEnvNames, type Config } from "./config.ts";
import { finalizeResponse } from "./http/routes.ts";
import { createLogger } from "./log.ts";
import { BootstrapError } from "./storage/bootstrap.ts";

async function startServer(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const unknown = unknownEnvNames(process.env);
  if (unknown.length > 0) log.warn({ names: unknown }, "unknown DS_* environment variables");
  const app = await createApp(config, log, {
    // Without its writer thread the server cannot commit large batches: exit so a supervisor restarts it.
    onWriterFailed: () => process.exit(1),
  });
  const server = Bun.serve({
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
  const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  log.info({ url: `http://${host}:${server.port}`, root: config.root, db: config.dbPath }, `durable streams server listening on ${host}:${server.port}`);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: refusing new requests, draining queued writes");
    app.beginShutdown();
    try {
      await app.close();
      await server.stop(false);
      log.info("shutdown complete");
    } catch (error) {
      log.error({ err: error }, "shutdown failed");
      process.exitCode = 1;
    }
    process.exit();
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

try {
  await startServer(loadConfig(process.argv.slice(2), process.env));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`configuration error: ${error.message}`);
    process.exit(1);
  }
  if (error instanceof BootstrapError) {
    console.error(`bootstrap error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
