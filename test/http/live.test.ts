// Goal: live reads are woken by the notifier (not by polling) within milliseconds, honour
// their timeouts, keep idle SSE connections alive, and end when their stream goes away.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createStream, createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ DS_SSE_KEEPALIVE_MS: "150", DS_SSE_MAX_CONNECTION_MS: "1000" });
});
afterAll(async () => app.dispose());

const append = (name: string, body: string) =>
  app.request(`/v1/stream/${name}`, { method: "POST", body, headers: { "content-type": "text/plain" } });

test("a long-poll at the tail answers within milliseconds of an append", async () => {
  await createStream(app, "lp", "text/plain");
  const poll = app.request("/v1/stream/lp?offset=now&live=long-poll&timeout_ms=5000");
  await Bun.sleep(50);
  const started = performance.now();
  await append("lp", "data");
  const res = await poll;
  expect(res.status).toBe(200);
  expect(await res.text()).toBe("data");
  expect(performance.now() - started).toBeLessThan(1000);
  expect(res.headers.get("stream-cursor")).toMatch(/^[0-9]+$/);
});

test("a long-poll times out with 204 after its timeout", async () => {
  await createStream(app, "lp-idle", "text/plain");
  const started = performance.now();
  const res = await app.request("/v1/stream/lp-idle?offset=-1&live=long-poll&timeout=200ms");
  expect(res.status).toBe(204);
  expect(performance.now() - started).toBeGreaterThanOrEqual(150);
  expect(res.headers.get("stream-up-to-date")).toBe("true");
});

test("deleting a stream ends its long-polls with 404", async () => {
  await createStream(app, "lp-gone", "text/plain");
  const poll = app.request("/v1/stream/lp-gone?offset=-1&live=long-poll&timeout_ms=5000");
  await Bun.sleep(50);
  expect((await app.request("/v1/stream/lp-gone", { method: "DELETE" })).status).toBe(204);
  expect((await poll).status).toBe(404);
});

async function readSse(path: string, untilMs: number): Promise<string> {
  const res = await app.request(path);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = res.body!.getReader();
  let text = "";
  const deadline = performance.now() + untilMs;
  while (performance.now() < deadline) {
    const next = await Promise.race([reader.read(), Bun.sleep(deadline - performance.now()).then(() => null)]);
    if (!next || next.done) break;
    text += new TextDecoder().decode(next.value);
  }
  await reader.cancel().catch(() => {});
  return text;
}

test("an idle SSE connection gets keep-alive control events and closes at its age limit", async () => {
  await createStream(app, "sse-idle", "text/plain");
  const started = performance.now();
  const text = await readSse("/v1/stream/sse-idle?offset=-1&live=sse", 3000);
  const controls = text.split("\n\n").filter((e) => e.startsWith("event: control"));
  expect(controls.length).toBeGreaterThanOrEqual(3);
  expect(performance.now() - started).toBeLessThan(2500);
});

test("SSE delivers appends made while connected, each data event followed by a control event", async () => {
  await createStream(app, "sse-live", "text/plain");
  const reading = readSse("/v1/stream/sse-live?offset=now&live=sse", 800);
  await Bun.sleep(100);
  await append("sse-live", "hello");
  const events = (await reading).split("\n\n").filter(Boolean);
  const dataAt = events.findIndex((e) => e.startsWith("event: data"));
  expect(events[dataAt]).toContain("data:hello");
  expect(events[dataAt + 1]).toStartWith("event: control");
});

test("SSE readers woken by the same appends send the same cursor, which does not run ahead of the clock", async () => {
  await createStream(app, "sse-cursor", "text/plain");
  const readers = [0, 1, 2].map(() => readSse("/v1/stream/sse-cursor?offset=now&live=sse", 700));
  await Bun.sleep(100);
  for (let i = 0; i < 5; i++) {
    await append("sse-cursor", `m${i}`);
    await Bun.sleep(20);
  }
  // The cursor of each control event that follows a data event, per reader, in order.
  const cursorsAfterData = (text: string): string[] => {
    const events = text.split("\n\n");
    const out: string[] = [];
    for (let i = 0; i + 1 < events.length; i++) {
      if (!events[i]!.startsWith("event: data")) continue;
      out.push(JSON.parse(events[i + 1]!.split("\n")[1]!.slice("data:".length)).streamCursor);
    }
    return out;
  };
  const perReader = (await Promise.all(readers)).map(cursorsAfterData);
  expect(perReader[0]!.length).toBeGreaterThanOrEqual(3);
  for (const cursors of perReader) expect(cursors).toEqual(perReader[0]!);
  const current = Math.floor((Date.now() - Date.UTC(2024, 9, 9)) / 20_000);
  for (const cursor of perReader[0]!) expect(Number(cursor)).toBeLessThanOrEqual(current);
});
