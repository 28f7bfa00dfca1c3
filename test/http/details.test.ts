// Goal: `_details` and `_index_status` describe a stream as the management UI needs it, and
// their ETag long-poll wakes on this stream's changes only: 304 at the deadline while other
// streams are written, 200 within 100 ms of a change to this one, without polling.
// Method: in-process apps with small segments, so sealing and uploads show up quickly.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { serveDescriptor } from "../../src/http/descriptor-poll.ts";
import { createStream, createTestApp, SMALL_SEGMENTS, type TestApp, until } from "../support/app.ts";

setDefaultTimeout(30_000);

const TIERING = { ...SMALL_SEGMENTS, DS_SEGMENT_TARGET_ROWS: "40" };

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const postJson = (a: TestApp, name: string, value: unknown) =>
  a.request(`/v1/stream/${name}`, { method: "POST", body: JSON.stringify(value), headers: { "content-type": "application/json" } });

async function json(res: Response): Promise<Record<string, any>> {
  expect(res.headers.get("content-type")).toContain("application/json");
  return (await res.json()) as Record<string, any>;
}

test("_details reports the stream, its profile and schema, index status, storage and object-store requests", async () => {
  app = await createTestApp(TIERING);
  await createStream(app, "orders", "application/json");
  for (let i = 0; i < 100; i++) expect((await postJson(app, "orders", { i, pad: "x".repeat(50) })).status).toBe(204);
  await until(() => (app!.engine.streams.byStreamName("orders")?.uploaded_segment_count ?? 0) >= 2, 10_000, "two uploaded segments");

  const res = await app.request("/v1/stream/orders/_details");
  expect(res.status).toBe(200);
  expect(res.headers.get("etag")).toMatch(/^W\/"details:[0-9a-f]{40}"$/);
  expect(res.headers.get("cache-control")).toBe("no-store");
  const body = await json(res);
  const row = app.engine.streams.byStreamName("orders")!;
  expect(body.stream).toMatchObject({
    name: "orders",
    content_type: "application/json",
    profile: "generic",
    closed: false,
    epoch: 0,
    next_offset: "100",
    sealed_through: String(row.sealed_through),
    uploaded_through: String(row.uploaded_through),
    uploaded_segment_count: row.uploaded_segment_count,
    wal_bytes: String(row.wal_bytes),
  });
  expect(Date.parse(body.stream.created_at)).toBeGreaterThan(0);
  expect(body.profile).toEqual({ apiVersion: "durable.streams/profile/v1", profile: { kind: "generic" } });
  expect(body.schema).toEqual(await (await app.request("/v1/stream/orders/_schema")).json());
  expect(body.index_status).toEqual(await (await app.request("/v1/stream/orders/_index_status")).json());
  expect(body.index_status.segments.uploaded_count).toBe(row.uploaded_segment_count);
  expect(body.index_status.manifest.generation).toBeGreaterThanOrEqual(1);

  const objects = body.storage.object_storage;
  expect(Number(objects.segments_bytes)).toBeGreaterThan(0);
  expect(objects.segment_object_count).toBe(row.uploaded_segment_count);
  expect(Number(objects.total_bytes)).toBe(Number(objects.segments_bytes) + Number(objects.manifest_and_meta_bytes));
  const local = body.storage.local_storage;
  expect(local.wal_retained_bytes).toBe(String(row.wal_bytes));
  expect(Number(local.sqlite_shared_total_bytes)).toBeGreaterThan(0);

  const requests = body.object_store_requests;
  const segmentPuts = requests.by_artifact.find((a: { artifact: string }) => a.artifact === "segment");
  const manifestPuts = requests.by_artifact.find((a: { artifact: string }) => a.artifact === "manifest");
  expect(Number(segmentPuts.puts)).toBeGreaterThanOrEqual(row.uploaded_segment_count);
  expect(Number(manifestPuts.puts)).toBeGreaterThanOrEqual(1);
  expect(Number(requests.puts)).toBe(Number(segmentPuts.puts) + Number(manifestPuts.puts));
});

test("_index_status counts segment progress and reports a configured routing key as not yet indexed", async () => {
  app = await createTestApp(TIERING);
  await createStream(app, "keyed", "application/json");
  const schema = await app.request("/v1/stream/keyed/_schema", { method: "POST", body: JSON.stringify({ routingKey: { jsonPointer: "/k", required: true } }), headers: { "content-type": "application/json" } });
  expect(schema.status).toBe(200);
  for (let i = 0; i < 90; i++) expect((await postJson(app, "keyed", { k: `k${i % 3}`, i })).status).toBe(204);
  await until(() => (app!.engine.streams.byStreamName("keyed")?.uploaded_segment_count ?? 0) >= 2, 10_000, "two uploaded segments");
  const status = await json(await app.request("/v1/stream/keyed/_index_status"));
  const uploaded = status.segments.uploaded_count;
  expect(status.routing_key_index).toMatchObject({ configured: true, indexed_segment_count: 0, lag_segments: uploaded, fully_indexed_uploaded_segments: false });
  expect(status.exact_indexes).toEqual([]);
  expect(status.search_families).toEqual([]);
});

test("a conditional GET answers 304 while nothing changed and 200 after an append", async () => {
  app = await createTestApp();
  await createStream(app, "s", "text/plain");
  for (const resource of ["_details", "_index_status"]) {
    const first = await app.request(`/v1/stream/s/${resource}`);
    const etag = first.headers.get("etag")!;
    const same = await app.request(`/v1/stream/s/${resource}`, { headers: { "if-none-match": etag } });
    expect(same.status).toBe(304);
    expect(same.headers.get("etag")).toBe(etag);
    expect(await same.text()).toBe("");
  }
  const etag = (await app.request("/v1/stream/s/_details")).headers.get("etag")!;
  await app.request("/v1/stream/s", { method: "POST", body: "x", headers: { "content-type": "text/plain" } });
  const changed = await app.request("/v1/stream/s/_details", { headers: { "if-none-match": etag } });
  expect(changed.status).toBe(200);
  expect(changed.headers.get("etag")).not.toBe(etag);
});

test("the long-poll answers 304 at its deadline while another stream is written", async () => {
  app = await createTestApp();
  await createStream(app, "quiet", "text/plain");
  await createStream(app, "busy", "text/plain");
  const etag = (await app.request("/v1/stream/quiet/_details")).headers.get("etag")!;
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing && i < 500; i++) {
      await app!.request("/v1/stream/busy", { method: "POST", body: `b${i}`, headers: { "content-type": "text/plain" } });
      await Bun.sleep(10);
    }
  })();
  const started = performance.now();
  const res = await app.request("/v1/stream/quiet/_details?live=long-poll&timeout=600ms", { headers: { "if-none-match": etag } });
  const elapsed = performance.now() - started;
  writing = false;
  await writer;
  expect(res.status).toBe(304);
  expect(res.headers.get("etag")).toBe(etag);
  expect(elapsed).toBeGreaterThanOrEqual(590);
  // Other streams' writes (which grow the shared SQLite files) leave this ETag alone.
  expect((await app.request("/v1/stream/quiet/_details", { headers: { "if-none-match": etag } })).status).toBe(304);
});

test("the long-poll answers 200 with the new document within 100 ms of a change to its stream", async () => {
  app = await createTestApp();
  await createStream(app, "watched", "text/plain");
  const etag = (await app.request("/v1/stream/watched/_details")).headers.get("etag")!;
  const polls = Array.from({ length: 100 }, () =>
    app!.request("/v1/stream/watched/_details?live=long-poll&timeout=30s", { headers: { "if-none-match": etag } }).then(async (res) => ({ res, at: performance.now() })),
  );
  await until(() => app!.engine.descriptors.waiterCount === 100, 5_000, "100 waiting long-polls");
  // Waiting costs no database reads: the waiters are promises on the notifier.
  const server = await json(await app.request("/v1/server/_details"));
  expect(server.runtime.live.descriptor_waiters).toBe(100);

  const appended = await app.request("/v1/stream/watched", { method: "POST", body: "change", headers: { "content-type": "text/plain" } });
  const ackedAt = performance.now();
  expect(appended.status).toBe(204);
  for (const { res, at } of await Promise.all(polls)) {
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).not.toBe(etag);
    expect(at - ackedAt).toBeLessThan(100);
    expect(((await res.json()) as { stream: { next_offset: string } }).stream.next_offset).toBe("1");
  }
});

test("a long-poll wakes when the stream's segments upload, and on deletion answers 404", async () => {
  app = await createTestApp(TIERING);
  await createStream(app, "tiered", "application/json");
  const etag = (await app.request("/v1/stream/tiered/_index_status")).headers.get("etag")!;
  const poll = app.request("/v1/stream/tiered/_index_status?live=1&timeout=10000", { headers: { "if-none-match": etag } });
  for (let i = 0; i < 50; i++) await postJson(app, "tiered", { i });
  const res = await poll;
  expect(res.status).toBe(200);

  const current = (await app.request("/v1/stream/tiered/_details")).headers.get("etag")!;
  const gone = app.request("/v1/stream/tiered/_details?live=long-poll&timeout=10s", { headers: { "if-none-match": current } });
  await until(() => app!.engine.descriptors.waiterCount >= 1, 5_000, "a waiting long-poll");
  expect((await app.request("/v1/stream/tiered", { method: "DELETE" })).status).toBe(204);
  expect((await gone).status).toBe(404);
});

test("bad parameters and methods get the error envelope", async () => {
  app = await createTestApp();
  await createStream(app, "s", "text/plain");
  const cases: Array<[string, RequestInit, number, string]> = [
    ["/v1/stream/s/_details?live=sse", {}, 400, "invalid live mode"],
    ["/v1/stream/s/_details?live=long-poll&timeout=soon", {}, 400, "invalid timeout"],
    ["/v1/stream/s/_index_status", { method: "POST" }, 400, "unsupported method"],
    ["/v1/stream/nope/_details", {}, 404, ""],
    ["/v1/server/_details", { method: "POST" }, 400, "unsupported method"],
  ];
  for (const [path, init, status, message] of cases) {
    const res = await app.request(path, init);
    expect(res.status).toBe(status);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toContain(message);
  }
});

test("a client that goes away while waiting gets 204", async () => {
  const spec = {
    kind: "details",
    build: () => ({ body: { n: 1 }, stable: { n: 1 } }),
    wait: (_ms: number, signal: AbortSignal) => new Promise<"aborted">((resolve) => signal.addEventListener("abort", () => resolve("aborted"))),
    defaultTimeoutMs: 3000,
    maxTimeoutMs: 30_000,
  };
  const etag = (await serveDescriptor(new Request("http://x/"), new URLSearchParams(), spec)).headers.get("etag")!;
  const controller = new AbortController();
  const req = new Request("http://x/", { headers: { "if-none-match": etag }, signal: controller.signal });
  const answer = serveDescriptor(req, new URLSearchParams("live=long-poll&timeout=10s"), spec);
  controller.abort();
  expect((await answer).status).toBe(204);
});

test("/v1/server/_details and /v1/server/_mem report limits and measured memory", async () => {
  app = await createTestApp();
  const details = await json(await app.request("/v1/server/_details"));
  expect(details.configured_limits.ingest.max_batch_requests).toBe(app.config.ingest.maxBatchRequests);
  expect(details.configured_limits.timeouts.request_timeout_ms).toBe(app.config.http.requestTimeoutMs);
  expect(details.runtime.ingest_queue).toMatchObject({ requests: 0, bytes: 0, full: false });
  expect(details.runtime.uploads.pending_segments).toBe(0);
  expect(details.auto_tune).toEqual({ enabled: false, requested_memory_mb: null, preset_mb: null, effective_memory_limit_mb: null });
  expect(details.configured_limits.memory.pressure_limit_bytes).toBe(0);
  const mem = await json(await app.request("/v1/server/_mem"));
  expect(mem.process.rss).toBeGreaterThan(0);
  expect(mem.js_heap.heap_size).toBeGreaterThan(0);
  if (process.platform === "linux") expect(mem.process_breakdown.rss_anon_bytes).toBeGreaterThan(0);
});

test("a request unresolved after DS_REQUEST_TIMEOUT_MS answers 408; live requests are exempt", async () => {
  app = await createTestApp({ DS_REQUEST_TIMEOUT_MS: "100" });
  await createStream(app, "slow", "text/plain");
  const trickle = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new TextEncoder().encode("part"));
      await Bun.sleep(400);
      controller.enqueue(new TextEncoder().encode("rest"));
      controller.close();
    },
  });
  const res = await app.request("/v1/stream/slow", { method: "POST", body: trickle, headers: { "content-type": "text/plain" }, duplex: "half" } as RequestInit);
  expect(res.status).toBe(408);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("request_timeout");
  const live = await app.request("/v1/stream/slow?offset=-1&live=long-poll&timeout=300");
  expect(live.status).not.toBe(408);
});

test("/v1/server/_details reports the auto-tune preset the server started with", async () => {
  app = await createTestApp({}, { flags: ["--auto-tune=1024"] });
  const details = await json(await app.request("/v1/server/_details"));
  expect(details.auto_tune).toMatchObject({ enabled: true, requested_memory_mb: 1024, preset_mb: 1024 });
  expect(details.configured_limits.memory.pressure_limit_bytes).toBe(app.config.memory.limitBytes);
  expect(details.configured_limits.segmenting.segment_max_bytes).toBe(app.config.tiering.segmentMaxBytes);
});
