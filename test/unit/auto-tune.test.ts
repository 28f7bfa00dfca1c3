// Goal: `--auto-tune` and the memory limit are parsed in every documented form, refuse every
// documented conflict by name, pick the right preset, and the preset's values (and the
// report `/v1/server/_details` shows) reach Config. Method: parseConfig on literal argv/env,
// with the host's RAM injected so the clamp is deterministic.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { AUTO_TUNE_PRESETS_MB, choosePreset, clampToHost, presetEnv, TUNED_SETTINGS } from "../../src/auto-tune.ts";
import { ConfigError, loadConfig, parseConfig } from "../../src/config.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const HOST = { hostMemoryBytes: 64 * GiB };
const tuned = (argv: string[], env: Record<string, string> = {}, options = HOST) => loadConfig(["--no-auth", ...argv], env, options);

describe("--auto-tune forms", () => {
  test("=MB, a separate MB, and bare with DS_MEMORY_LIMIT_MB all request the same preset", () => {
    for (const [argv, env] of [
      [["--auto-tune=2048"], {}],
      [["--auto-tune", "2048"], {}],
      [["--auto-tune"], { DS_MEMORY_LIMIT_MB: "2048" }],
    ] as const) {
      const config = tuned([...argv], { ...env });
      expect(config.autoTune).toEqual({ enabled: true, requestedMemoryMb: 2048, presetMb: 2048, effectiveMemoryLimitMb: 2048 });
      expect(config.memory.limitBytes).toBe(2048 * MiB);
    }
  });

  test("a bare --auto-tune followed by another flag takes no value", () => {
    const config = loadConfig(["--auto-tune", "--no-auth"], { DS_MEMORY_LIMIT_MB: "512" }, HOST);
    expect(config.autoTune.presetMb).toBe(512);
    expect(config.auth).toEqual({ strategy: "none" });
  });

  test("without --auto-tune nothing is tuned and the report is all null", () => {
    const config = tuned([]);
    expect(config.autoTune).toEqual({ enabled: false, requestedMemoryMb: null, presetMb: null, effectiveMemoryLimitMb: null });
    expect(config.memory).toEqual({ limitBytes: 0 });
    expect(config.tiering.segmentMaxBytes).toBe(16 * MiB);
    expect(config.sqlite).toMatchObject({ cacheBytes: 0, workerCacheBytes: 0 });
  });
});

describe("preset choice", () => {
  test("the largest preset not above the request; 256 stands for a 300 MiB limit", () => {
    expect(choosePreset(256)).toBe(256);
    expect(choosePreset(511)).toBe(256);
    expect(choosePreset(1500)).toBe(1024);
    expect(choosePreset(100_000)).toBe(8192);
    const small = tuned(["--auto-tune=300"]);
    expect(small.autoTune).toEqual({ enabled: true, requestedMemoryMb: 300, presetMb: 256, effectiveMemoryLimitMb: 300 });
    expect(small.memory.limitBytes).toBe(300 * MiB);
  });

  test("every preset's values reach Config", () => {
    const expected: Record<number, { seg: number; rows: number; cache: number; sqlite: number; worker: number; batch: number; queue: number; uploads: number; gc: number }> = {
      256: { seg: 8, rows: 50_000, cache: 0, sqlite: 16, worker: 8, batch: 2, queue: 8, uploads: 1, gc: 8 },
      512: { seg: 8, rows: 50_000, cache: 0, sqlite: 32, worker: 8, batch: 2, queue: 8, uploads: 1, gc: 8 },
      1024: { seg: 8, rows: 50_000, cache: 0, sqlite: 64, worker: 8, batch: 4, queue: 16, uploads: 1, gc: 8 },
      2048: { seg: 16, rows: 100_000, cache: 256, sqlite: 128, worker: 16, batch: 8, queue: 32, uploads: 2, gc: 32 },
      4096: { seg: 16, rows: 100_000, cache: 256, sqlite: 256, worker: 32, batch: 16, queue: 64, uploads: 4, gc: 32 },
      8192: { seg: 16, rows: 100_000, cache: 256, sqlite: 512, worker: 32, batch: 64, queue: 128, uploads: 8, gc: 32 },
    };
    for (const preset of AUTO_TUNE_PRESETS_MB) {
      const c = tuned([`--auto-tune=${preset}`]);
      const want = expected[preset]!;
      expect({
        seg: c.tiering.segmentMaxBytes / MiB,
        rows: c.tiering.segmentTargetRows,
        cache: c.tiering.segmentCacheMaxBytes / MiB,
        sqlite: c.sqlite.cacheBytes / MiB,
        worker: c.sqlite.workerCacheBytes / MiB,
        batch: c.ingest.maxBatchBytes / MiB,
        queue: c.ingest.maxQueueBytes / MiB,
        uploads: c.tiering.uploadConcurrency,
        gc: c.engine.gcPaceBytes / MiB,
      }).toEqual(want);
    }
  });

  test("start-up logs one line per tuned setting, every preset listed and the chosen one in brackets", () => {
    const { notices } = parseConfig(["--no-auth", "--auto-tune=1024"], {}, HOST);
    const lines = notices.filter((n) => n.msg.startsWith("auto-tune DS_"));
    expect(lines.map((n) => n.fields?.setting)).toEqual(TUNED_SETTINGS.map((s) => s.name));
    const sqlite = lines.find((n) => n.fields?.setting === "DS_SQLITE_CACHE_MB")!;
    expect(sqlite.msg).toContain("256: 16, 512: 32, [1024: 64], 2048: 128, 4096: 256, 8192: 512");
    expect(lines.every((n) => (n.msg.match(/\[/g) ?? []).length === 1)).toBe(true);
  });

  test("presetEnv writes MiB settings named …_BYTES as bytes", () => {
    expect(presetEnv(2048)).toMatchObject({ DS_SEGMENT_MAX_BYTES: String(16 * MiB), DS_SQLITE_CACHE_MB: "128", DS_SEGMENT_CACHE_MAX_BYTES: String(256 * MiB) });
  });
});

describe("conflicts stop start-up with a message naming them", () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["bare flag without DS_MEMORY_LIMIT_MB", ["--auto-tune"], {}, /needs a memory figure/],
    ["a value together with DS_MEMORY_LIMIT_MB", ["--auto-tune=1024"], { DS_MEMORY_LIMIT_MB: "1024" }, /cannot be combined with DS_MEMORY_LIMIT_MB/],
    ["DS_MEMORY_LIMIT_BYTES with auto-tune", ["--auto-tune=1024"], { DS_MEMORY_LIMIT_BYTES: String(GiB) }, /DS_MEMORY_LIMIT_BYTES/],
    ["a tuned variable set by hand", ["--auto-tune=1024"], { DS_SEGMENT_MAX_BYTES: "1048576", DS_UPLOAD_CONCURRENCY: "3" }, /DS_SEGMENT_MAX_BYTES, DS_UPLOAD_CONCURRENCY/],
    ["less than the smallest preset", ["--auto-tune=255"], {}, /at least 256 MiB/],
    ["zero", ["--auto-tune=0"], {}, /positive whole number/],
    ["not a number", ["--auto-tune", "lots"], {}, /positive whole number.*"lots"/],
    ["a fraction", ["--auto-tune=1024.5"], {}, /positive whole number/],
    ["an invalid DS_MEMORY_LIMIT_MB", ["--auto-tune"], { DS_MEMORY_LIMIT_MB: "-5" }, /DS_MEMORY_LIMIT_MB must be a positive whole number/],
    ["the flag twice", ["--auto-tune=1024", "--auto-tune=2048"], {}, /given twice/],
    ["both memory variables without auto-tune", [], { DS_MEMORY_LIMIT_MB: "1024", DS_MEMORY_LIMIT_BYTES: String(GiB) }, /only one of/],
    ["a negative memory limit without auto-tune", [], { DS_MEMORY_LIMIT_BYTES: "-1" }, /DS_MEMORY_LIMIT_BYTES must be a non-negative whole number of bytes/],
  ];
  for (const [what, argv, env, message] of cases) {
    test(what, () => {
      expect(() => tuned(argv, env)).toThrow(ConfigError);
      expect(() => tuned(argv, env)).toThrow(message);
    });
  }

  test("the server exits 1 with the message", () => {
    const child = Bun.spawnSync([process.execPath, "run", "src/server.ts", "--no-auth", "--auto-tune"], {
      cwd: `${import.meta.dir}/../..`,
      env: { PATH: process.env.PATH ?? "" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(child.exitCode).toBe(1);
    expect(child.stderr.toString()).toContain("configuration error: --auto-tune needs a memory figure");
  });
});

describe("the memory limit without auto-tune", () => {
  test("DS_MEMORY_LIMIT_MB or _BYTES sets it, and the SQLite caches derive from it unless set", () => {
    const mb = tuned([], { DS_MEMORY_LIMIT_MB: "2048" });
    expect(mb.memory.limitBytes).toBe(2 * GiB);
    expect(mb.autoTune.enabled).toBe(false);
    expect(mb.sqlite).toMatchObject({ cacheBytes: 512 * MiB, workerCacheBytes: 32 * MiB });
    expect(tuned([], { DS_MEMORY_LIMIT_BYTES: String(400 * MiB) }).sqlite).toMatchObject({ cacheBytes: 100 * MiB, workerCacheBytes: 12.5 * MiB });
    expect(tuned([], { DS_MEMORY_LIMIT_MB: "2048", DS_SQLITE_CACHE_MB: "10", DS_WORKER_SQLITE_CACHE_MB: "3" }).sqlite).toMatchObject({ cacheBytes: 10 * MiB, workerCacheBytes: 3 * MiB });
    // 0 is the documented default: no limit.
    expect(tuned([], { DS_MEMORY_LIMIT_MB: "0" }).memory.limitBytes).toBe(0);
  });

  test("a limit above 70% of the host's RAM is clamped (never below 256 MiB), with a warning", () => {
    expect(clampToHost(8 * GiB, 4 * GiB)).toBe(Math.floor(0.7 * 4 * GiB));
    expect(clampToHost(1 * GiB, 4 * GiB)).toBe(1 * GiB);
    expect(clampToHost(1 * GiB, 128 * MiB)).toBe(256 * MiB);
    const { config, notices } = parseConfig(["--no-auth", "--auto-tune=8192"], {}, { hostMemoryBytes: 4 * GiB });
    expect(config.autoTune.presetMb).toBe(8192);
    expect(config.memory.limitBytes).toBe(Math.floor(0.7 * 4 * GiB));
    expect(notices.some((n) => n.level === "warn" && n.msg.startsWith("[memory] clamped limit from 8589934592 to"))).toBe(true);
    expect(parseConfig(["--no-auth", "--auto-tune=1024"], {}, HOST).notices.some((n) => n.level === "warn")).toBe(false);
  });
});

test("docs/operations.md shows the preset table auto-tune applies", () => {
  const doc = readFileSync(`${import.meta.dir}/../../docs/operations.md`, "utf8");
  const rows = new Map<string, number[]>();
  for (const m of doc.matchAll(/^\| `(DS_[A-Z0-9_]+)` \([^)]*\) \| ([^\n]+) \|$/gm)) rows.set(m[1]!, m[2]!.split("|").map((v) => Number(v.trim())));
  expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(TUNED_SETTINGS.map((s) => [s.name, [...s.values]])));
});
