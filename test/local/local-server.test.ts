// Goal: `startLocalServer` serves the normal HTTP API on loopback under the per-user data
// root, holds its name's lock while open, keeps every record in the WAL (no segment, cache or
// object file, ever), and keeps its data across restarts of the same name. Method: start it
// in-process on a temporary DS_LOCAL_DATA_ROOT and talk to it over real HTTP.
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { startLocalServer, type LocalServer } from "../../src/local/index.ts";
import { LocalLockedError } from "../../src/local/lock.ts";
import { createStream, createTestApp, until, type TestApp } from "../support/app.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

// Settings under which a full server seals a segment almost at once.
const SEAL_AT_ONCE = { DS_SEGMENT_TARGET_ROWS: "1", DS_SEGMENT_CHECK_MS: "10", DS_UPLOAD_CHECK_MS: "10" };

let root: string;
const open: LocalServer[] = [];
let control: TestApp | null = null;

function localEnv(extra: Record<string, string> = {}): Record<string, string> {
  root ??= makeTempDir("ds-local-");
  return { DS_LOCAL_DATA_ROOT: root, DS_METRICS_FLUSH_MS: "0", ...extra };
}

async function start(options: { name?: string } = {}, extra: Record<string, string> = {}): Promise<LocalServer> {
  const server = await startLocalServer(options, localEnv(extra));
  open.push(server);
  return server;
}

afterEach(async () => {
  for (const server of open.splice(0)) await server.close();
  await control?.dispose();
  control = null;
  if (root) removeDir(root);
  root = undefined as unknown as string;
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

test("serves create, append and read on an ephemeral loopback port, and reports itself", async () => {
  const server = await start();
  const { url, port } = server.exports.http;
  expect(server.exports.name).toBe("default");
  expect(server.exports.pid).toBe(process.pid);
  expect(url).toBe(`http://127.0.0.1:${port}`);
  expect(port).toBeGreaterThan(0);
  expect(server.exports.sqlite.path).toBe(join(root, "default", "durable-streams.sqlite"));

  expect((await fetch(`${url}/v1/stream/notes`, { method: "PUT", headers: { "content-type": "application/json" } })).status).toBe(201);
  const post = await fetch(`${url}/v1/stream/notes`, { method: "POST", headers: { "content-type": "application/json" }, body: '[{"n":1},{"n":2}]' });
  expect(post.status).toBe(204);
  const read = await fetch(`${url}/v1/stream/notes?offset=-1`);
  expect(await read.json()).toEqual([{ n: 1 }, { n: 2 }]);
  // No auth in local mode, and no object store behind it.
  const metrics = (await (await fetch(`${url}/metrics`)).json()) as { tiering: { object_store: string } };
  expect(metrics.tiering.object_store).toBe("none");

  const dump = JSON.parse(readFileSync(join(root, "default", "server.json"), "utf8"));
  expect(dump).toMatchObject({ version: 1, name: "default", pid: process.pid, http: { url, port }, sqlite: { path: server.exports.sqlite.path } });
  expect(Number.isNaN(Date.parse(dump.startedAt))).toBe(false);
});

test("a second start of the same name fails at once while the first is open; close releases the lock", async () => {
  const first = await start({ name: "shared" });
  const began = performance.now();
  await expect(startLocalServer({ name: "shared" }, localEnv())).rejects.toThrow(LocalLockedError);
  expect(performance.now() - began).toBeLessThan(2000);
  // Another name is another server.
  await start({ name: "other" });

  await first.close();
  open.splice(open.indexOf(first), 1);
  const again = await start({ name: "shared" });
  expect(again.exports.http.port).toBeGreaterThan(0);
});

test("records stay in the WAL: no segment, cache or object file is ever written", async () => {
  // Control: the same settings make a full server seal (and write files) almost at once.
  control = await createTestApp(SEAL_AT_ONCE);
  await createStream(control, "s", "text/plain");
  for (let i = 0; i < 5; i++) await control.request("/v1/stream/s", { method: "POST", body: `r${i}`, headers: { "content-type": "text/plain" } });
  await until(() => existsSync(join(control!.config.root, "local")) || existsSync(join(control!.config.root, "objects")), 5000, "full server sealing");

  const server = await start({ name: "wal-only" }, SEAL_AT_ONCE);
  const { url } = server.exports.http;
  await fetch(`${url}/v1/stream/s`, { method: "PUT", headers: { "content-type": "text/plain" } });
  for (let i = 0; i < 5; i++) await fetch(`${url}/v1/stream/s`, { method: "POST", body: `r${i}`, headers: { "content-type": "text/plain" } });
  // Thirty segmenter and uploader ticks' worth of waiting.
  await Bun.sleep(300);
  expect(await (await fetch(`${url}/v1/stream/s?offset=-1`)).text()).toBe("r0r1r2r3r4");
  const dir = join(root, "wal-only");
  expect(filesUnder(dir).filter((f) => !/^(durable-streams\.sqlite(-wal|-shm)?|server\.json|server\.lock)$/.test(f))).toEqual([]);
  const db = new Database(server.exports.sqlite.path, { readonly: true });
  try {
    expect(db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM segments").get()!.n).toBe(0);
    expect(db.query<{ sealed: number }, [string]>("SELECT sealed_through AS sealed FROM streams WHERE stream = ?").get("s")!.sealed).toBe(-1);
  } finally {
    db.close();
  }
});

test("data survives a restart of the same name", async () => {
  const first = await start({ name: "keep" });
  let url = first.exports.http.url;
  await fetch(`${url}/v1/stream/k`, { method: "PUT", headers: { "content-type": "text/plain" }, body: "before" });
  await first.close();
  open.splice(open.indexOf(first), 1);

  const second = await start({ name: "keep" });
  url = second.exports.http.url;
  await fetch(`${url}/v1/stream/k`, { method: "POST", headers: { "content-type": "text/plain" }, body: "+after" });
  expect(await (await fetch(`${url}/v1/stream/k?offset=-1`)).text()).toBe("before+after");
});

test("an invalid name is refused before anything is created", async () => {
  const env = localEnv();
  for (const name of ["..", "a/b", "white space"]) {
    await expect(startLocalServer({ name }, env)).rejects.toThrow("invalid --name");
  }
  expect(readdirSync(root)).toEqual([]);
});
