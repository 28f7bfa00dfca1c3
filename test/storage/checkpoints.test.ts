// Goal: WAL checkpoints run on their own thread, out of the commit path, and the WAL stays
// bounded even when that thread does not keep up; `DS_SQLITE_CHECKPOINT_MS=0` gives SQLite's
// own in-commit checkpoints back.
// Method: an in-process app; SQLite's settings and the WAL file are inspected directly.
import { afterEach, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { createStream, createTestApp, type TestApp, until } from "../support/app.ts";

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

const MiB = 1024 * 1024;
/** The appends below must reach SQLite's WAL: large payloads stay inline instead of going to payload files. */
const INLINE = { DS_WAL_PAYLOAD_FILE_MIN_BYTES: "0" };

function pragma(a: TestApp, name: string): number {
  const row = a.engine.db.query<Record<string, number>, []>(`PRAGMA ${name}`).get()!;
  return Object.values(row)[0]!;
}

/** Appends `total` bytes of incompressible data (so the WAL grows by about that much). */
async function appendNoise(a: TestApp, total: number): Promise<void> {
  await createStream(a, "s");
  const body = crypto.getRandomValues(new Uint8Array(64 * 1024));
  for (let written = 0; written < total; written += body.byteLength) {
    const res = await a.request("/v1/stream/s", { method: "POST", body, headers: { "content-type": "application/octet-stream" } });
    expect(res.status).toBe(204);
  }
}

test("by default a background thread checkpoints and commits only checkpoint at the backstop", async () => {
  app = await createTestApp({ ...INLINE, DS_SQLITE_CHECKPOINT_MS: "10" });
  expect(app.engine.checkpointer).not.toBeNull();
  expect(pragma(app, "wal_autocheckpoint")).toBe((64 * MiB) / pragma(app, "page_size"));
  expect(pragma(app, "journal_size_limit")).toBe(64 * MiB);
  await appendNoise(app, 2 * MiB);
  await until(() => app!.engine.checkpointer!.stats.frames >= (2 * MiB) / pragma(app!, "page_size"), 10_000, "frames checkpointed");
  expect(app.engine.checkpointer!.stats.failures).toBe(0);
  const metrics = (await (await app.request("/metrics")).json()) as { wal_checkpoints: { checkpoints: number } };
  expect(metrics.wal_checkpoints.checkpoints).toBeGreaterThan(0);
});

test("the backstop bounds the WAL when background checkpoints do not come", async () => {
  // The background thread waits ten minutes: only the writers' backstop can checkpoint.
  app = await createTestApp({ ...INLINE, DS_SQLITE_CHECKPOINT_MS: "600000", DS_SQLITE_WAL_MAX_MB: "1" });
  await appendNoise(app, 8 * MiB);
  expect(app.engine.checkpointer!.stats.checkpoints).toBe(0);
  expect(statSync(`${app.config.dbPath}-wal`).size).toBeLessThan(2 * MiB);
});

test("DS_SQLITE_CHECKPOINT_MS=0 leaves checkpoints to SQLite", async () => {
  app = await createTestApp({ ...INLINE, DS_SQLITE_CHECKPOINT_MS: "0" });
  expect(app.engine.checkpointer).toBeNull();
  expect(pragma(app, "wal_autocheckpoint")).toBe(1000);
  const metrics = (await (await app.request("/metrics")).json()) as { wal_checkpoints: unknown };
  expect(metrics.wal_checkpoints).toBeNull();
});
