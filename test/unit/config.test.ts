// Goal: configuration is parsed in one place, refuses invalid values by name, and the
// documented table in docs/operations.md matches it.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, environmentDefaults, loadConfig, unknownEnvNames } from "../../src/config.ts";

describe("loadConfig", () => {
  test("defaults: loopback, port 8787, data under ./data", () => {
    const config = loadConfig(["--no-auth"], {});
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8787, root: "./data", dbPath: "./data/wal.sqlite", objectStore: "local" });
    expect(config.auth).toEqual({ strategy: "none" });
  });

  test("an invalid value stops start-up naming the variable", () => {
    for (const [name, value] of [["PORT", "http"], ["PORT", "70000"], ["DS_READ_MAX_BYTES", "0"], ["DS_LOG_LEVEL", "loud"], ["DS_INGEST_MAX_BATCH_REQS", "1.5"]]) {
      expect(() => loadConfig(["--no-auth"], { [name!]: value! })).toThrow(new RegExp(`invalid ${name}`));
    }
  });

  test("unknown flags and bad flag values are refused", () => {
    expect(() => loadConfig(["--no-auth", "--bogus"], {})).toThrow(ConfigError);
    expect(() => loadConfig(["--no-auth", "--object-store", "s3"], {})).toThrow("invalid --object-store");
    expect(() => loadConfig(["--no-auth", "--object-store"], {})).toThrow("missing value");
  });

  test("unknown DS_ variables are reported, known ones are not", () => {
    expect(unknownEnvNames({ DS_ROOT: "x", DS_ROTO: "y", HOME: "/" })).toEqual(["DS_ROTO"]);
  });
});

test("docs/operations.md documents every variable with its default", () => {
  const doc = readFileSync(join(import.meta.dir, "../../docs/operations.md"), "utf8");
  const documented = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `([A-Z0-9_]+)` \| ([^|]+) \|/gm)) documented.set(match[1]!, match[2]!.trim());
  const defaults = environmentDefaults();
  expect([...documented.keys()].sort()).toEqual(Object.keys(defaults).sort());
  for (const [name, value] of Object.entries(defaults)) {
    if (value === undefined) continue;
    expect(`${name}=${documented.get(name)}`).toBe(`${name}=\`${value}\``);
  }
});
