// The one place tests build a configuration and an in-process app (driven through
// `app.http.request()`, no socket), each on a fresh temporary data directory.
import pino from "pino";
import { createApp, type App, type AppHooks } from "../../src/app.ts";
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

/**
 * Tiny segments and fast ticks: a few hundred small appends seal, upload and publish
 * several segments within a second. Tests spread it and add their own settings.
 */
export const SMALL_SEGMENTS: Readonly<Record<string, string>> = {
  DS_SEGMENT_MAX_BYTES: "4096",
  DS_BLOCK_MAX_BYTES: "1024",
  DS_SEGMENT_CHECK_MS: "20",
  DS_UPLOAD_CHECK_MS: "20",
  DS_SEGMENT_MAX_INTERVAL_MS: "0",
};

export interface TestAppOptions {
  /** Extra flags after `--no-auth`, e.g. `--bootstrap-from-r2`. */
  flags?: string[];
  hooks?: AppHooks;
}

export async function createTestApp(env: Record<string, string> = {}, options: TestAppOptions = {}): Promise<TestApp> {
  const config = makeTestConfig(env, ["--no-auth", ...(options.flags ?? [])]);
  // DS_TEST_LOG=debug shows the app's logs while debugging a test.
  const app = await createApp(config, pino({ level: process.env.DS_TEST_LOG ?? "silent" }), options.hooks);
  let closed: Promise<void> | null = null;
  const close = () => (closed ??= app.close());
  return {
    ...app,
    config,
    close,
    request: async (path, init) => app.http.request(path.startsWith("http") ? path : `http://127.0.0.1${path}`, init),
    dispose: async (options = {}) => {
      await close();
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

/** Polls `check` every 20 ms until it holds; fails after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

/**
 * Reads `path` (a stream URL, optionally with query) page by page from `from`, following
 * `Stream-Next-Offset` until up to date: the concatenated bodies, the tail offset, and how
 * many pages it took. Fails on a non-200 page or after `maxPages`.
 */
export async function readPages(app: TestApp, path: string, from = "-1", maxPages = 10_000): Promise<{ text: string; next: string; pages: number }> {
  let offset = from;
  let text = "";
  const sep = path.includes("?") ? "&" : "?";
  for (let pages = 1; pages <= maxPages; pages++) {
    const res = await app.request(`${path}${sep}offset=${offset}`);
    if (res.status !== 200) throw new Error(`read ${path} answered ${res.status}`);
    text += await res.text();
    offset = res.headers.get("stream-next-offset")!;
    if (res.headers.get("stream-up-to-date") === "true") return { text, next: offset, pages };
  }
  throw new Error("read did not reach the tail");
}
