// Process entry: flags and env → config → app → Bun.serve; SIGINT/SIGTERM drain and exit.
// `main` is exported so other entries (src/compute/entry.ts) can run it with rewritten flags.
import type { Notice } from "./auto-tune.ts";
import { createApp } from "./app.ts";
import { ConfigError, parseConfig, unknownEnvNames, type Config } from "./config.ts";
import { listen, listenAddress } from "./listen.ts";
import { createLogger } from "./log.ts";
import { BootstrapError } from "./storage/bootstrap.ts";

async function startServer(config: Config, notices: Notice[], env: Record<string, string | undefined>): Promise<void> {
  const log = createLogger(config.logLevel);
  const unknown = unknownEnvNames(env);
  if (unknown.length > 0) log.warn({ names: unknown }, "unknown DS_* environment variables");
  for (const notice of notices) log[notice.level](notice.fields ?? {}, notice.msg);
  const app = await createApp(config, log, {
    // Without its writer thread the server cannot commit large batches: exit so a supervisor restarts it.
    onWriterFailed: () => process.exit(1),
  });
  const server = listen(app, config, log);
  const address = listenAddress(server);
  log.info({ url: address.url, root: config.root, db: config.dbPath }, `durable streams server listening on ${address.hostPort}`);

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

/** Starts the full server; a configuration or bootstrap error ends the process with status 1. */
export async function main(argv: readonly string[], env: Record<string, string | undefined>): Promise<void> {
  try {
    const { config, notices } = parseConfig(argv, env);
    await startServer(config, notices, env);
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
}

if (import.meta.main) await main(process.argv.slice(2), process.env);
