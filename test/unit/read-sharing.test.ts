// Goal: readers that ask for the same range while a read of it is under way share that read
// (one SQLite query for an append's whole fan-out), and a reader never gets a result older
// than the stream row it asked with.
// Method: an in-process app; reads go through the engine directly.
import { afterEach, expect, test } from "bun:test";
import { START_SEQ } from "../../src/engine/offsets.ts";
import { createStream, createTestApp, type TestApp } from "../support/app.ts";

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const append = (a: TestApp, body: string) => a.request("/v1/stream/s", { method: "POST", body, headers: { "content-type": "text/plain" } });

test("concurrent reads of one range share one result", async () => {
  app = await createTestApp();
  await createStream(app, "s", "text/plain");
  await append(app, "a");
  const row = app.engine.streams.byStreamName("s")!;
  const results = await Promise.all(Array.from({ length: 50 }, () => app!.engine.read(row, START_SEQ)));
  expect(results[0]!.records).toBe(1);
  for (const result of results) expect(result).toBe(results[0]!);
});

test("a read asking with a newer tail is not handed a read of an older tail under way", async () => {
  app = await createTestApp();
  await createStream(app, "s", "text/plain");
  await append(app, "a");
  await append(app, "b");
  const current = app.engine.streams.byStreamName("s")!;
  // A reader still holding the row from before the second append, reading at the same time.
  const stale = { ...current, next_offset: current.next_offset - 1 };
  const older = app.engine.read(stale, START_SEQ);
  const newer = app.engine.read(current, START_SEQ);
  expect((await older).records).toBe(1);
  expect((await newer).records).toBe(2);
});
