// Goal: large WAL payloads are stored compressed when that pays, and every way of reading the
// WAL (catch-up, live tail, keyed reads, fork cuts, sealing into segments, restart) returns
// the bytes as appended; incompressible and small payloads are stored as they came.
// Method: the pure rule first, then an in-process app; SQLite is inspected directly to see
// which rows were compressed.
import { Database } from "bun:sqlite";
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { encodeOffset } from "../../src/engine/offsets.ts";
import { storedPayload, WAL_COMPRESS_MIN_BYTES } from "../../src/storage/sqlite/wal.ts";
import { createStream, createTestApp, readPages, SMALL_SEGMENTS, type TestApp, until } from "../support/app.ts";

setDefaultTimeout(30_000);

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

/** Deterministic bytes that zstd cannot shrink. */
function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

/** Stored blob length against logical length, per row of a stream, in offset order. */
function storedSizes(a: TestApp, name: string): Array<{ stored: number; logical: number }> {
  const db = new Database(a.config.dbPath, { readonly: true });
  try {
    return db
      .query<{ stored: number; logical: number }, [string]>(
        "SELECT length(payload) AS stored, payload_len AS logical FROM wal JOIN streams s ON s.id = wal.stream_id WHERE s.stream = ? ORDER BY offset",
      )
      .all(name);
  } finally {
    db.close();
  }
}

test("the storage rule: small or incompressible payloads as they are, large compressible ones compressed", () => {
  const small = text("x".repeat(WAL_COMPRESS_MIN_BYTES - 1));
  expect(storedPayload(small)).toBe(small);
  const random = noise(64 * 1024, 7);
  expect(storedPayload(random)).toBe(random);
  const repetitive = text(`{"level":"info","msg":"hello"},`.repeat(500));
  const stored = storedPayload(repetitive);
  expect(stored.byteLength).toBeLessThan(repetitive.byteLength / 4);
  expect(Bun.zstdDecompressSync(stored)).toEqual(Buffer.from(repetitive));
});

test("compressed JSON and binary rows read back exactly: catch-up, live, keyed, fork, restart", async () => {
  app = await createTestApp();
  await createStream(app, "events", "application/json");
  await createStream(app, "blobs", "application/octet-stream");
  const sent: unknown[] = [];
  for (let i = 0; i < 6; i++) {
    const batch = Array.from({ length: 80 }, (_, j) => ({ i, j, level: j % 3 === 0 ? "warn" : "info", msg: `request ${i}-${j} served` }));
    sent.push(...batch);
    const res = await app.request("/v1/stream/events", { method: "POST", body: JSON.stringify(batch), headers: { "content-type": "application/json", "stream-key": `k${i % 2}` } });
    expect(res.status).toBe(204);
  }
  const blobs = [noise(20_000, 1), text("b".repeat(20_000)), noise(100, 2), text("c".repeat(9_000))];
  for (const blob of blobs) {
    expect((await app.request("/v1/stream/blobs", { method: "POST", body: blob, headers: { "content-type": "application/octet-stream" } })).status).toBe(204);
  }

  // Which rows were compressed: every JSON batch; of the blobs only the repetitive ones.
  expect(storedSizes(app, "events").every((r) => r.stored < r.logical / 2)).toBe(true);
  expect(storedSizes(app, "blobs").map((r) => r.stored < r.logical)).toEqual([false, true, false, true]);

  const expectEverything = async (a: TestApp) => {
    expect(JSON.parse((await readPages(a, "/v1/stream/events")).text)).toEqual(sent);
    const bytes = new Uint8Array(await (await a.request("/v1/stream/blobs?offset=-1")).arrayBuffer());
    expect(Buffer.compare(bytes, Buffer.concat(blobs))).toBe(0);
    const keyed = JSON.parse((await readPages(a, "/v1/stream/events?key=k1")).text) as Array<{ i: number }>;
    expect(keyed.length).toBe(240);
    expect(keyed.every((m) => m.i % 2 === 1)).toBe(true);
  };
  await expectEverything(app);

  // A live reader at the tail gets the next compressed append as sent.
  const tail = (await app.request("/v1/stream/events?offset=-1")).headers.get("stream-next-offset")!;
  const live = app.request(`/v1/stream/events?offset=${tail}&live=long-poll&timeout_ms=5000`);
  await Bun.sleep(20);
  const late = Array.from({ length: 100 }, (_, j) => ({ late: j, msg: "arrived while a reader waited" }));
  await app.request("/v1/stream/events", { method: "POST", body: JSON.stringify(late), headers: { "content-type": "application/json" } });
  sent.push(...late);
  const woke = await live;
  expect(woke.status).toBe(200);
  expect(await woke.json()).toEqual(late);

  // Forks cut inside compressed rows: after message 99 of a JSON stream (inside its second
  // row), and 5 bytes into the second binary append (a sub-offset).
  const jsonFork = await app.request("/v1/stream/events-fork", {
    method: "PUT",
    headers: { "content-type": "application/json", "stream-forked-from": "/v1/stream/events", "stream-fork-offset": encodeOffset(99) },
  });
  expect(jsonFork.status).toBe(201);
  expect(JSON.parse((await readPages(app, "/v1/stream/events-fork")).text)).toEqual(sent.slice(0, 100));
  const blobFork = await app.request("/v1/stream/blobs-fork", {
    method: "PUT",
    headers: {
      "content-type": "application/octet-stream",
      "stream-forked-from": "/v1/stream/blobs",
      "stream-fork-offset": encodeOffset(0),
      "stream-fork-sub-offset": "5",
    },
  });
  expect(blobFork.status).toBe(201);
  const forked = new Uint8Array(await (await app.request("/v1/stream/blobs-fork?offset=-1")).arrayBuffer());
  expect(Buffer.compare(forked, Buffer.concat([blobs[0]!, text("bbbbb")]))).toBe(0);

  // After a restart on the same data the rows are still compressed and read the same.
  const root = app.config.root;
  await app.dispose({ keepData: true });
  app = await createTestApp({ DS_ROOT: root });
  await expectEverything(app);
});

test("compressed rows seal into segments byte-exact", async () => {
  app = await createTestApp({ ...SMALL_SEGMENTS, DS_SEGMENT_MAX_BYTES: "65536", DS_BLOCK_MAX_BYTES: "16384" });
  await createStream(app, "logs", "text/plain");
  let expected = "";
  for (let i = 0; i < 40; i++) {
    const body = `line ${i} of a compressible payload\n`.repeat(200);
    expected += body;
    expect((await app.request("/v1/stream/logs", { method: "POST", body, headers: { "content-type": "text/plain" } })).status).toBe(204);
  }
  expect(storedSizes(app, "logs").some((r) => r.stored < r.logical)).toBe(true);
  await until(() => (app!.engine.streams.byStreamName("logs")?.uploaded_segment_count ?? 0) >= 2);
  expect((await readPages(app, "/v1/stream/logs")).text).toBe(expected);
});
