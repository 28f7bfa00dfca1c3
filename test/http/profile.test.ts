// Goal: /_profile works as spec 03 §2–3 says through the HTTP surface: the resource shape,
// validation messages, install preconditions, each profile's effect on appends and keyed
// reads, switching back to generic, and persistence across a restart.
// Method: drive the app in-process; look at SQLite directly for what was stored.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { createStream, createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const JSON_TYPE = { "content-type": "application/json" };
const profileUrl = (name: string) => `/v1/stream/${name}/_profile`;
const setProfile = (a: TestApp, name: string, profile: unknown) =>
  a.request(profileUrl(name), { method: "POST", headers: JSON_TYPE, body: JSON.stringify({ apiVersion: "durable.streams/profile/v1", profile }) });
const append = (a: TestApp, name: string, body: unknown, headers: Record<string, string> = {}) =>
  a.request(`/v1/stream/${name}`, { method: "POST", headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body) });
const readJson = async (a: TestApp, path: string) => (await (await a.request(path)).json()) as Array<Record<string, unknown>>;

async function expectError(res: Response, status: number, message: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  expect(((await res.json()) as { error: { message: string } }).error.message).toBe(message);
}

function sqlite<T>(a: TestApp, query: string): T[] {
  const db = new Database(a.config.dbPath, { readonly: true });
  try {
    return db.query<T, []>(query).all();
  } finally {
    db.close();
  }
}

describe("the resource", () => {
  test("a stream without a declared profile reads as generic", async () => {
    app = await createTestApp();
    await createStream(app, "plain", "text/plain");
    const res = await app.request(profileUrl("plain"));
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ apiVersion: "durable.streams/profile/v1", profile: { kind: "generic" } });
  });

  test("missing streams are 404, other methods 400, invalid documents 400 naming the field", async () => {
    app = await createTestApp();
    await expectError(await app.request(profileUrl("nope")), 404, "stream not found");
    await createStream(app, "s", "application/json");
    await expectError(await app.request(profileUrl("s"), { method: "PUT", body: "{}" }), 400, "unsupported method");
    await expectError(await app.request(profileUrl("s"), { method: "POST", body: "not json" }), 400, "profile update must be valid JSON");
    await expectError(await setProfile(app, "s", { kind: "queue" }), 400, "profile.kind must be evlog|generic|metrics|state-protocol");
    await expectError(await setProfile(app, "s", { kind: "evlog", extra: true }), 400, "profile.extra is not supported");
    await expectError(await setProfile(app, "s", { kind: "generic", touch: {} }), 400, "profile.touch is not supported");
    expect(await (await app.request(profileUrl("s"))).json()).toMatchObject({ profile: { kind: "generic" } });
  });

  test("GET /v1/streams shows each stream's kind", async () => {
    app = await createTestApp();
    await createStream(app, "logs", "application/json");
    await createStream(app, "raw", "text/plain");
    expect((await setProfile(app, "logs", { kind: "evlog" })).status).toBe(200);
    const listed = (await (await app.request("/v1/streams")).json()) as Array<{ name: string; profile: string }>;
    expect(Object.fromEntries(listed.map((s) => [s.name, s.profile]))).toMatchObject({ logs: "evlog", raw: "generic" });
  });
});

describe("evlog", () => {
  test("install preconditions: a JSON stream, empty unless already evlog", async () => {
    app = await createTestApp();
    await createStream(app, "bytes", "application/octet-stream");
    await expectError(await setProfile(app, "bytes", { kind: "evlog" }), 400, "evlog profile requires application/json stream content-type");
    await createStream(app, "used", "application/json");
    await append(app, "used", { hello: 1 });
    await expectError(await setProfile(app, "used", { kind: "evlog" }), 400, "evlog profile must be installed before appending data");
  });

  test("appends are normalised and redacted before they are stored; keyed reads find requests and traces", async () => {
    app = await createTestApp();
    await createStream(app, "logs", "application/json");
    const installed = await setProfile(app, "logs", { kind: "evlog", redactKeys: ["sessionToken"] });
    expect(await installed.json()).toEqual({ apiVersion: "durable.streams/profile/v1", profile: { kind: "evlog", redactKeys: ["sessiontoken"] } });
    const events = [
      { requestId: "req_1", service: "api", message: "login", password: "hunter2", sessionToken: "sess-abc", status: 200 },
      { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", message: "background job", level: "debug" },
      { requestId: "req_1", message: "login done", user: { apiKey: "key-xyz" } },
    ];
    expect((await append(app, "logs", events)).status).toBe(204);

    const stored = sqlite<{ payload: Uint8Array }>(app, "SELECT payload FROM wal").map((r) => new TextDecoder().decode(r.payload)).join("\n");
    for (const secret of ["hunter2", "sess-abc", "key-xyz"]) expect(stored).not.toContain(secret);

    const all = await readJson(app, "/v1/stream/logs");
    expect(all).toHaveLength(3);
    expect(all[0]).toMatchObject({ requestId: "req_1", level: "info", context: { password: "[REDACTED]", sessionToken: "[REDACTED]" }, redaction: { keys: ["password", "sessionToken"] } });
    expect((await readJson(app, "/v1/stream/logs?key=req_1")).map((e) => e.message)).toEqual(["login", "login done"]);
    expect((await readJson(app, "/v1/stream/logs/pk/4bf92f3577b34da6a3ce929d0e0e4736")).map((e) => e.message)).toEqual(["background job"]);
  });

  test("one bad record refuses the whole append", async () => {
    app = await createTestApp();
    await createStream(app, "logs", "application/json");
    await setProfile(app, "logs", { kind: "evlog" });
    await expectError(await append(app, "logs", [{ message: "ok" }, "not an object"]), 400, "evlog record must be an object (record 1)");
    await expectError(await append(app, "logs", { message: "x", sampling: 5 }), 400, "/sampling must be object,null");
    expect(await readJson(app, "/v1/stream/logs")).toEqual([]);
  });

  test("switching back to generic keeps the canonical registry (and its validation) but drops the profile document", async () => {
    app = await createTestApp();
    await createStream(app, "logs", "application/json");
    await setProfile(app, "logs", { kind: "evlog", redactKeys: ["x"] });
    expect(sqlite(app, "SELECT * FROM stream_profiles")).toHaveLength(1);
    expect(await (await setProfile(app, "logs", { kind: "generic" })).json()).toMatchObject({ profile: { kind: "generic" } });
    expect(sqlite(app, "SELECT * FROM stream_profiles")).toHaveLength(0);
    expect(await (await app.request("/v1/stream/logs/_schema")).json()).toMatchObject({ currentVersion: 1, search: { profile: "evlog" } });
    await expectError(await append(app, "logs", { message: "raw" }), 400, "must have required property 'timestamp'; must have required property 'level'; must have required property 'service'; must have required property 'environment'; must have required property 'version'; must have required property 'region'; must have required property 'requestId'; must have required property 'traceId'; must have required property 'spanId'; must have required property 'method'; must have required property 'path'; must have required property 'status'; must have required property 'duration'; must have required property 'why'; must have required property 'fix'; must have required property 'link'; must have required property 'sampling'; must have required property 'redaction'; must have required property 'context'");
  });
});

// "thread": every batch with bytes commits on the writer thread, so per-record keys cross batch-wire.ts.
describe.each([["inline", "0"], ["thread", "1"]])("metrics (writer: %s)", (_writer, minBatchBytes) => {
  test("a series with several tags: its key holds NUL bytes and keyed reads find it by ?key= and /pk/", async () => {
    app = await createTestApp({ DS_WRITER_THREAD_MIN_BATCH_BYTES: minBatchBytes });
    await createStream(app, "app-metrics", "application/json");
    expect((await setProfile(app, "app-metrics", { kind: "metrics" })).status).toBe(200);
    const interval = (attributes: Record<string, string>, count: number) => ({ metric: "http.requests", unit: "count", windowStart: 0, windowEnd: 10_000, instance: "api-1", attributes, count, sum: count });
    const prod = { env: "prod", region: "eu", route: "/orders" };
    expect((await append(app, "app-metrics", [interval(prod, 3), interval({ env: "dev" }, 1), interval({ route: "/orders", region: "eu", env: "prod" }, 4)])).status).toBe(204);
    // Three records, two series: the records of one series are stored apart from the other's.
    expect(sqlite<{ n: number }>(app, "SELECT COUNT(*) AS n FROM wal WHERE stream_id = (SELECT id FROM streams WHERE stream = 'app-metrics')")[0]!.n).toBe(3);

    const seriesKey = "summary|delta|http.requests|count||api-1|env=prod\u0000region=eu\u0000route=/orders";
    const byQuery = await readJson(app, `/v1/stream/app-metrics?key=${encodeURIComponent(seriesKey)}`);
    expect(byQuery.map((r) => r.count)).toEqual([3, 4]);
    expect(byQuery[0]!.seriesKey).toBe(seriesKey);
    const byPath = await readJson(app, `/v1/stream/app-metrics/pk/${encodeURIComponent(seriesKey)}`);
    expect(byPath.map((r) => r.count)).toEqual([3, 4]);
    await expectError(await append(app, "app-metrics", interval(prod, 1), { "stream-key": "mine" }), 400, "Stream-Key not allowed when routingKey is configured");
    await expectError(await append(app, "app-metrics", { metric: "m", unit: "u", windowStart: 0, windowEnd: 1, count: 1 }), 400, "metrics interval requires sum");
  });
});

describe("state-protocol", () => {
  test("the document is stored, records are checked, /touch/* answers 404", async () => {
    app = await createTestApp();
    await createStream(app, "todos", "application/json");
    const res = await setProfile(app, "todos", { kind: "state-protocol", touch: { enabled: true, onMissingBefore: "error" } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ profile: { kind: "state-protocol", touch: { enabled: true, onMissingBefore: "error", coarseIntervalMs: 100 } } });
    const change = { type: "todo", key: "t1", value: { title: "a" }, headers: { operation: "insert" } };
    expect((await append(app, "todos", [change, { headers: { control: "snapshot-end" } }])).status).toBe(204);
    await expectError(await append(app, "todos", { type: "todo", key: "t1", headers: { operation: "update" } }), 400, "state-protocol update records must include value");
    // Records are stored as sent.
    const raw = await (await app.request("/v1/stream/todos?format=raw")).text();
    expect(raw).toBe(JSON.stringify(change) + JSON.stringify({ headers: { control: "snapshot-end" } }));
    for (const path of ["touch/meta", "touch/wait", "touch/templates/activate"]) {
      expect((await app.request(`/v1/stream/todos/${path}`, { method: path === "touch/meta" ? "GET" : "POST" })).status).toBe(404);
    }
  });
});

test("a profile change survives a restart", async () => {
  app = await createTestApp();
  await createStream(app, "logs", "application/json");
  await setProfile(app, "logs", { kind: "evlog", redactKeys: ["ssn"] });
  const root = app.config.root;
  await app.dispose({ keepData: true });

  app = await createTestApp({ DS_ROOT: root });
  expect(await (await app.request(profileUrl("logs"))).json()).toMatchObject({ profile: { kind: "evlog", redactKeys: ["ssn"] } });
  await append(app, "logs", { requestId: "r", ssn: "123-45-6789" });
  expect((await readJson(app, "/v1/stream/logs"))[0]).toMatchObject({ context: { ssn: "[REDACTED]" } });
});

test("deleting a stream purges its profile document and registry with its records", async () => {
  app = await createTestApp();
  await createStream(app, "logs", "application/json");
  await setProfile(app, "logs", { kind: "evlog", redactKeys: ["ssn"] });
  const id = sqlite<{ id: number }>(app, "SELECT id FROM streams WHERE stream = 'logs'")[0]!.id;
  const left = () => [...sqlite(app!, `SELECT stream_id FROM schemas WHERE stream_id = ${id}`), ...sqlite(app!, `SELECT stream_id FROM stream_profiles WHERE stream_id = ${id}`)];
  expect(left()).toHaveLength(2);
  expect((await app.request("/v1/stream/logs", { method: "DELETE" })).status).toBe(204);
  for (let i = 0; i < 100 && left().length > 0; i++) await Bun.sleep(10);
  expect(left()).toEqual([]);
  await createStream(app, "logs", "application/json");
  expect(await (await app.request(profileUrl("logs"))).json()).toMatchObject({ profile: { kind: "generic" } });
});

test("a fork starts generic without a registry; its deleted source answers 410", async () => {
  app = await createTestApp();
  await createStream(app, "logs", "application/json");
  await setProfile(app, "logs", { kind: "evlog" });
  await append(app, "logs", { requestId: "r1", message: "before the fork" });
  expect((await app.request("/v1/stream/logs-fork", { method: "PUT", headers: { "stream-forked-from": "/v1/stream/logs" } })).status).toBe(201);
  expect(await (await app.request(profileUrl("logs-fork"))).json()).toMatchObject({ profile: { kind: "generic" } });
  expect(await (await app.request("/v1/stream/logs-fork/_schema")).json()).toMatchObject({ currentVersion: 0 });
  expect((await readJson(app, "/v1/stream/logs-fork"))[0]).toMatchObject({ requestId: "r1", message: "before the fork" });
  expect((await app.request("/v1/stream/logs", { method: "DELETE" })).status).toBe(204);
  expect((await app.request(profileUrl("logs"))).status).toBe(410);
  expect((await app.request("/v1/stream/logs/_schema")).status).toBe(410);
});

test("a stored profile or registry that no longer parses answers 500, for the resource and for appends", async () => {
  app = await createTestApp();
  await createStream(app, "logs", "application/json");
  await setProfile(app, "logs", { kind: "evlog", redactKeys: ["ssn"] });
  await createStream(app, "users", "application/json");
  await app.request("/v1/stream/users/_schema", { method: "POST", body: JSON.stringify({ schema: { type: "object" } }) });
  const root = app.config.root;
  await app.dispose({ keepData: true });
  const db = new Database(`${root}/wal.sqlite`);
  db.exec(`UPDATE stream_profiles SET profile_json = '{"kind":"evlog","redactKeys":42}'`);
  db.exec(`UPDATE schemas SET registry_json = 'not json' WHERE stream_id = (SELECT id FROM streams WHERE stream = 'users')`);
  db.close();

  app = await createTestApp({ DS_ROOT: root });
  await expectError(await app.request(profileUrl("logs")), 500, "invalid stream profile");
  await expectError(await append(app, "logs", { message: "x" }), 500, "invalid stream profile");
  await expectError(await app.request("/v1/stream/users/_schema"), 500, "invalid schema registry");
  await expectError(await append(app, "users", { id: 1 }), 500, "invalid schema registry");
  // Installing a profile again repairs the stream.
  expect((await setProfile(app, "logs", { kind: "evlog" })).status).toBe(200);
  expect((await append(app, "logs", { message: "x" })).status).toBe(204);
});
