// The one place tests build a configuration and an in-process app (driven through
// `app.http.request()`, no socket), each on a fresh temporary data directory.
import pino from "pino";
import { createApp, type App } from "../../src/app.ts";
import { loadConfig, type Config } from "../../src/config.ts";
import { makeTempDir, removeDir } from "./server-process.ts";

export function makeTestConfig(env: Record<string, string> = {}, argv: string[] = ["--no-auth"]): Config {
  const root = env.DS_ROOT ?? makeTempDir("ds-app-");
  return loadConfig(argv, { DS_ROOT: root, DS_EXPIRY_SWEEP_MS: "0", DS_METRICS_FLUSH_MS: "0", ...env });
}

export interface TestApp extends App {
  config: Config;
  /** `fetch` against the app: a path like `/v1/stream/x` or a full URL. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** Closes the app and removes its data directory (unless `keepData`). */
  dispose(options?: { keepData?: boolean }): Promise<void>;
}

export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = makeTestConfig(env);
  const app = await createApp(config, pino({ level: "silent" }));
  let closed = false;
  return {
    ...app,
    config,
    request: async (path, init) => app.http.request(path.startsWith("http") ? path : `http://127.0.0.1${path}`, init),
    dispose: async (options = {}) => {
      if (!closed) {
        closed = true;
        await app.close();
      }
      if (!options.keepData) removeDir(config.root);
    },
  };
}

/** PUT a stream; returns the response. */
export function createStream(app: TestApp, name: string, contentType = "application/octet-stream", init: RequestInit = {}): Promise<Response> {
  return app.request(`/v1/stream/${name}`, {
    method: "PUT",
    ...init,
    headers: { "content-type": contentType, ...(init.headers as Record<string, string> | undefined) },
  });
}
