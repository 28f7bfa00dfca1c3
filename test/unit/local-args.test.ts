// Goal: the local CLI's and daemon's options follow spec 05 §6.4: both flag forms, absent
// flags unset, a flag without a value falls back to its default, bad ports and names are
// refused; the data root is DS_LOCAL_DATA_ROOT or env-paths' `prisma-dev` data directory.
import { describe, expect, test } from "bun:test";
import envPaths from "env-paths";
import { join, resolve } from "node:path";
import { parseLocalProcessOptions } from "../../src/local/args.ts";
import { localDataRoot, localPaths, normalizeLocalName } from "../../src/local/paths.ts";

describe("parseLocalProcessOptions", () => {
  test("both flag forms, in any order around the positional argument", () => {
    expect(parseLocalProcessOptions(["start", "--name", "dev", "--hostname=::1", "--port", "4437"])).toEqual({ positional: "start", name: "dev", hostname: "::1", port: 4437 });
    expect(parseLocalProcessOptions(["--port=0", "--name=dev", "stop"])).toEqual({ positional: "stop", name: "dev", port: 0 });
  });

  test("absent flags stay unset; a flag without a value takes its default", () => {
    expect(parseLocalProcessOptions([])).toEqual({});
    expect(parseLocalProcessOptions(["status", "--name"])).toEqual({ positional: "status", name: "default" });
    expect(parseLocalProcessOptions(["--name=", "--hostname", "--port"])).toEqual({ name: "default", hostname: "127.0.0.1", port: 0 });
  });

  test("invalid ports, unknown flags and a second positional argument are refused", () => {
    for (const port of ["-1", "65536", "1.5", "http", "0x10"]) expect(() => parseLocalProcessOptions([`--port=${port}`])).toThrow("invalid --port");
    expect(() => parseLocalProcessOptions(["--verbose"])).toThrow("unknown flag --verbose");
    expect(() => parseLocalProcessOptions(["start", "extra"])).toThrow('unexpected argument "extra"');
  });
});

describe("names and paths", () => {
  test("names are trimmed, empty means default, path tricks are refused", () => {
    expect(normalizeLocalName(undefined)).toBe("default");
    expect(normalizeLocalName("  ")).toBe("default");
    expect(normalizeLocalName(" my-app_1.2 ")).toBe("my-app_1.2");
    for (const bad of [".", "..", "a/b", "a b", "ü"]) expect(() => normalizeLocalName(bad)).toThrow("invalid --name");
  });

  test("the data root is DS_LOCAL_DATA_ROOT (resolved), else env-paths' prisma-dev data directory", () => {
    expect(localDataRoot({ DS_LOCAL_DATA_ROOT: "rel/dir" })).toBe(resolve("rel/dir"));
    const fallback = join(envPaths("prisma-dev").data, "durable-streams");
    expect(localDataRoot({})).toBe(fallback);
    expect(localDataRoot({ DS_LOCAL_DATA_ROOT: "" })).toBe(fallback);
    // env-paths appends its own "-nodejs" suffix, as upstream's paths do.
    expect(fallback).toContain("prisma-dev-nodejs");
  });

  test("each name has its own directory with the database, lock and server file", () => {
    expect(localPaths("/r", "dev")).toEqual({
      name: "dev",
      dir: "/r/dev",
      sqlite: "/r/dev/durable-streams.sqlite",
      lock: "/r/dev/server.lock",
      dump: "/r/dev/server.json",
    });
  });
});
