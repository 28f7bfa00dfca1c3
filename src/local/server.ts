// A named local server (spec 05 §6.3): lock → app → listen → `server.json`. Close undoes it
// in reverse: stop serving, close the app (commits queued appends, closes SQLite), release
// the lock. `server.json` stays behind; `status` then reports it stale.
import { renameSync, writeFileSync } from "node:fs";
import type { Logger } from "pino";
import { createApp } from "../app.ts";
import { listen, listenAddress } from "../listen.ts";
import { createLogger } from "../log.ts";
import { DEFAULT_LOCAL_HOSTNAME, DEFAULT_LOCAL_PORT } from "./args.ts";
import { localConfig } from "./config.ts";
import { acquireLocalLock, LocalLockedError } from "./lock.ts";
import { localDataRoot, localPaths, normalizeLocalName } from "./paths.ts";

export interface LocalServerOptions {
  name?: string;
  hostname?: string;
  /** 0 (the default) picks a free port; read it from `exports.http.port`. */
  port?: number;
}

/** What a started server tells its caller, and (with `startedAt`) what `server.json` keeps. */
export interface LocalServerExports {
  name: string;
  pid: number;
  http: { url: string; port: number };
  sqlite: { path: string };
}

export interface LocalServer {
  exports: LocalServerExports;
  close(): Promise<void>;
}

/** The `server.json` document. */
export interface LocalServerDump {
  version: 1;
  name: string;
  pid: number;
  startedAt: string;
  http: { port: number; url: string };
  sqlite: { path: string };
}

function writeDump(path: string, dump: LocalServerDump): void {
  // Temp then rename: a reader never sees half a document.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(dump, null, 2)}\n`);
  renameSync(temp, path);
}

/**
 * Starts the named local server in this process. `env` is where DS_* tuning and
 * DS_LOCAL_DATA_ROOT are read (default: process.env).
 */
export async function startLocalServer(options: LocalServerOptions = {}, env: Record<string, string | undefined> = process.env): Promise<LocalServer> {
  const name = normalizeLocalName(options.name);
  const paths = localPaths(localDataRoot(env), name);
  const config = localConfig(paths, { hostname: options.hostname ?? DEFAULT_LOCAL_HOSTNAME, port: options.port ?? DEFAULT_LOCAL_PORT }, env);
  const log: Logger = createLogger(config.logLevel, 2);
  let release: () => Promise<void>;
  try {
    release = await acquireLocalLock(paths.lock, paths.dir, (error) => log.error({ err: error }, "local server lock compromised"));
  } catch (error) {
    if (error instanceof LocalLockedError) throw new LocalLockedError(`server is already running: ${name}`);
    throw error;
  }
  let app;
  let server;
  try {
    app = await createApp(config, log);
    server = listen(app, config, log);
  } catch (error) {
    await app?.close();
    await release();
    throw error;
  }
  const address = listenAddress(server);
  const exports: LocalServerExports = { name, pid: process.pid, http: { url: address.url, port: address.port }, sqlite: { path: paths.sqlite } };
  writeDump(paths.dump, { version: 1, name, pid: process.pid, startedAt: new Date().toISOString(), http: exports.http, sqlite: exports.sqlite });

  const started = { app, server };
  let closing: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    started.app.beginShutdown();
    try {
      await started.app.close();
      // Live reads ended with the app; what is left are idle keep-alive connections.
      await started.server.stop(true);
    } finally {
      await release();
    }
  };
  return { exports, close: () => (closing ??= close()) };
}
