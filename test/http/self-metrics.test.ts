// Goal: the server keeps its own metrics in `__stream_metrics__`: the stream exists with
// the metrics profile and the lean registry from start-up, receives canonical interval
// records every DS_METRICS_FLUSH_MS, none when that is 0, and keeps its data over a restart.
import { afterEach, expect, test } from "bun:test";
import { createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const STREAM = "/v1/stream/__stream_metrics__";
const records = async (a: TestApp) => (await (await a.request(STREAM)).json()) as Array<Record<string, unknown>>;

async function until(check: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error("condition not reached in time");
    await Bun.sleep(20);
  }
}

test("the stream exists from start-up with the metrics profile and the lean registry", async () => {
  app = await createTestApp();
  expect(await (await app.request(`${STREAM}/_profile`)).json()).toEqual({ apiVersion: "durable.streams/profile/v1", profile: { kind: "metrics" } });
  const registry = (await (await app.request(`${STREAM}/_schema`)).json()) as Record<string, unknown>;
  expect(registry).toMatchObject({ currentVersion: 1, boundaries: [{ offset: 0, version: 1 }] });
  expect(registry.routingKey).toBeUndefined();
  expect(registry.search).toBeUndefined();
});

test("the server appends canonical interval records at the configured interval", async () => {
  app = await createTestApp({ DS_METRICS_FLUSH_MS: "50" });
  await app.request("/v1/stream/work", { method: "PUT", headers: { "content-type": "text/plain" } });
  await app.request("/v1/stream/work", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
  await until(async () => (await records(app!)).some((r) => r.metric === "ds.ingest.requests" && (r.count as number) > 0));
  const all = await records(app);
  const first = all[0]!;
  expect(first).toMatchObject({ apiVersion: "durable.streams/metrics/v1", kind: "interval", temporality: "delta" });
  expect(first.windowEnd as number).toBeGreaterThanOrEqual(first.windowStart as number);
  expect(new Set(all.map((r) => r.metric))).toEqual(
    new Set(["ds.ingest.requests", "ds.ingest.bytes", "ds.ingest.commit_time", "ds.ingest.timeouts", "ds.ingest.queue_depth", "ds.live.waiters", "ds.process.rss"]),
  );
  const rss = all.find((r) => r.metric === "ds.process.rss")!;
  expect(rss).toMatchObject({ metricKind: "gauge", count: 1 });
  expect(rss.sum as number).toBeGreaterThan(0);
});

test("DS_METRICS_FLUSH_MS=0 appends nothing", async () => {
  app = await createTestApp({ DS_METRICS_FLUSH_MS: "0" });
  await Bun.sleep(150);
  expect(await records(app)).toEqual([]);
});

test("its records survive a restart, and the stream is reused", async () => {
  app = await createTestApp({ DS_METRICS_FLUSH_MS: "30" });
  await until(async () => (await records(app!)).length > 0);
  const root = app.config.root;
  await app.dispose({ keepData: true });
  app = await createTestApp({ DS_ROOT: root, DS_METRICS_FLUSH_MS: "0" });
  const kept = await records(app);
  expect(kept.length).toBeGreaterThan(0);
  expect(kept.length % 7).toBe(0);
  expect((await (await app.request(`${STREAM}/_profile`)).json()) as unknown).toMatchObject({ profile: { kind: "metrics" } });
});
