// Goal: every ingest bound answers with its documented status and never loses or half-
// writes anything: a full queue answers 429 with Retry-After, a request whose deadline
// passes while queued answers 408 and is not written, shutdown answers 503.
// Method: a configured linger holds batches back long enough to observe each bound.
import { afterEach, expect, test } from "bun:test";
import { createStream, createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const post = (a: TestApp, name: string, body: string) =>
  a.request(`/v1/stream/${name}`, { method: "POST", body, headers: { "content-type": "text/plain" } });

test("a full ingest queue answers 429 with Retry-After and the queued append still commits", async () => {
  app = await createTestApp({ DS_INGEST_MAX_QUEUE_REQS: "1", DS_INGEST_FLUSH_MS: "100" });
  await createStream(app, "q", "text/plain");
  const first = post(app, "q", "a");
  const second = await post(app, "q", "b");
  expect(second.status).toBe(429);
  expect(second.headers.get("retry-after")).toBe("1");
  expect(((await second.json()) as { error: { code: string } }).error.code).toBe("overloaded");
  expect((await first).status).toBe(204);
  expect(await (await app.request("/v1/stream/q")).text()).toBe("a");
});

test("a byte bound on the queue also answers 429", async () => {
  app = await createTestApp({ DS_INGEST_MAX_QUEUE_BYTES: "10", DS_INGEST_FLUSH_MS: "100" });
  await createStream(app, "qb", "text/plain");
  const first = post(app, "qb", "12345678");
  expect((await post(app, "qb", "12345678")).status).toBe(429);
  expect((await first).status).toBe(204);
});

test("an append still queued at its deadline answers 408 and is never written", async () => {
  const setup = await createTestApp();
  await createStream(setup, "late", "text/plain");
  const root = setup.config.root;
  await setup.dispose({ keepData: true });

  // Batches linger past the request deadline, so the append is answered while still queued.
  app = await createTestApp({ DS_ROOT: root, DS_APPEND_TIMEOUT_MS: "40", DS_INGEST_FLUSH_MS: "300" });
  const res = await post(app, "late", "x");
  expect(res.status).toBe(408);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("append_timeout");
  await Bun.sleep(350);
  await app.dispose({ keepData: true });

  app = await createTestApp({ DS_ROOT: root });
  expect(await (await app.request("/v1/stream/late")).text()).toBe("");
});

test("after shutdown begins, requests answer 503 with Retry-After", async () => {
  app = await createTestApp();
  await createStream(app, "s", "text/plain");
  app.beginShutdown();
  const res = await app.request("/v1/stream/s");
  expect(res.status).toBe(503);
  expect(res.headers.get("retry-after")).toBe("5");
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unavailable");
});

test("shutdown commits appends that were already queued", async () => {
  app = await createTestApp({ DS_INGEST_FLUSH_MS: "200" });
  await createStream(app, "drain", "text/plain");
  const pending = post(app, "drain", "kept");
  await Bun.sleep(10);
  const root = app.config.root;
  await app.dispose({ keepData: true });
  expect((await pending).status).toBe(204);
  app = await createTestApp({ DS_ROOT: root });
  expect(await (await app.request("/v1/stream/drain")).text()).toBe("kept");
});
