// Goal: catch-up reads page, cache and filter as documented: response limits never split
// a record, ETags follow the returned range, `key=` / `/pk/` and `since=` select records,
// `format=` chooses the body shape.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeOffset } from "../../src/engine/offsets.ts";
import { createStream, createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ DS_READ_MAX_RECORDS: "3", DS_READ_MAX_BYTES: "64" });
});
afterAll(async () => app.dispose());

const append = (name: string, body: string, headers: Record<string, string> = {}) =>
  app.request(`/v1/stream/${name}`, { method: "POST", body, headers: { "content-type": "text/plain", ...headers } });

async function readAll(path: string): Promise<{ chunks: string[]; offsets: string[] }> {
  const chunks: string[] = [];
  const offsets: string[] = [];
  let offset = "-1";
  for (let i = 0; i < 100; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const res = await app.request(`${path}${sep}offset=${offset}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    offset = res.headers.get("stream-next-offset")!;
    offsets.push(offset);
    if (text) chunks.push(text);
    if (res.headers.get("stream-up-to-date") === "true") return { chunks, offsets };
  }
  throw new Error("read did not reach the tail");
}

test("responses stop at the record limit and continue without gaps", async () => {
  await createStream(app, "pages", "text/plain");
  for (let i = 0; i < 7; i++) expect((await append("pages", `r${i};`)).status).toBe(204);
  const { chunks, offsets } = await readAll("/v1/stream/pages");
  expect(chunks).toEqual(["r0;r1;r2;", "r3;r4;r5;", "r6;"]);
  expect([...offsets].sort()).toEqual(offsets);
});

test("the byte limit never splits a record, and an oversized record still comes whole", async () => {
  await createStream(app, "bytes", "text/plain");
  await append("bytes", "a".repeat(40));
  await append("bytes", "b".repeat(40));
  await append("bytes", "c".repeat(100));
  const { chunks } = await readAll("/v1/stream/bytes");
  expect(chunks).toEqual(["a".repeat(40), "b".repeat(40), "c".repeat(100)]);
});

test("ETags name the range: equal reads match with 304, new data changes them", async () => {
  await createStream(app, "etag", "text/plain");
  await append("etag", "one");
  const first = await app.request("/v1/stream/etag?offset=-1");
  const etag = first.headers.get("etag")!;
  expect(etag).toBeTruthy();
  const again = await app.request("/v1/stream/etag?offset=-1", { headers: { "if-none-match": etag } });
  expect(again.status).toBe(304);
  await append("etag", "two");
  const after = await app.request("/v1/stream/etag?offset=-1", { headers: { "if-none-match": etag } });
  expect(after.status).toBe(200);
  expect(after.headers.get("etag")).not.toBe(etag);
});

test("a recreated stream never reuses an ETag of the deleted one", async () => {
  await createStream(app, "reborn", "text/plain");
  await append("reborn", "old");
  const etag = (await app.request("/v1/stream/reborn?offset=-1")).headers.get("etag");
  await app.request("/v1/stream/reborn", { method: "DELETE" });
  await createStream(app, "reborn", "text/plain");
  await append("reborn", "new");
  const res = await app.request("/v1/stream/reborn?offset=-1", { headers: { "if-none-match": etag! } });
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("new");
});

test("key= and /pk/ read only records with that routing key, including reserved characters", async () => {
  await createStream(app, "keyed", "text/plain");
  const odd = "tenant a/b:c?=&%";
  await append("keyed", "x1;", { "stream-key": "x" });
  await append("keyed", "o1;", { "stream-key": odd });
  await append("keyed", "x2;", { "stream-key": "x" });
  await append("keyed", "none;");
  expect((await readAll("/v1/stream/keyed?key=x")).chunks.join("")).toBe("x1;x2;");
  expect((await readAll(`/v1/stream/keyed/pk/${encodeURIComponent(odd)}`)).chunks.join("")).toBe("o1;");
  // The path key wins over the query key.
  expect((await readAll(`/v1/stream/keyed/pk/x?key=${encodeURIComponent(odd)}`)).chunks.join("")).toBe("x1;x2;");
});

test("since= starts at the first record appended at or after the time", async () => {
  await createStream(app, "timed", "text/plain");
  await append("timed", "early;", { "stream-timestamp": "2020-01-01T00:00:00Z" });
  await append("timed", "late;", { "stream-timestamp": "2030-01-01T00:00:00Z" });
  const since = await app.request(`/v1/stream/timed?since=${encodeURIComponent("2025-01-01T00:00:00Z")}`);
  expect(await since.text()).toBe("late;");
  const bothMs = await app.request(`/v1/stream/timed?since=0`);
  expect(await bothMs.text()).toBe("early;late;");
});

test("format=raw returns stored JSON messages unwrapped; format=json needs a JSON stream", async () => {
  await createStream(app, "fmt", "application/json");
  await app.request("/v1/stream/fmt", { method: "POST", body: '[{"a":1},{"b":2}]', headers: { "content-type": "application/json" } });
  expect(await (await app.request("/v1/stream/fmt?format=json")).json()).toEqual([{ a: 1 }, { b: 2 }]);
  expect(await (await app.request("/v1/stream/fmt?format=raw")).text()).toBe('{"a":1}{"b":2}');
  await createStream(app, "fmt-bytes", "text/plain");
  expect((await app.request("/v1/stream/fmt-bytes?format=json")).status).toBe(400);
});

test("a read past the tail answers empty, up to date, at the requested position", async () => {
  await createStream(app, "short", "text/plain");
  await append("short", "a");
  const tail = (await app.request("/v1/stream/short", { method: "HEAD" })).headers.get("stream-next-offset")!;
  const far = encodeOffset(100_000); // beyond the tail, syntactically valid
  const res = await app.request(`/v1/stream/short?offset=${far}`);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("");
  expect(res.headers.get("stream-up-to-date")).toBe("true");
  expect(res.headers.get("stream-next-offset")).toBe(far);
  expect(res.headers.get("stream-end-offset")).toBe(tail);
});

test("one append's JSON messages are split across responses at the record limit, none lost or repeated", async () => {
  await createStream(app, "json-pages", "application/json");
  const batch = Array.from({ length: 7 }, (_, i) => ({ i }));
  await app.request("/v1/stream/json-pages", { method: "POST", body: JSON.stringify(batch), headers: { "content-type": "application/json" } });
  await app.request("/v1/stream/json-pages", { method: "POST", body: '{"i":7}', headers: { "content-type": "application/json" } });
  const { chunks } = await readAll("/v1/stream/json-pages");
  const pages = chunks.map((c) => JSON.parse(c) as Array<{ i: number }>);
  expect(pages.every((p) => p.length <= 3)).toBe(true);
  expect(pages.flat().map((m) => m.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
});

test("reading from an offset inside a JSON append returns just the rest of it", async () => {
  await createStream(app, "json-mid", "application/json");
  await app.request("/v1/stream/json-mid", { method: "POST", body: '[{"a":1},{"a":2},{"a":3}]', headers: { "content-type": "application/json" } });
  const first = await app.request("/v1/stream/json-mid?offset=-1");
  expect(await first.json()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  const afterOne = encodeOffset(0);
  expect(await (await app.request(`/v1/stream/json-mid?offset=${afterOne}`)).json()).toEqual([{ a: 2 }, { a: 3 }]);
  expect(await (await app.request(`/v1/stream/json-mid?offset=${afterOne}&format=raw`)).text()).toBe('{"a":2}{"a":3}');
});

test("a JSON message larger than the byte limit still comes whole, alone", async () => {
  await createStream(app, "json-big", "application/json");
  const big = { text: "x".repeat(200) };
  await app.request("/v1/stream/json-big", { method: "POST", body: JSON.stringify([big, { small: 1 }]), headers: { "content-type": "application/json" } });
  const { chunks } = await readAll("/v1/stream/json-big");
  expect(chunks.map((c) => JSON.parse(c))).toEqual([[big], [{ small: 1 }]]);
});
