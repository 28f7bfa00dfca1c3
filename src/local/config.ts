// The local mode's configuration (spec 02 §15, 05 §6.1): the normal environment parsing,
// with the 1024 MiB auto-tune preset as defaults, no memory limit, no caches on disk, no auth
// and no object store. The server's location comes from the local options, never from
// DS_ROOT / DS_HOST / PORT, which belong to a full server the same shell may also run.
import { presetEnv } from "../auto-tune.ts";
import { loadConfig, type Config } from "../config.ts";
import type { LocalPaths } from "./paths.ts";

export const LOCAL_PRESET_MB = 1024;

/** Variables a local server takes from its options or ignores (no memory monitor, no store). */
const IGNORED = new Set(["DS_ROOT", "DS_DB_PATH", "DS_HOST", "PORT", "DS_MEMORY_LIMIT_MB", "DS_MEMORY_LIMIT_BYTES", "API_KEY"]);

export function localConfig(paths: LocalPaths, listen: { hostname: string; port: number }, env: Record<string, string | undefined>): Config {
  const own = Object.fromEntries(Object.entries(env).filter(([name]) => !IGNORED.has(name) && !name.startsWith("DURABLE_STREAMS_R2_")));
  const config = loadConfig(["--no-auth"], {
    ...presetEnv(LOCAL_PRESET_MB),
    // Logs go to stderr in local mode (stdout carries the CLI's JSON); warnings only unless asked.
    DS_LOG_LEVEL: "warn",
    // Bun's idle timeout as upstream's local server; long-polls end well within it.
    DS_HTTP_IDLE_TIMEOUT_SECONDS: "65",
    ...own,
    DS_SEGMENT_CACHE_MAX_BYTES: "0",
    DS_ROOT: paths.dir,
    DS_DB_PATH: paths.sqlite,
    DS_HOST: listen.hostname,
    PORT: String(listen.port),
  });
  return {
    ...config,
    mode: "local",
    objectStore: "none",
    autoTune: { enabled: true, requestedMemoryMb: LOCAL_PRESET_MB, presetMb: LOCAL_PRESET_MB, effectiveMemoryLimitMb: LOCAL_PRESET_MB },
    memory: { limitBytes: 0 },
  };
}
