// Goal: a data directory rebuilt from the object store alone serves every published record
// byte-exact, keeps deleted streams deleted and forks reading through their sources, reports
// what was never published, and continues appending after the unpublished hole.
// Method: in-process apps with tiny segments over a shared local object store; the first
// app's store is cut off (every call fails) before a final, unpublished append.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { encodeOffset } from "../../src/engine/offsets.ts";
import { bootstrapFromObjectStore, planRestore } from "../../src/storage/bootstrap.ts";
import { parseManifest, type Manifest } from "../../src/storage/manifest.ts";
import { FaultInjectingStore } from "../../src/storage/object-store/faults.ts";
import { LocalObjectStore } from "../../src/storage/object-store/local.ts";
import { manifestKey, schemaRegistryKey, segmentKey } from "../../src/storage/paths.ts";
import { createStream, createTestApp, readPages, SMALL_SEGMENTS, type TestApp, until } from "../support/app.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

setDefaultTimeout(30_000);

const TIERING = { ...SMALL_SEGMENTS, DS_SEGMENT_TARGET_ROWS: "60", DS_OBJECTSTORE_RETRIES: "0" };

const apps: TestApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.dispose();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

async function start(env: Record<string, string>, options: Parameters<typeof createTestApp>[1] = {}): Promise<TestApp> {
  const app = await createTestApp({ ...TIERING, ...env }, options);
  apps.push(app);
  return app;
}

const post = (app: TestApp, name: string, body: string, headers: Record<string, string> = {}) =>
  app.request(`/v1/stream/${name}`, { method: "POST", body, headers: { "content-type": "text/plain", ...headers } });

async function fill(app: TestApp, name: string, count: number, keyed = false): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await post(app, name, `${name} ${i} ${"x".repeat(i % 41)}\n`, keyed ? { "stream-key": `k${i % 3}` } : {});
    expect(res.status).toBe(204);
  }
}

const uploadedSegments = (app: TestApp, name: string) => app.engine.streams.byStreamName(name)?.uploaded_segment_count ?? 0;

test("bootstrap restores published history, tombstones and forks, and reports the unpublished tail", async () => {
  const bucket = makeTempDir("ds-bucket-");
  dirs.push(bucket);
  // Once "batch" has published its first 180 messages, its segment uploads fail.
  const batchSegments = segmentKey("batch", 0).replace(/[^/]+$/, "");
  let blockBatch = false;
  const faults = { failureRate: 1, slowRate: 0, slowMs: 0, tornUploadRate: 0, affects: (key: string) => blockBatch && key.startsWith(batchSegments) };
  const first = await start({ DS_SEGMENT_MAX_INTERVAL_MS: "200" }, { hooks: { objectStore: new FaultInjectingStore(new LocalObjectStore(bucket), faults) } });

  await createStream(first, "logs", "text/plain");
  await createStream(first, "gone", "text/plain");
  await createStream(first, "src", "text/plain");
  for (const name of ["events", "batch"]) await first.request(`/v1/stream/${name}`, { method: "PUT", headers: { "content-type": "application/json" } });
  await fill(first, "logs", 300, true);
  await fill(first, "gone", 150);
  await fill(first, "src", 150);
  for (let i = 0; i < 150; i++) {
    const res = await first.request("/v1/stream/events", { method: "POST", body: JSON.stringify([{ i, pad: "p".repeat(i) }]), headers: { "content-type": "application/json" } });
    expect(res.status).toBe(204);
  }
  // A stream with a schema: its registry goes to the bucket as its own object.
  await first.request("/v1/stream/typed", { method: "PUT", headers: { "content-type": "application/json" } });
  const schema = { type: "object", required: ["n"], properties: { n: { type: "number" } } };
  expect((await first.request("/v1/stream/typed/_schema", { method: "POST", body: JSON.stringify({ schema }), headers: { "content-type": "application/json" } })).status).toBe(200);
  const typed = Array.from({ length: 70 }, (_, n) => ({ n }));
  expect((await first.request("/v1/stream/typed", { method: "POST", body: JSON.stringify(typed), headers: { "content-type": "application/json" } })).status).toBe(204);
  const registry = await (await first.request("/v1/stream/typed/_schema")).json();
  const batch = Array.from({ length: 190 }, (_, i) => ({ i }));
  const postBatch = (items: unknown[]) => first.request("/v1/stream/batch", { method: "POST", body: JSON.stringify(items), headers: { "content-type": "application/json" } });
  expect((await postBatch(batch.slice(0, 180))).status).toBe(204);
  await until(() => ["logs", "gone", "src", "events"].every((name) => uploadedSegments(first, name) >= 2), 15_000, "two uploaded segments per stream");
  const srcTail = (await first.request("/v1/stream/src", { method: "HEAD" })).headers.get("stream-next-offset")!;
  expect((await first.request("/v1/stream/fork", { method: "PUT", headers: { "content-type": "text/plain", "stream-forked-from": "/v1/stream/src", "stream-fork-offset": srcTail } })).status).toBe(201);
  await fill(first, "fork", 150);
  expect((await first.request("/v1/stream/gone", { method: "DELETE" })).status).toBe(204);
  expect((await first.request("/v1/stream/src", { method: "DELETE" })).status).toBe(204);
  // Quiet tails are cut after DS_SEGMENT_MAX_INTERVAL_MS: in the end everything else is published.
  const allPublished = () =>
    ["logs", "events", "fork", "src", "typed"].every((name) => {
      const row = first.engine.streams.byStreamName(name)!;
      return row.uploaded_through === row.next_offset - 1;
    }) && first.engine.streams.byStreamName("batch")!.uploaded_through === 179;
  await until(allPublished, 15_000, "everything published");
  // Ten more messages that never upload, but a manifest says the head moved past them.
  blockBatch = true;
  expect((await postBatch(batch.slice(180))).status).toBe(204);
  await first.engine.tiering.uploader.publish(first.engine.streams.byStreamName("batch")!.id);
  const published = new Map<string, string>();
  for (const name of ["logs", "events", "fork"]) published.set(name, (await readPages(first, `/v1/stream/${name}`)).text);
  published.set("batch", JSON.stringify(batch.slice(0, 180)));
  const keyedPublished = (await readPages(first, "/v1/stream/logs?key=k1")).text;
  const batchHead = (await first.request("/v1/stream/batch", { method: "HEAD" })).headers.get("stream-next-offset")!;

  const root = makeTempDir("ds-restored-");
  dirs.push(root);
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const retryOnce = { retries: 0, baseDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 5000 };
  const report = await bootstrapFromObjectStore({ root, dbPath: join(root, "wal.sqlite"), retry: retryOnce }, new LocalObjectStore(bucket), log);
  expect(report).toMatchObject({ streams: 7, deleted: 2, unpublishedRecords: 10, orphanedForks: 0 });
  expect(lines.some((line) => line.level === 40 && line.records === 10)).toBe(true);

  const second = await start({ DS_ROOT: root }, { hooks: { objectStore: new LocalObjectStore(bucket) } });
  for (const [name, text] of published) expect((await readPages(second, `/v1/stream/${name}`)).text).toBe(text);
  expect((await readPages(second, "/v1/stream/logs?key=k1")).text).toBe(keyedPublished);
  expect((await second.request("/v1/stream/gone")).status).toBe(404);
  // The registry came back with the stream, and it is enforced.
  expect(await (await second.request("/v1/stream/typed/_schema")).json()).toEqual(registry);
  expect(JSON.parse((await readPages(second, "/v1/stream/typed")).text)).toEqual(typed);
  const postTyped = (body: unknown) => second.request("/v1/stream/typed", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });
  expect((await postTyped({ n: "not a number" })).status).toBe(400);
  expect((await postTyped({ n: 70 })).status).toBe(204);
  expect((await second.request("/v1/stream/src")).status).toBe(410);

  // The hole: the ten unpublished messages are gone, and appends continue after them.
  const before = await readPages(second, "/v1/stream/batch");
  expect(before.next).toBe(batchHead);
  expect((await second.request("/v1/stream/batch", { method: "POST", body: JSON.stringify({ after: true }), headers: { "content-type": "application/json" } })).status).toBe(204);
  expect(JSON.parse((await readPages(second, "/v1/stream/batch", before.next)).text)).toEqual([{ after: true }]);
  expect(JSON.parse((await readPages(second, "/v1/stream/batch")).text)).toEqual([...batch.slice(0, 180), { after: true }]);
  // The next segment starts at the hole but its first record is later; reads use the blocks' seqs.
  const more = Array.from({ length: 100 }, (_, i) => ({ more: i }));
  const segmentsBefore = uploadedSegments(second, "batch");
  expect((await second.request("/v1/stream/batch", { method: "POST", body: JSON.stringify(more), headers: { "content-type": "application/json" } })).status).toBe(204);
  await until(() => uploadedSegments(second, "batch") > segmentsBefore, 15_000, "a segment sealed across the hole");
  expect(JSON.parse((await readPages(second, "/v1/stream/batch")).text)).toEqual([...batch.slice(0, 180), { after: true }, ...more]);
  expect(JSON.parse((await readPages(second, "/v1/stream/batch", before.next)).text)).toEqual([{ after: true }, ...more]);
  // From inside the hole (after seq 184, which is gone), the read passes over it.
  expect(JSON.parse((await readPages(second, "/v1/stream/batch", encodeOffset(184))).text)).toEqual([{ after: true }, ...more]);

  // A deleted name can be created afresh; its new manifest replaces the tombstone in the bucket.
  expect((await createStream(second, "gone", "text/plain")).status).toBe(201);
  await post(second, "gone", "reborn\n");
  expect((await readPages(second, "/v1/stream/gone")).text).toBe("reborn\n");
  await until(async () => {
    const bytes = await new LocalObjectStore(bucket).get(manifestKey("gone"));
    return bytes !== null && parseManifest(new TextDecoder().decode(bytes)).stream_flags === 0;
  }, 15_000, "the re-created stream's manifest");

  // Re-created without a schema, a stream must not inherit its predecessor's registry object.
  expect(await new LocalObjectStore(bucket).head(schemaRegistryKey("typed"))).not.toBeNull();
  expect((await second.request("/v1/stream/typed", { method: "DELETE" })).status).toBe(204);
  expect((await second.request("/v1/stream/typed", { method: "PUT", headers: { "content-type": "application/json" } })).status).toBe(201);
  await until(async () => (await new LocalObjectStore(bucket).head(schemaRegistryKey("typed"))) === null, 15_000, "the old registry object removed");
});

/** The stream's text up to and including `lastSeq` (one record per line here). */
async function readThrough(app: TestApp, name: string, lastSeq: number): Promise<string> {
  const { text } = await readPages(app, `/v1/stream/${name}`);
  const row = app.engine.streams.byStreamName(name)!;
  if (row.content_type === "application/json") {
    const items = JSON.parse(text) as unknown[];
    return JSON.stringify(items.slice(0, lastSeq + 1));
  }
  return text.split("\n").slice(0, lastSeq + 1).map((line) => `${line}\n`).join("");
}

test("--bootstrap-from-r2 over the persistent local store rebuilds the same directory", async () => {
  const first = await start({});
  const root = first.config.root;
  await createStream(first, "quiet", "text/plain");
  await fill(first, "quiet", 200);
  await until(() => uploadedSegments(first, "quiet") === 3, 15_000, "three uploaded segments");
  await first.engine.tiering.uploader.drain(10_000);
  const upTo = first.engine.streams.byStreamName("quiet")!.uploaded_through;
  const expected = await readThrough(first, "quiet", upTo);
  await first.close();
  expect(existsSync(join(root, "objects"))).toBe(true);

  const second = await start({ DS_ROOT: root }, { flags: ["--bootstrap-from-r2"] });
  expect((await readPages(second, "/v1/stream/quiet")).text).toBe(expected);
  expect(existsSync(join(root, "bootstrap.incomplete"))).toBe(false);
});

test("an interrupted bootstrap leaves a marker, and the directory is refused until one completes", async () => {
  const first = await start({});
  const root = first.config.root;
  await first.close();
  writeFileSync(join(root, "bootstrap.incomplete"), "");
  await expect(createTestApp({ ...TIERING, DS_ROOT: root })).rejects.toThrow(/did not complete/);
  const again = await start({ DS_ROOT: root }, { flags: ["--bootstrap-from-r2"] });
  expect((await again.request("/v1/streams")).status).toBe(200);
});

test("fork reference counts are recounted from what is restored", () => {
  const manifest = (name: string, flags: number, source: string | null): Manifest =>
    ({ ...parseManifest(JSON.stringify(baseManifest(name))), stream_flags: flags, fork_source: source }) as Manifest;
  const deleted = 1;
  const plan = planRestore(
    new Map([
      ["a", manifest("a", deleted, null)], // read through by c (via deleted b): kept
      ["b", manifest("b", deleted, "a")],
      ["c", manifest("c", 0, "b")],
      ["d", manifest("d", deleted, null)], // its only fork e is deleted too: released
      ["e", manifest("e", deleted, "d")],
      ["f", manifest("f", 0, "missing")], // its source never published
    ]),
  );
  const by = new Map(plan.map((p) => [p.manifest.name, p]));
  expect([by.get("a")!.released, by.get("a")!.forkRefcount]).toEqual([false, 1]);
  expect([by.get("b")!.released, by.get("b")!.forkRefcount]).toEqual([false, 1]);
  expect([by.get("c")!.released, by.get("c")!.forkRefcount]).toEqual([false, 0]);
  expect([by.get("d")!.released, by.get("d")!.forkRefcount]).toEqual([true, 0]);
  expect(by.get("e")!.released).toBe(true);
  expect([by.get("f")!.released, by.get("f")!.orphaned]).toEqual([false, true]);
});

function baseManifest(name: string): Record<string, unknown> {
  const empty = Buffer.from(Bun.zstdCompressSync(new Uint8Array(0))).toString("base64");
  return {
    name, created_at: new Date(0).toISOString(), expires_at: null, content_type: "text/plain", profile: "generic", profile_json: null,
    stream_seq: null, closed: 0, closed_producer_id: null, closed_producer_epoch: null, closed_producer_seq: null, ttl_seconds: null,
    stream_flags: 0, generation: 1, epoch: 0, next_offset: 0, logical_size_bytes: "0", segment_count: 0, uploaded_through: 0,
    last_committed_ts: 0, segment_offsets: empty, segment_blocks: empty, segment_last_ts: empty,
  };
}

test("the tombstone of a deleted stream reaches the bucket even when the first publish fails", async () => {
  const bucket = makeTempDir("ds-bucket-");
  dirs.push(bucket);
  const store = new LocalObjectStore(bucket);
  const faults = { failureRate: 0, slowRate: 0, slowMs: 0, tornUploadRate: 0 };
  const app = await start({}, { hooks: { objectStore: new FaultInjectingStore(store, faults) } });
  await createStream(app, "doomed", "text/plain");
  await fill(app, "doomed", 150);
  await until(() => uploadedSegments(app, "doomed") >= 1, 15_000, "a published segment");
  faults.failureRate = 1;
  expect((await app.request("/v1/stream/doomed", { method: "DELETE" })).status).toBe(204);
  await Bun.sleep(100);
  const stale = parseManifest(new TextDecoder().decode((await store.get(manifestKey("doomed")))!));
  expect(stale.stream_flags & 1).toBe(0);
  faults.failureRate = 0;
  await until(async () => {
    const bytes = await store.get(manifestKey("doomed"));
    return bytes !== null && (parseManifest(new TextDecoder().decode(bytes)).stream_flags & 1) === 1;
  }, 15_000, "the tombstone manifest");
});
