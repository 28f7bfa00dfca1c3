// Goal: the local CLI's lifecycle works between processes as spec 05 §6.4 says: `start` runs
// a server and prints its exports, a second `start` of the name fails while it runs, `status`
// tells running from stale, `stop` ends it, `reset` refuses while it runs and deletes the
// database after; the forked daemon reports ready over IPC and leaves with its parent.
// Method: spawn the CLI as child processes on a temporary DS_LOCAL_DATA_ROOT.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { fork, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, removeDir, REPO_ROOT } from "../support/server-process.ts";

// Each CLI call is a Bun start-up (~0.3 s); the lifecycle test makes about a dozen.
setDefaultTimeout(30_000);

const CLI = join(REPO_ROOT, "src/local/cli.ts");
const DAEMON = join(REPO_ROOT, "src/local/daemon.ts");
let root: string;
const children: ChildProcess[] = [];

beforeAll(() => {
  root = makeTempDir("ds-local-cli-");
});

afterAll(async () => {
  // Only the processes this file started, by their own handles.
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  removeDir(root);
});

const env = () => ({ PATH: process.env.PATH ?? "", DS_LOCAL_DATA_ROOT: root, DS_METRICS_FLUSH_MS: "0" });

function cli(...args: string[]): { code: number | null; json: any; stderr: string } {
  const out = Bun.spawnSync([process.execPath, "run", CLI, ...args], { cwd: REPO_ROOT, env: env(), stdout: "pipe", stderr: "pipe" });
  const stdout = out.stdout.toString();
  return { code: out.exitCode, json: stdout.trim() === "" ? null : JSON.parse(stdout), stderr: out.stderr.toString() };
}

/** Spawns `start` and resolves with the exports it prints once listening. */
function startCli(...args: string[]): Promise<{ child: ChildProcess; exports: any; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ["run", CLI, "start", ...args], { cwd: REPO_ROOT, env: env(), stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let stdout = "";
  let stderr = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`start did not report within 10 s:\n${stdout}\n${stderr}`)), 10_000);
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      try {
        const exports = JSON.parse(stdout);
        clearTimeout(timer);
        resolve({ child, exports, exited });
      } catch {
        // not a whole document yet
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`start exited with ${code}:\n${stderr}`));
    });
  });
}

test("start, status, stop and reset across processes", async () => {
  const { child, exports, exited } = await startCli("--name=dev", "--hostname", "127.0.0.1", "--port=0");
  expect(exports).toMatchObject({ name: "dev", pid: child.pid, sqlite: { path: join(root, "dev", "durable-streams.sqlite") } });
  expect(exports.http.url).toBe(`http://127.0.0.1:${exports.http.port}`);
  const { url } = exports.http;
  expect((await fetch(`${url}/v1/stream/a`, { method: "PUT", headers: { "content-type": "text/plain" }, body: "x" })).status).toBe(201);

  const second = cli("start", "--name", "dev");
  expect(second.code).toBe(1);
  expect(JSON.parse(second.stderr).error).toBe("server is already running: dev");

  const running = cli("status", "--name", "dev");
  expect(running.code).toBe(0);
  expect(running.json).toMatchObject({ name: "dev", dataDir: join(root, "dev"), pidAlive: true, healthy: true, running: true, stale: false });
  expect(running.json.dump).toMatchObject({ version: 1, pid: child.pid, http: { url } });
  const all = cli("status");
  expect(all.json.map((s: { name: string; running: boolean }) => [s.name, s.running])).toEqual([["dev", true]]);

  const refused = cli("reset", "--name", "dev");
  expect(refused.code).toBe(1);
  expect(JSON.parse(refused.stderr).error).toBe("server is running: dev");
  expect(existsSync(exports.sqlite.path)).toBe(true);

  const stopped = cli("stop", "--name", "dev");
  expect(stopped.json).toEqual({ name: "dev", stopped: true, pid: child.pid });
  expect(await exited).toBe(0);

  const stale = cli("status", "--name=dev");
  expect(stale.json).toMatchObject({ pidAlive: false, healthy: false, running: false, stale: true });
  expect(cli("stop", "--name", "dev").json).toEqual({ name: "dev", stopped: false, reason: "pid_not_running", pid: child.pid });

  const reset = cli("reset", "--name", "dev");
  expect(reset.json).toEqual({ name: "dev", reset: true, sqlite: exports.sqlite.path });
  for (const suffix of ["", "-wal", "-shm"]) expect(existsSync(`${exports.sqlite.path}${suffix}`)).toBe(false);

  // A fresh start on the reset name has no streams.
  const fresh = await startCli("--name", "dev");
  expect((await fetch(`${fresh.exports.http.url}/v1/stream/a`, { method: "HEAD" })).status).toBe(404);
  fresh.child.kill("SIGTERM");
  expect(await fresh.exited).toBe(0);
});

test("unknown names, commands and flags", () => {
  expect(cli("status", "--name", "nobody").json).toMatchObject({ name: "nobody", dump: null, running: false, stale: false });
  expect(cli("stop", "--name", "nobody").json).toEqual({ name: "nobody", stopped: false, reason: "not_found" });
  const badCommand = cli("restart");
  expect(badCommand.code).toBe(1);
  expect(JSON.parse(badCommand.stderr).error).toContain('unknown command "restart"');
  expect(JSON.parse(cli("start", "--port", "-1").stderr).error).toContain("invalid --port");
  expect(JSON.parse(cli("status", "--verbose").stderr).error).toBe("unknown flag --verbose");
});

test("the daemon reports ready over IPC and stops when its parent disconnects", async () => {
  const child = fork(DAEMON, ["embedded"], { execPath: process.execPath, execArgv: [], cwd: REPO_ROOT, env: env(), stdio: ["ignore", "pipe", "pipe", "ipc"] });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const ready = await new Promise<any>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("daemon not ready within 10 s")), 10_000);
    child.once("message", (message) => {
      clearTimeout(timer);
      resolve(message);
    });
  });
  expect(ready).toMatchObject({ type: "ready", exports: { name: "embedded", pid: child.pid } });
  expect((await fetch(`${ready.exports.http.url}/health`)).status).toBe(200);
  child.disconnect();
  expect(await exited).toBe(0);
  expect(cli("status", "--name", "embedded").json).toMatchObject({ running: false, stale: true });
});
