// Goal: the Compute entry adds `--object-store r2` and `--auto-tune` only when they are
// absent (in either flag form), never an auth flag, and really runs the server with the
// rewritten flags. Method: the pure ensureComputeArgv on literal cases, then one spawned entry.
import { afterEach, describe, expect, test } from "bun:test";
import { ensureComputeArgv } from "../../src/compute/argv.ts";
import { join } from "node:path";
import { makeTempDir, removeDir, REPO_ROOT } from "../support/server-process.ts";

describe("ensureComputeArgv", () => {
  test("appends --object-store r2 when no --object-store is given", () => {
    expect(ensureComputeArgv(["--auth-strategy", "api-key"], {})).toEqual(["--auth-strategy", "api-key", "--object-store", "r2"]);
  });

  test("keeps an --object-store in either form", () => {
    expect(ensureComputeArgv(["--no-auth", "--object-store", "local"], {})).toEqual(["--no-auth", "--object-store", "local"]);
    expect(ensureComputeArgv(["--object-store=local", "--no-auth"], {})).toEqual(["--object-store=local", "--no-auth"]);
  });

  test("appends --auto-tune only when DS_MEMORY_LIMIT_MB is set and no --auto-tune is given", () => {
    expect(ensureComputeArgv(["--no-auth"], { DS_MEMORY_LIMIT_MB: "1024" })).toEqual(["--no-auth", "--object-store", "r2", "--auto-tune"]);
    expect(ensureComputeArgv(["--no-auth"], { DS_MEMORY_LIMIT_MB: "" })).toEqual(["--no-auth", "--object-store", "r2"]);
    expect(ensureComputeArgv(["--no-auth"], { DS_MEMORY_LIMIT_BYTES: "1073741824" })).toEqual(["--no-auth", "--object-store", "r2"]);
    for (const given of [["--auto-tune"], ["--auto-tune=2048"], ["--auto-tune", "2048"]]) {
      expect(ensureComputeArgv(["--no-auth", ...given, "--object-store", "r2"], { DS_MEMORY_LIMIT_MB: "1024" })).toEqual(["--no-auth", ...given, "--object-store", "r2"]);
    }
  });

  test("never adds an auth flag, and leaves its input unchanged", () => {
    const argv: string[] = [];
    const out = ensureComputeArgv(argv, { DS_MEMORY_LIMIT_MB: "512", API_KEY: "0123456789abcdef" });
    expect(out).toEqual(["--object-store", "r2", "--auto-tune"]);
    expect(out.some((a) => a.includes("auth"))).toBe(false);
    expect(argv).toEqual([]);
  });
});

let root: string | null = null;
afterEach(() => {
  if (root) removeDir(root);
  root = null;
});

test("the entry runs the server with the rewritten flags (r2 asked for, auto-tune applied)", () => {
  root = makeTempDir("ds-compute-");
  const entry = join(REPO_ROOT, "src/compute/entry.ts");
  const env = { PATH: process.env.PATH ?? "", DS_ROOT: root, PORT: "0", DS_MEMORY_LIMIT_MB: "512" };
  // Without R2 credentials the injected --object-store r2 stops start-up, naming the variables.
  const noR2 = Bun.spawnSync([process.execPath, "run", entry, "--no-auth"], { cwd: REPO_ROOT, env, stdout: "pipe", stderr: "pipe" });
  expect(noR2.exitCode).toBe(1);
  expect(noR2.stderr.toString()).toContain("--object-store r2 needs DURABLE_STREAMS_R2_BUCKET");
  // The injected --auto-tune refuses a tuned variable set by hand (the plain server would accept it).
  const tunedByHand = { ...env, DS_SQLITE_CACHE_MB: "5" };
  const conflict = Bun.spawnSync([process.execPath, "run", entry, "--no-auth", "--object-store", "local"], { cwd: REPO_ROOT, env: tunedByHand, stdout: "pipe", stderr: "pipe" });
  expect(conflict.exitCode).toBe(1);
  expect(conflict.stderr.toString()).toContain("--auto-tune sets these variables itself: DS_SQLITE_CACHE_MB");
  // Missing auth is never filled in.
  const noAuth = Bun.spawnSync([process.execPath, "run", entry, "--object-store", "local"], { cwd: REPO_ROOT, env, stdout: "pipe", stderr: "pipe" });
  expect(noAuth.exitCode).toBe(1);
  expect(noAuth.stderr.toString()).toContain("missing auth configuration");
});
