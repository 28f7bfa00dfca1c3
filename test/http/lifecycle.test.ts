// Goal: deleted and expired streams release their storage, forks keep what they read
// through, and everything acknowledged survives a restart.
// Method: drive the app, then look at SQLite directly for the rows a stream leaves behind.
import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { createStream, createTestApp, type TestApp, until } from "../support/app.ts";

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const append = (a: TestApp, name: string, body: string, headers: Record<string, string> = {}) =>
  a.request(`/v1/stream/${name}`, { method: "POST", body, headers: { "content-type": "text/plain", ...headers } });

function walRows(a: TestApp): number {
  const db = new Database(a.config.dbPath, { readonly: true });
  try {
    return db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM wal").get()!.n;
  } finally {
    db.close();
  }
}


test("DELETE purges the stream's records in the background and the name starts fresh", async () => {
  app = await createTestApp({ DS_PURGE_CHUNK_ROWS: "3" });
  await createStream(app, "doomed", "text/plain");
  for (let i = 0; i < 10; i++) await append(app, "doomed", `r${i}`);
  expect(walRows(app)).toBe(10);
  expect((await app.request("/v1/stream/doomed", { method: "DELETE" })).status).toBe(204);
  expect((await app.request("/v1/stream/doomed", { method: "HEAD" })).status).toBe(404);
  await until(() => walRows(app!) === 0);
  expect((await createStream(app, "doomed", "text/plain")).status).toBe(201);
  expect(await (await app.request("/v1/stream/doomed")).text()).toBe("");
});

test("a purge bounded by payload bytes (two large records per transaction) still runs to the end", async () => {
  app = await createTestApp({ DS_WAL_DELETE_CHUNK_BYTES: "1500" });
  await createStream(app, "heavy", "text/plain");
  for (let i = 0; i < 9; i++) await append(app, "heavy", String(i).repeat(1000));
  const purges = () => {
    const db = new Database(app!.config.dbPath, { readonly: true });
    try {
      return db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM stream_purges").get()!.n;
    } finally {
      db.close();
    }
  };
  expect((await app.request("/v1/stream/heavy", { method: "DELETE" })).status).toBe(204);
  await until(() => walRows(app!) === 0 && purges() === 0);
  expect((await createStream(app, "heavy", "text/plain")).status).toBe(201);
  expect(await (await app.request("/v1/stream/heavy")).text()).toBe("");
});

test("the expiry sweeper deletes expired streams without any request touching them", async () => {
  app = await createTestApp({ DS_EXPIRY_SWEEP_MS: "50" });
  await createStream(app, "brief", "text/plain", { headers: { "stream-ttl": "1" } });
  await append(app, "brief", "x");
  await until(() => walRows(app!) === 0, 4000);
  const listed = (await (await app.request("/v1/streams")).json()) as Array<{ name: string }>;
  expect(listed.map((s) => s.name)).not.toContain("brief");
});

test("a deleted source stays readable through its fork and goes once the fork is deleted", async () => {
  app = await createTestApp();
  await createStream(app, "src", "text/plain");
  await append(app, "src", "base;");
  const fork = await app.request("/v1/stream/fork", { method: "PUT", headers: { "stream-forked-from": "/v1/stream/src" } });
  expect(fork.status).toBe(201);
  await append(app, "fork", "own;");
  expect((await app.request("/v1/stream/src", { method: "DELETE" })).status).toBe(204);
  expect((await app.request("/v1/stream/src", { method: "HEAD" })).status).toBe(410);
  expect(await (await app.request("/v1/stream/fork")).text()).toBe("base;own;");
  expect(walRows(app)).toBe(2);
  expect((await app.request("/v1/stream/fork", { method: "DELETE" })).status).toBe(204);
  await until(() => walRows(app!) === 0);
  expect((await app.request("/v1/stream/src", { method: "HEAD" })).status).toBe(404);
});

test("streams, records, closure and producer state survive a restart", async () => {
  app = await createTestApp();
  await createStream(app, "kept", "text/plain");
  const producer = { "producer-id": "p1", "producer-epoch": "0" };
  expect((await append(app, "kept", "a;", { ...producer, "producer-seq": "0" })).status).toBe(200);
  expect((await append(app, "kept", "b;", { ...producer, "producer-seq": "1", "stream-closed": "true" })).status).toBe(200);
  const root = app.config.root;
  await app.dispose({ keepData: true });

  app = await createTestApp({ DS_ROOT: root });
  const read = await app.request("/v1/stream/kept");
  expect(await read.text()).toBe("a;b;");
  expect(read.headers.get("stream-closed")).toBe("true");
  const retry = await append(app, "kept", "b;", { ...producer, "producer-seq": "1", "stream-closed": "true" });
  expect(retry.status).toBe(204);
  expect(retry.headers.get("producer-seq")).toBe("1");
  expect(await (await app.request("/v1/stream/kept")).text()).toBe("a;b;");
});

test("GET /v1/streams lists live streams by name with offsets and their profile kind", async () => {
  app = await createTestApp();
  for (const name of ["b", "a", "c/d"]) await createStream(app, name, "text/plain");
  await append(app, "a", "x");
  await app.request("/v1/stream/b", { method: "DELETE" });
  const all = (await (await app.request("/v1/streams")).json()) as Array<Record<string, unknown>>;
  // The server's own metrics stream sorts first ("_" before letters).
  expect(all.map((s) => s.name)).toEqual(["__stream_metrics__", "a", "c/d"]);
  expect(all[0]).toMatchObject({ profile: "metrics", content_type: "application/json" });
  expect(all[1]).toMatchObject({ name: "a", epoch: 0, next_offset: "1", sealed_through: "-1", uploaded_through: "-1", profile: "generic", expires_at: null });
  const page = (await (await app.request("/v1/streams?limit=1&offset=2")).json()) as Array<{ name: string }>;
  expect(page.map((s) => s.name)).toEqual(["c/d"]);
  expect((await app.request("/v1/streams?limit=x")).status).toBe(400);
});
