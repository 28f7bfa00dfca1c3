// Goal: records read back from uploaded segments are promoted through lenses like records
// still in the WAL: JSON reads show the current schema version, raw reads the stored bytes.
// Method: tiny segments, a schema evolved after enough records to seal and upload some,
// then reads that start in sealed storage and run into the WAL.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { createStream, createTestApp, SMALL_SEGMENTS, type TestApp, until } from "../support/app.ts";

setDefaultTimeout(30_000);

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const V1 = { type: "object", required: ["id", "name"], properties: { id: { type: "integer" }, name: { type: "string" } } };
const V2 = { type: "object", required: ["id", "fullName"], properties: { id: { type: "integer" }, fullName: { type: "string" } } };
const LENS = { apiVersion: "durable.lens/v1", schema: "users", from: 1, to: 2, ops: [{ op: "rename", from: "/name", to: "/fullName" }] };

test("records in uploaded segments are promoted on JSON reads", async () => {
  app = await createTestApp({ ...SMALL_SEGMENTS, DS_SEGMENT_TARGET_ROWS: "60" });
  await createStream(app, "users", "application/json");
  await app.request("/v1/stream/users/_schema", { method: "POST", body: JSON.stringify({ schema: V1 }) });
  const json = { "content-type": "application/json" };
  for (let i = 0; i < 150; i++) {
    const res = await app.request("/v1/stream/users", { method: "POST", headers: json, body: JSON.stringify({ id: i, name: `user ${i} ${"x".repeat(30)}` }) });
    expect(res.status).toBe(204);
  }
  await until(() => (app!.engine.streams.byStreamName("users")?.uploaded_through ?? -1) >= 60, 15_000, "sealed and uploaded records");
  expect((await app.request("/v1/stream/users/_schema", { method: "POST", body: JSON.stringify({ schema: V2, lens: LENS }) })).status).toBe(200);
  await app.request("/v1/stream/users", { method: "POST", headers: json, body: JSON.stringify({ id: 150, fullName: "new" }) });

  const records: Array<Record<string, unknown>> = [];
  let offset = "-1";
  for (let page = 0; page < 100; page++) {
    const res = await app.request(`/v1/stream/users?offset=${offset}`);
    records.push(...((await res.json()) as Array<Record<string, unknown>>));
    offset = res.headers.get("stream-next-offset")!;
    if (res.headers.get("stream-up-to-date") === "true") break;
  }
  expect(records).toHaveLength(151);
  expect(records[0]).toEqual({ id: 0, fullName: `user 0 ${"x".repeat(30)}` });
  expect(records.every((r) => typeof r.fullName === "string" && !("name" in r))).toBe(true);
  const raw = await (await app.request("/v1/stream/users?format=raw")).text();
  expect(raw.startsWith('{"id":0,"name":"user 0')).toBe(true);
});
