// Goal: with payload files in play, history still leaves the WAL and stays readable: large
// appends are kept in files while they are in the WAL, sealed from there (JSON rows by the
// value bounds found when they were validated), and the files are
// removed once every row in them is published and collected; rows a quiet stream keeps in
// the WAL are moved back into SQLite so their files can go too. Reads (whole, from an
// offset inside a JSON append, keyed) return what was appended before and after a restart.
// Method: an in-process app that commits every batch on its writer thread, with tiny
// segments and payload files; the files and SQLite are inspected directly.
import { Database } from "bun:sqlite";
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { encodeOffset } from "../../src/engine/offsets.ts";
import { listPayloadFiles, payloadDirOf } from "../../src/storage/payload-files.ts";
import { createStream, createTestApp, readPages, SMALL_SEGMENTS, type TestApp, until } from "../support/app.ts";

setDefaultTimeout(30_000);

const PAYLOADS = {
  ...SMALL_SEGMENTS,
  DS_READ_MAX_BYTES: "5000",
  DS_WRITER_THREAD_MIN_BATCH_BYTES: "1",
  DS_WAL_PAYLOAD_FILE_MIN_BYTES: "500",
  DS_WAL_PAYLOAD_FILE_MAX_BYTES: "8192",
};

let app: TestApp | null = null;
afterEach(async () => {
  await app?.dispose();
  app = null;
});

function query<T>(a: TestApp, sql: string): T[] {
  const db = new Database(a.config.dbPath, { readonly: true });
  try {
    return db.query<T, []>(sql).all();
  } finally {
    db.close();
  }
}

const filesOf = (a: TestApp) => listPayloadFiles(payloadDirOf(a.config.dbPath));
const post = (a: TestApp, name: string, body: string, type: string, headers: Record<string, string> = {}) =>
  a.request(`/v1/stream/${name}`, { method: "POST", body, headers: { "content-type": type, ...headers } });

test("large appends live in payload files until published; then the files go, and reads stay whole", async () => {
  app = await createTestApp(PAYLOADS);
  await createStream(app, "big", "text/plain");
  await createStream(app, "events", "application/json");
  let text = "";
  let keyed = "";
  const events: unknown[] = [];
  for (let round = 0; round < 30; round++) {
    const lines = [0, 1, 2].map((i) => `r${round}-${i} ${"x".repeat(600 + ((round * 7 + i * 131) % 1400))}\n`);
    const batch = [
      { round, kind: "a", pad: "y".repeat(200 + round * 20) },
      { round, kind: "b", pad: "z".repeat(300) },
      { round, kind: "c", pad: "" },
    ];
    // Several appends at once, so batches hold more than one.
    const answers = await Promise.all([
      ...lines.map((line, i) => post(app!, "big", line, "text/plain", { "stream-key": `k${(round + i) % 2}` })),
      post(app, "events", JSON.stringify(batch), "application/json"),
    ]);
    for (const res of answers) expect(res.status).toBe(204);
    text += lines.join("");
    keyed += lines.filter((_, i) => (round + i) % 2 === 1).join("");
    events.push(...batch);
    if (round === 5) {
      expect(filesOf(app).length).toBeGreaterThan(0);
      expect(query<{ n: number }>(app, "SELECT COUNT(*) AS n FROM wal WHERE payload_file IS NOT NULL")[0]!.n).toBeGreaterThan(0);
      // JSON bodies validated on the writer thread keep where their values lie, for sealing.
      expect(query<{ n: number }>(app, "SELECT COUNT(*) AS n FROM wal WHERE value_bounds IS NOT NULL")[0]!.n).toBeGreaterThan(0);
      const metrics = (await (await app.request("/metrics")).json()) as { wal_payload_files: { files: number; size_bytes: number; live_bytes: number } };
      expect(metrics.wal_payload_files.files).toBeGreaterThan(0);
      expect(metrics.wal_payload_files.live_bytes).toBeGreaterThan(0);
      expect(metrics.wal_payload_files.size_bytes).toBeGreaterThanOrEqual(metrics.wal_payload_files.live_bytes);
      // Reads of rows still in files, from inside a JSON append as well.
      expect(JSON.parse((await readPages(app, "/v1/stream/events", "-1")).text.replaceAll("][", ","))).toEqual(events);
    }
  }
  const head = (name: string) => app!.engine.streams.byStreamName(name)!;
  await until(() => head("big").uploaded_through === head("big").next_offset - 1 && head("events").uploaded_through === head("events").next_offset - 1, 20_000, "everything published");
  await until(() => query<{ n: number }>(app!, "SELECT COUNT(*) AS n FROM wal")[0]!.n === 0, 20_000, "WAL collected");
  // Only the file still taking records may be left.
  expect(filesOf(app).length).toBeLessThanOrEqual(1);
  const after = (await (await app.request("/metrics")).json()) as { wal_payload_files: { live_bytes: number } };
  expect(after.wal_payload_files.live_bytes).toBe(0);
  expect(query<{ n: number }>(app, "SELECT COUNT(*) AS n FROM payload_files")[0]!.n).toBe(filesOf(app).length);

  const readAll = async (a: TestApp) => {
    expect((await readPages(a, "/v1/stream/big")).text).toBe(text);
    expect((await readPages(a, "/v1/stream/big?key=k1")).text).toBe(keyed);
    expect(JSON.parse((await readPages(a, "/v1/stream/events")).text.replaceAll("][", ","))).toEqual(events);
    // From an offset inside a JSON append: the rest of it, then the others.
    expect(JSON.parse((await readPages(a, "/v1/stream/events", encodeOffset(0))).text.replaceAll("][", ","))).toEqual(events.slice(1));
  };
  await readAll(app);

  const root = app.config.root;
  await app.dispose({ keepData: true });
  app = await createTestApp({ ...PAYLOADS, DS_ROOT: root });
  await readAll(app);
  // Start-up closed the file that was open and removed it: no row pointed into it.
  expect(filesOf(app)).toEqual([]);
});

test("a quiet stream's rows are moved back into SQLite, so the files it kept can go", async () => {
  app = await createTestApp({ ...PAYLOADS, DS_WAL_PAYLOAD_INLINE_AFTER_MS: "200" });
  await createStream(app, "quiet", "text/plain");
  await createStream(app, "busy", "text/plain");
  const quiet: string[] = [];
  for (let i = 0; i < 40; i++) {
    const line = `busy ${i} ${"b".repeat(1500)}\n`;
    const answers = [post(app, "busy", line, "text/plain")];
    if (i % 10 === 0) {
      quiet.push(`quiet ${i} ${"q".repeat(900)}\n`);
      answers.push(post(app, "quiet", quiet.at(-1)!, "text/plain"));
    }
    for (const res of await Promise.all(answers)) expect(res.status).toBe(204);
  }
  // The quiet stream (3.6 KB) stays under the 4 KiB segment size: its rows stay in the WAL.
  const quietRows = () => query<{ file: number | null }>(app!, "SELECT w.payload_file AS file FROM wal w JOIN streams s ON s.id = w.stream_id WHERE s.stream = 'quiet'");
  expect(quietRows().length).toBe(4);
  await until(() => quietRows().every((r) => r.file === null), 20_000, "quiet rows moved inline");
  await until(() => filesOf(app!).length <= 1, 20_000, "files removed");
  expect((await readPages(app, "/v1/stream/quiet")).text).toBe(quiet.join(""));
});
