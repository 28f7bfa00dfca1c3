// Goal: SSE readers parked at the tail and fed together by the fan-out get exactly what a
// reader on its own would: every append once and in order, each data event followed by its
// control event, a slow client catching up without loss, closure and deletion ending them.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createStream, createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp({ DS_SSE_KEEPALIVE_MS: "200", DS_SSE_MAX_CONNECTION_MS: "10000" });
});
afterAll(async () => app.dispose());

const append = async (name: string, body: string, headers: Record<string, string> = {}): Promise<void> => {
  const res = await app.request(`/v1/stream/${name}`, { method: "POST", body, headers: { "content-type": "text/plain", ...headers } });
  expect(res.status).toBe(204);
};

interface SseEvent {
  type: string;
  data: string;
}

/** Reads events until `done(events)` says so, the response ends, or `timeoutMs` passes. */
async function collect(res: Response, done: (events: SseEvent[]) => boolean, timeoutMs = 5000): Promise<{ events: SseEvent[]; ended: boolean }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let pending = "";
  const deadline = performance.now() + timeoutMs;
  let ended = false;
  while (!done(events) && performance.now() < deadline) {
    const next = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - performance.now())).then(() => null)]);
    if (!next) break;
    if (next.done) {
      ended = true;
      break;
    }
    pending += decoder.decode(next.value, { stream: true });
    const parts = pending.split("\n\n");
    pending = parts.pop() ?? "";
    for (const part of parts) {
      const lines = part.split("\n");
      events.push({ type: lines[0]!.slice("event: ".length), data: lines.slice(1).map((l) => l.slice("data:".length)).join("\n") });
    }
  }
  if (!ended) await reader.cancel().catch(() => {});
  return { events, ended };
}

const dataOf = (events: SseEvent[]): string => events.filter((e) => e.type === "data").map((e) => e.data).join("");
const controls = (events: SseEvent[]) => events.filter((e) => e.type === "control").map((e) => JSON.parse(e.data) as Record<string, unknown>);

test("many readers at the tail get every append once, in order, each data event followed by a control event", async () => {
  await createStream(app, "fan-many", "text/plain");
  const expected = Array.from({ length: 40 }, (_, i) => `m${i};`).join("");
  const responses = await Promise.all(Array.from({ length: 20 }, () => app.request("/v1/stream/fan-many?offset=now&live=sse")));
  const reading = responses.map((res) => collect(res, (events) => dataOf(events).length >= expected.length));
  await Bun.sleep(50);
  for (let i = 0; i < 40; i++) {
    await append("fan-many", `m${i};`);
    if (i % 7 === 0) await Bun.sleep(5);
  }
  for (const { events } of await Promise.all(reading)) {
    expect(dataOf(events)).toBe(expected);
    events.forEach((event, i) => {
      if (event.type === "data") expect(events[i + 1]?.type).toBe("control");
    });
    const offsets = controls(events).map((c) => c.streamNextOffset as string);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]! >= offsets[i - 1]!).toBe(true);
  }
});

test("a client that stops reading falls behind the fan-out and later catches up without loss", async () => {
  await createStream(app, "fan-slow", "text/plain");
  const fast = app.request("/v1/stream/fan-slow?offset=now&live=sse");
  const slow = await app.request("/v1/stream/fan-slow?offset=now&live=sse");
  const fastReading = collect(await fast, (events) => dataOf(events).length >= 60 * 4);
  await Bun.sleep(50);
  // The slow client reads nothing while 60 appends land: far more events than its sink holds.
  const bodies = Array.from({ length: 60 }, (_, i) => `${String(i).padStart(3, "0")};`);
  for (const body of bodies) await append("fan-slow", body);
  const { events: fastEvents } = await fastReading;
  expect(dataOf(fastEvents)).toBe(bodies.join(""));
  const { events: slowEvents } = await collect(slow, (events) => dataOf(events).length >= 60 * 4);
  expect(dataOf(slowEvents)).toBe(bodies.join(""));
});

test("closing the stream ends parked readers with the last data and a closed control event", async () => {
  await createStream(app, "fan-close", "text/plain");
  const responses = await Promise.all([0, 1, 2].map(() => app.request("/v1/stream/fan-close?offset=now&live=sse")));
  const reading = responses.map((res) => collect(res, () => false));
  await Bun.sleep(50);
  await append("fan-close", "before;");
  await append("fan-close", "last;", { "stream-closed": "true" });
  for (const { events, ended } of await Promise.all(reading)) {
    expect(ended).toBe(true);
    expect(dataOf(events)).toBe("before;last;");
    const last = controls(events).at(-1)!;
    expect(last.streamClosed).toBe(true);
    expect(last.streamCursor).toBeUndefined();
  }
});

test("deleting the stream ends its parked readers", async () => {
  await createStream(app, "fan-delete", "text/plain");
  const responses = await Promise.all([0, 1].map(() => app.request("/v1/stream/fan-delete?offset=now&live=sse")));
  const reading = responses.map((res) => collect(res, () => false));
  await Bun.sleep(50);
  await append("fan-delete", "x;");
  await Bun.sleep(20);
  expect((await app.request("/v1/stream/fan-delete", { method: "DELETE" })).status).toBe(204);
  for (const { events, ended } of await Promise.all(reading)) {
    expect(ended).toBe(true);
    expect(dataOf(events)).toBe("x;");
  }
});

test("parked readers count as live waiters, and stop counting when they leave", async () => {
  await createStream(app, "fan-count", "text/plain");
  const before = app.engine.notifier.waiterCount;
  const responses = await Promise.all([0, 1, 2].map(() => app.request("/v1/stream/fan-count?offset=now&live=sse")));
  const readers = responses.map((res) => res.body!.getReader());
  await Promise.all(readers.map((reader) => reader.read())); // the first control event: parked after it
  await Bun.sleep(20);
  expect(app.engine.notifier.waiterCount).toBe(before + 3);
  const metrics = (await (await app.request("/metrics")).json()) as { live_waiters: number };
  expect(metrics.live_waiters).toBe(before + 3);
  await Promise.all(readers.map((reader) => reader.cancel()));
  await Bun.sleep(20);
  expect(app.engine.notifier.waiterCount).toBe(before);
});

test("parked readers still get keep-alive control events while nothing is appended", async () => {
  await createStream(app, "fan-idle", "text/plain");
  const res = await app.request("/v1/stream/fan-idle?offset=now&live=sse");
  const { events } = await collect(res, (events) => events.length >= 3, 2000);
  expect(events.length).toBeGreaterThanOrEqual(3);
  for (const control of controls(events)) expect(control.upToDate).toBe(true);
});
