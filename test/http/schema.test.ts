// Goal: /_schema works as spec 03 §5–6 says through the HTTP surface: the registry shape,
// validation on every append with nothing stored on failure, version boundaries with
// lenses that promote old records on JSON reads, routing keys by JSON pointer, profile
// settings refused, and persistence across a restart.
// Method: drive the app in-process; one test edits a stored record in SQLite directly to
// see a lens fail on read.
import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { parseSchemaUpdate } from "../../src/schema/schema-update.ts";
import { createStream, createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const JSON_TYPE = { "content-type": "application/json" };
const schemaUrl = (name: string) => `/v1/stream/${name}/_schema`;
const postSchema = (a: TestApp, name: string, body: unknown) => a.request(schemaUrl(name), { method: "POST", headers: JSON_TYPE, body: JSON.stringify(body) });
const append = (a: TestApp, name: string, body: unknown, headers: Record<string, string> = {}) =>
  a.request(`/v1/stream/${name}`, { method: "POST", headers: { ...JSON_TYPE, ...headers }, body: JSON.stringify(body) });
const readJson = async (a: TestApp, path: string) => (await (await a.request(path)).json()) as Array<Record<string, unknown>>;
const tail = async (a: TestApp, name: string) => (await a.request(`/v1/stream/${name}`, { method: "HEAD" })).headers.get("stream-next-offset");

async function expectError(res: Response, status: number, message: string): Promise<void> {
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect({ status: res.status, message: body.error.message }).toEqual({ status, message });
}

const lens = (from: number, ops: unknown[]) => ({ apiVersion: "durable.lens/v1", schema: "users", from, to: from + 1, ops });
const V1 = { type: "object", additionalProperties: false, required: ["id", "name"], properties: { id: { type: "string" }, name: { type: "string" } } };
const V2 = { type: "object", additionalProperties: false, required: ["id", "fullName", "tags"], properties: { id: { type: "string" }, fullName: { type: "string" }, tags: { type: "array", items: { type: "string" } } } };
const V3 = {
  type: "object",
  additionalProperties: false,
  required: ["id", "profile", "tags"],
  properties: { id: { type: "string" }, tags: V2.properties.tags, profile: { type: "object", required: ["fullName"], properties: { fullName: { type: "string" } } } },
};
const LENS_1_2 = lens(1, [{ op: "rename", from: "/name", to: "/fullName" }, { op: "add", path: "/tags", schema: V2.properties.tags }]);
const LENS_2_3 = lens(2, [{ op: "plunge", from: "/fullName", host: "/profile", name: "fullName" }]);

describe("the registry resource", () => {
  test("a stream without a registry reads the default shape", async () => {
    app = await createTestApp();
    await createStream(app, "users", "application/json");
    const res = await app.request(schemaUrl("users"));
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ apiVersion: "durable.streams/schema-registry/v1", schema: "users", currentVersion: 0, boundaries: [], schemas: {}, lenses: {} });
    await expectError(await app.request(schemaUrl("users"), { method: "DELETE" }), 400, "unsupported method");
    await expectError(await app.request(schemaUrl("ghost")), 404, "stream not found");
  });

  test("profile settings are refused here: they belong to /_profile", async () => {
    app = await createTestApp();
    await createStream(app, "users", "application/json");
    await expectError(await postSchema(app, "users", { schema: V1, profile: { kind: "evlog" } }), 400, "schemaUpdate.profile is not supported");
    await expectError(await postSchema(app, "users", { touch: { enabled: true } }), 400, "schemaUpdate.touch is not supported");
    await expectError(await postSchema(app, "users", { schemas: { "1": V1 } }), 400, "schemaUpdate.schemas is not supported");
  });

  test("the first schema needs an empty stream; a compile error is a 400", async () => {
    app = await createTestApp();
    await createStream(app, "users", "application/json");
    await expectError(await postSchema(app, "users", { schema: { type: "object", properties: { id: { type: 12 } } } }), 400, "type must be JSONType or JSONType[]: 12");
    await append(app, "users", { id: "u1" });
    await expectError(await postSchema(app, "users", { schema: V1 }), 400, "first schema requires empty stream");
  });
});

describe("validation on write", () => {
  test("a bad record is refused naming the failing path, and nothing of its append is stored", async () => {
    app = await createTestApp();
    await createStream(app, "users", "application/json");
    expect((await postSchema(app, "users", { schema: V1 })).status).toBe(200);
    expect((await append(app, "users", [{ id: "u1", name: "Ada" }])).status).toBe(204);
    const before = await tail(app, "users");
    await expectError(await append(app, "users", [{ id: "u2", name: "Bob" }, { id: 3, name: "Cy" }]), 400, "/id must be string (record 1)");
    await expectError(await append(app, "users", { id: "u4" }), 400, "must have required property 'name'");
    expect(await tail(app, "users")).toBe(before);
    expect((await readJson(app, "/v1/stream/users")).map((u) => u.id)).toEqual(["u1"]);
  });

  test("an append prepared before a schema change is checked again under the new schema", async () => {
    app = await createTestApp();
    await createStream(app, "users", "application/json");
    // The append reads the stream (no schema yet) before its body arrives; the schema
    // install is queued meanwhile, so the writer sees the append prepared under old rules.
    const pending = append(app, "users", { id: "u1" });
    const update = parseSchemaUpdate(JSON.stringify({ schema: V1 }));
    if (!update.ok) throw new Error(update.message);
    const installed = app.engine.updateSchema("users", update.value);
    await expectError(await pending, 400, "must have required property 'name'");
    expect((await installed).kind).toBe("ok");
    expect(await readJson(app, "/v1/stream/users")).toEqual([]);
  });

  test("a non-JSON stream with a schema refuses appends", async () => {
    app = await createTestApp();
    await createStream(app, "blobs", "application/octet-stream");
    expect((await postSchema(app, "blobs", { schema: { type: "object" } })).status).toBe(200);
    const res = await app.request("/v1/stream/blobs", { method: "POST", headers: { "content-type": "application/octet-stream" }, body: "abc" });
    await expectError(res, 400, "stream requires JSON");
  });
});

describe("evolution", () => {
  async function threeVersions(a: TestApp): Promise<void> {
    await createStream(a, "users", "application/json");
    expect((await postSchema(a, "users", { schema: V1 })).status).toBe(200);
    await append(a, "users", [{ id: "u1", name: "Ada" }, { id: "u2", name: "Bob" }]);
    const v2 = await postSchema(a, "users", { schema: V2, lens: LENS_1_2 });
    expect(v2.status).toBe(200);
    await append(a, "users", { id: "u3", fullName: "Cy", tags: ["new"] });
    expect((await postSchema(a, "users", { schema: V3, lens: LENS_2_3 })).status).toBe(200);
    await append(a, "users", { id: "u4", profile: { fullName: "Di" }, tags: [] });
  }

  test("three versions: boundaries, stored lenses, and every record read in the current version", async () => {
    app = await createTestApp();
    await threeVersions(app);
    const registry = (await (await app.request(schemaUrl("users"))).json()) as Record<string, unknown>;
    expect(registry).toMatchObject({ currentVersion: 3, boundaries: [{ offset: 0, version: 1 }, { offset: 2, version: 2 }, { offset: 3, version: 3 }] });
    expect((registry.lenses as Record<string, { ops: unknown[] }>)["1"]!.ops[1]).toMatchObject({ op: "add", path: "/tags", default: [] });

    const current = [
      { id: "u1", tags: [], profile: { fullName: "Ada" } },
      { id: "u2", tags: [], profile: { fullName: "Bob" } },
      { id: "u3", tags: ["new"], profile: { fullName: "Cy" } },
      { id: "u4", profile: { fullName: "Di" }, tags: [] },
    ];
    expect(await readJson(app, "/v1/stream/users")).toEqual(current);
    // Promotion also applies from the middle of the stream, to long-polls and to keyed reads.
    const offsets = await app.request("/v1/stream/users?offset=-1");
    expect(offsets.status).toBe(200);
    const longPoll = await app.request(`/v1/stream/users?offset=-1&live=long-poll`);
    expect(await longPoll.json()).toEqual(current);
    // format=raw is the storage view: records as they were written.
    const raw = await (await app.request("/v1/stream/users?format=raw")).text();
    expect(raw).toBe('{"id":"u1","name":"Ada"}{"id":"u2","name":"Bob"}{"id":"u3","fullName":"Cy","tags":["new"]}{"id":"u4","profile":{"fullName":"Di"},"tags":[]}');
  });

  test("the next version needs a lens that proves against both schemas", async () => {
    app = await createTestApp();
    await createStream(app, "users", "application/json");
    await postSchema(app, "users", { schema: V1 });
    await expectError(await postSchema(app, "users", { schema: V2 }), 400, "lens required");
    await expectError(await postSchema(app, "users", { schema: V2, lens: lens(3, []) }), 400, "invalid lens: lens/ops must NOT have fewer than 1 items");
    const mismatch = await postSchema(app, "users", { schema: V2, lens: { ...LENS_1_2, from: 4, to: 5 } });
    expect(mismatch.status).toBe(409);
    expect(await mismatch.json()).toEqual({ error: { code: "conflict", message: "lens version mismatch" } });
    await expectError(await postSchema(app, "users", { schema: V2, lens: lens(1, [{ op: "rename", from: "/name", to: "/fullName" }]) }), 400, "new schema requires /tags, which the lens does not produce");
  });

  test("a lens that fails on a stored record fails the read with 400 and its message", async () => {
    app = await createTestApp();
    await createStream(app, "users", "application/json");
    await postSchema(app, "users", { schema: V1 });
    await append(app, "users", { id: "u1", name: "Ada" });
    await postSchema(app, "users", { schema: V2, lens: LENS_1_2 });
    const db = new Database(app.config.dbPath);
    db.query("UPDATE wal SET payload = ? WHERE offset = 0 AND stream_id = (SELECT id FROM streams WHERE stream = 'users')").run(new TextEncoder().encode('{"id":"u1","nick":"Ada"}'));
    db.close();
    await expectError(await app.request("/v1/stream/users"), 400, "rename source missing at /name");
  });

  test("a schema change survives a restart", async () => {
    app = await createTestApp();
    await threeVersions(app);
    const root = app.config.root;
    await app.dispose({ keepData: true });
    app = await createTestApp({ DS_ROOT: root });
    expect((await readJson(app, "/v1/stream/users"))[0]).toEqual({ id: "u1", tags: [], profile: { fullName: "Ada" } });
    await expectError(await append(app, "users", { id: "u5", name: "Old shape" }), 400, "must have required property 'profile'; must have required property 'tags'; must NOT have additional property 'name'");
  });
});

describe("routing keys", () => {
  test("extracted by JSON pointer; records with different keys are stored apart; Stream-Key is refused", async () => {
    app = await createTestApp();
    await createStream(app, "orders", "application/json");
    const res = await postSchema(app, "orders", { routingKey: { jsonPointer: "/customer/id", required: true } });
    expect(await res.json()).toMatchObject({ currentVersion: 0, routingKey: { jsonPointer: "/customer/id", required: true } });
    const order = (id: number, customer: string) => ({ id, customer: { id: customer } });
    expect((await append(app, "orders", [order(1, "c/1"), order(2, "c/1"), order(3, "c\u00002"), order(4, "c/1")])).status).toBe(204);
    expect((await readJson(app, "/v1/stream/orders?key=c%2F1")).map((o) => o.id)).toEqual([1, 2, 4]);
    expect((await readJson(app, "/v1/stream/orders/pk/c%002")).map((o) => o.id)).toEqual([3]);
    expect((await readJson(app, "/v1/stream/orders")).map((o) => o.id)).toEqual([1, 2, 3, 4]);
    await expectError(await append(app, "orders", order(5, "c/1"), { "stream-key": "c/1" }), 400, "Stream-Key not allowed when routingKey is configured");
    await expectError(await append(app, "orders", { id: 6 }), 400, "routing key missing");
    await expectError(await append(app, "orders", { id: 7, customer: { id: 7 } }), 400, "routing key must be string");
  });

  test("without a configured pointer, the Stream-Key header still keys records", async () => {
    app = await createTestApp();
    await createStream(app, "users", "application/json");
    await postSchema(app, "users", { schema: V1 });
    await append(app, "users", { id: "u1", name: "Ada" }, { "stream-key": "k1" });
    await append(app, "users", { id: "u2", name: "Bob" });
    expect((await readJson(app, "/v1/stream/users?key=k1")).map((u) => u.id)).toEqual(["u1"]);
  });
});
