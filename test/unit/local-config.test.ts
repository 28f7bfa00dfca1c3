// Goal: the local mode's configuration is the normal one with the 1024 MiB preset as
// defaults, no memory limit, no disk cache, no auth and no object store, located by the
// local options and never by a full server's DS_ROOT / DS_HOST / PORT.
import { expect, test } from "bun:test";
import { localConfig } from "../../src/local/config.ts";
import { localPaths } from "../../src/local/paths.ts";

const MiB = 1024 * 1024;
const paths = localPaths("/data/root", "dev");

test("local mode: 1024 preset reported, no memory limit, no auth, no store, no disk cache", () => {
  const config = localConfig(paths, { hostname: "127.0.0.1", port: 0 }, {});
  expect(config).toMatchObject({ mode: "local", objectStore: "none", auth: { strategy: "none" }, host: "127.0.0.1", port: 0, root: "/data/root/dev", dbPath: paths.sqlite });
  expect(config.autoTune).toEqual({ enabled: true, requestedMemoryMb: 1024, presetMb: 1024, effectiveMemoryLimitMb: 1024 });
  expect(config.memory).toEqual({ limitBytes: 0 });
  expect(config.sqlite.cacheBytes).toBe(64 * MiB);
  expect(config.ingest.maxBatchBytes).toBe(4 * MiB);
  expect(config.tiering.segmentCacheMaxBytes).toBe(0);
  expect(config.http.idleTimeoutSeconds).toBe(65);
  expect(config.logLevel).toBe("warn");
});

test("a full server's location and memory variables are ignored; tuning variables still apply", () => {
  const config = localConfig(paths, { hostname: "localhost", port: 4437 }, {
    DS_ROOT: "/elsewhere",
    DS_DB_PATH: "/elsewhere/x.sqlite",
    DS_HOST: "0.0.0.0",
    PORT: "8787",
    DS_MEMORY_LIMIT_MB: "100000",
    DS_SEGMENT_CACHE_MAX_BYTES: "999999",
    DS_SQLITE_CACHE_MB: "12",
    DS_LOG_LEVEL: "debug",
  });
  expect(config).toMatchObject({ root: "/data/root/dev", dbPath: paths.sqlite, host: "localhost", port: 4437, memory: { limitBytes: 0 }, logLevel: "debug" });
  expect(config.sqlite.cacheBytes).toBe(12 * MiB);
  expect(config.tiering.segmentCacheMaxBytes).toBe(0);
});
