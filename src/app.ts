// Composition root: storage, writer, engine and routes wired together. Wiring only.
import type { Hono } from "hono";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { Engine } from "./engine/engine.ts";
import { SelfMetrics } from "./engine/self-metrics.ts";
import { buildRoutes } from "./http/routes.ts";
import { retryPolicy } from "./engine/tiering/index.ts";
import { assertNoInterruptedBootstrap, bootstrapFromObjectStore } from "./storage/bootstrap.ts";
import { createObjectStore } from "./storage/object-store/index.ts";
import type { ObjectStore } from "./storage/object-store/object-store.ts";
import { openDatabase } from "./storage/sqlite/open.ts";

export interface App {
  http: Hono;
  engine: Engine;
  /** Starts refusing requests with 503 (shutdown begun). */
  beginShutdown(): void;
  /** Commits queued writes, ends live reads, closes SQLite. */
  close(): Promise<void>;
}

export interface AppHooks {
  /** The writer thread died: large batches can no longer commit. */
  onWriterFailed?(message: string): void;
  /** Replaces the configured object store (tests inject fault-injecting stores). */
  objectStore?: ObjectStore;
}

export async function createApp(config: Config, log: Logger, hooks: AppHooks = {}): Promise<App> {
  const objects = hooks.objectStore ?? createObjectStore(config);
  if (config.bootstrapFromObjectStore) {
    await bootstrapFromObjectStore({ root: config.root, dbPath: config.dbPath, retry: retryPolicy(config) }, objects, log);
  }
  assertNoInterruptedBootstrap(config.root);
  const db = openDatabase(config.dbPath, { cacheBytes: config.sqlite.cacheBytes, walCheckpointBytes: config.sqlite.walCheckpointBytes });
  const engine = await Engine.open(db, config, log, {
    objects,
    onWriterFailed: (message) => hooks.onWriterFailed?.(message),
  });
  let closing = false;
  const http = buildRoutes({ engine, config, log, isClosing: () => closing });
  engine.start();
  const selfMetrics = new SelfMetrics(engine, config.metrics.flushIntervalMs, log);
  await selfMetrics.start();
  return {
    http,
    engine,
    beginShutdown: () => {
      closing = true;
    },
    close: async () => {
      closing = true;
      selfMetrics.stop();
      await engine.close();
    },
  };
}
