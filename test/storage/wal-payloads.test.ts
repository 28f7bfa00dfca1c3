// Goal: WAL rows whose payloads live in payload files behave like rows that hold their bytes:
// every read returns the bytes, the `payload_files` counters always equal the rows pointing
// into each file, a file goes exactly when its last row does (deleted, or moved inline), the
// writer pipeline commits batches in order once their payloads are durable (a batch that
// rolls back leaves only unreferenced bytes), and start-up removes what a crash left.
// Method: `insertWalRows` with rows written through the appender, the deletion and inline
// functions, and the writer pipeline over `executeBatch`, on a file database beside a
// temporary payload directory.
import { afterEach, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { existsSync, writeFileSync } from "node:fs";
import { committedRowsFrom } from "../../src/engine/write-batch.ts";
import { executeBatch, type WriteCommand } from "../../src/engine/write-commands.ts";
import { WriterPipeline } from "../../src/engine/writer-pipeline.ts";
import type { BatchReply } from "../../src/engine/write-commands.ts";
import { listPayloadFiles, PayloadAppender, PayloadFileReader, payloadDirOf, payloadFilePath, PayloadGoneError } from "../../src/storage/payload-files.ts";
import { openDatabase } from "../../src/storage/sqlite/open.ts";
import { nextPayloadFileId, payloadFileToCompact, reconcilePayloadFiles } from "../../src/storage/sqlite/payload-files.ts";
import { deleteWalThrough, getWalRowHolding, inlinePayloadsOf, insertWalRows, readWalRows, readWalRowsWithKeys, type WalInsert } from "../../src/storage/sqlite/wal.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) removeDir(root);
});

interface Fixture {
  db: Database;
  dir: string;
  appender: PayloadAppender;
  minBytes: number;
  reader: PayloadFileReader;
  /** Emptied files are deleted here (spares are the subject of payload-files.test.ts). */
  keepSpares: number;
}

function fixture(fileMaxBytes = 1 << 20, minBytes = 100): Fixture {
  const root = makeTempDir("ds-wal-payloads-");
  roots.push(root);
  const dbPath = `${root}/wal.sqlite`;
  const dir = payloadDirOf(dbPath);
  const db = openDatabase(dbPath);
  let next = nextPayloadFileId(db);
  return { db, dir, appender: new PayloadAppender(dir, fileMaxBytes, () => next++), minBytes, reader: new PayloadFileReader(dir), keepSpares: 0 };
}

const payload = (seed: number, length: number) => new Uint8Array(length).map((_, i) => (seed * 31 + i) & 0xff);
const row = (streamId: number, offset: number, bytes: number): WalInsert => ({ streamId, offset, recordCount: 1, tsMs: offset, payload: payload(offset, bytes), routingKey: null });

/** Writes the large payloads and, once durable, inserts the rows in one transaction, as the writer does. */
async function insert(f: Fixture, rows: WalInsert[]): Promise<number[]> {
  const large = rows.filter((r) => r.payload.byteLength >= f.minBytes);
  if (large.length > 0) {
    const { refs, durable } = f.appender.write(large.map((r) => r.payload));
    large.forEach((r, i) => (r.ref = refs[i]));
    await durable;
  }
  let dead: number[] = [];
  f.db.transaction(() => {
    dead = insertWalRows(f.db, rows);
  })();
  return dead;
}

/** Runs batches through the writer pipeline (payloads first, then the transaction, in order). */
function pipelineOf(f: Fixture): (commands: WriteCommand[]) => Promise<BatchReply> {
  const waiting = new Map<number, (reply: BatchReply) => void>();
  const pipeline = new WriterPipeline(
    (commands) => executeBatch(f.db, commands, 0, committedRowsFrom(f.db), f),
    (id, reply) => waiting.get(id)!(reply),
    f.appender,
    f.minBytes,
  );
  let id = 0;
  return (commands) =>
    new Promise((resolve) => {
      waiting.set(++id, resolve);
      pipeline.submit(id, commands);
    });
}

/** Each file's counters and what the rows pointing into it add up to. */
function accounting(db: Database) {
  const files = db.query<{ id: number; live_rows: number; live_bytes: number; closed: number }, []>("SELECT id, live_rows, live_bytes, closed FROM payload_files ORDER BY id").all();
  const refs = db
    .query<{ id: number; n: number; bytes: number }, []>("SELECT payload_file AS id, COUNT(*) AS n, SUM(payload_len) AS bytes FROM wal WHERE payload_file IS NOT NULL GROUP BY payload_file")
    .all();
  for (const file of files) {
    const ref = refs.find((r) => r.id === file.id);
    expect([file.id, file.live_rows, file.live_bytes]).toEqual([file.id, ref?.n ?? 0, ref?.bytes ?? 0]);
  }
  for (const ref of refs) expect(files.some((file) => file.id === ref.id)).toBe(true);
  return files;
}

test("payloads of at least the minimum go to a file, smaller ones stay inline; every read returns the bytes", async () => {
  const f = fixture();
  await insert(f, [row(1, 0, 50), row(1, 1, 4000), row(2, 0, 100), row(1, 2, 99)]);
  const stored = f.db.query<{ offset: number; stream_id: number; n: number; file: number | null }, []>(
    "SELECT offset, stream_id, length(payload) AS n, payload_file AS file FROM wal ORDER BY stream_id, offset",
  ).all();
  expect(stored.map((r) => [r.stream_id, r.offset, r.n, r.file !== null])).toEqual([
    [1, 0, 50, false],
    [1, 1, 0, true],
    [1, 2, 99, false],
    [2, 0, 0, true],
  ]);
  expect(readWalRows(f.db, f.reader, 1, 0, 10, 10).map((r) => r.payload)).toEqual([payload(0, 50), payload(1, 4000), payload(2, 99)]);
  expect(readWalRowsWithKeys(f.db, f.reader, 2, 0, 0, 10)[0]!.payload).toEqual(payload(0, 100));
  expect(getWalRowHolding(f.db, f.reader, 1, 1)!.payload).toEqual(payload(1, 4000));
  expect(accounting(f.db).map((file) => [file.live_rows, file.live_bytes, file.closed])).toEqual([[2, 4100, 0]]);
});

test("a file closes when rows point into a newer one; a closed file goes with its last row", async () => {
  const f = fixture(6000);
  await insert(f, [row(1, 0, 3000)]);
  await insert(f, [row(1, 1, 2000)]);
  expect(await insert(f, [row(1, 2, 3000)])).toEqual([]); // file 1 is full: file 2 starts, file 1 still holds rows
  expect(accounting(f.db).map((file) => [file.id, file.live_rows, file.closed])).toEqual([
    [1, 2, 1],
    [2, 1, 0],
  ]);
  const first = deleteWalThrough(f.db, 1, 0, { rows: 100, bytes: 1 << 20 });
  expect(first.deadPayloadFiles).toEqual([]);
  const second = deleteWalThrough(f.db, 1, 1, { rows: 100, bytes: 1 << 20 });
  expect(second.deadPayloadFiles).toEqual([1]);
  // The open file never dies while it still takes records, even when empty.
  expect(deleteWalThrough(f.db, 1, 2, { rows: 100, bytes: 1 << 20 }).deadPayloadFiles).toEqual([]);
  expect(accounting(f.db).map((file) => [file.id, file.live_rows, file.closed])).toEqual([[2, 0, 0]]);
  // Rows in the next file close it, and it is returned dead by the insert that did so.
  expect(await insert(f, [row(1, 3, 5999)])).toEqual([2]);
});

test("the last rows of a file move inline chunk by chunk, readable throughout; then the file is dead", async () => {
  const f = fixture(1 << 20);
  await insert(f, Array.from({ length: 5 }, (_, i) => row(4, i, 1000 + i)));
  f.db.query("UPDATE payload_files SET closed = 1").run();
  expect(payloadFileToCompact(f.db, Date.now() + 1, 0.25)).toBeNull(); // fully live: not worth moving
  deleteWalThrough(f.db, 4, 1, { rows: 100, bytes: 1 << 20 });
  f.db.query("UPDATE payload_files SET size_bytes = 100000").run(); // as if other rows were collected long ago
  expect(payloadFileToCompact(f.db, Date.now() + 1, 0.25)).toBe(1);
  expect(payloadFileToCompact(f.db, 0, 0.25)).toBeNull(); // too young
  const moves = [];
  for (let i = 0; i < 5; i++) {
    const moved = inlinePayloadsOf(f.db, f.reader, 1, { rows: 2, bytes: 1 << 20 });
    moves.push([moved.rows, moved.more, moved.deadPayloadFiles]);
    expect(readWalRows(f.db, f.reader, 4, 0, 10, 10).map((r) => r.payload)).toEqual([2, 3, 4].map((i) => payload(i, 1000 + i)));
    accounting(f.db);
    if (!moved.more) break;
  }
  expect(moves).toEqual([
    [2, true, []],
    [1, false, [1]],
  ]);
  expect(f.db.query("SELECT COUNT(*) AS n FROM wal WHERE payload_file IS NOT NULL").get()).toEqual({ n: 0 });
});

test("a read racing a collection queries again and no longer sees the collected row", async () => {
  const f = fixture();
  await insert(f, [row(1, 0, 500), row(1, 1, 500)]);
  // The first read of file 1 happens after the writer deleted row 0 and removed the file.
  let raced = false;
  const racing = new (class extends PayloadFileReader {
    override read(id: number, position: number, length: number): Uint8Array {
      if (!raced) {
        raced = true;
        f.db.query("DELETE FROM wal WHERE stream_id = 1 AND offset = 0").run();
        f.db.query("UPDATE wal SET payload = x'00', payload_file = NULL WHERE stream_id = 1 AND offset = 1").run();
        throw new PayloadGoneError("gone");
      }
      return super.read(id, position, length);
    }
  })(f.dir);
  expect(readWalRows(f.db, racing, 1, 0, 10, 10).map((r) => r.offset)).toEqual([1]);
});

const createCommand = (contentType: string): WriteCommand => ({
  op: "create",
  req: { name: "s", contentType, recordsContentType: contentType, ttlSeconds: null, expiresAtMs: null, close: false, records: { chunks: [], count: 0 }, fork: null },
});
const appendCommand = (contentType: string, body: Uint8Array): WriteCommand => ({
  op: "append",
  req: { name: "s", contentType, records: { chunks: [body], count: 1 }, routingKey: null, close: false, producer: null, streamSeq: null, timestampMs: null, metaVersion: 0 },
});

test("the pipeline commits batches in order once their payloads are durable; one that rolls back leaves only unreferenced bytes", async () => {
  const f = fixture();
  const run = pipelineOf(f);
  const type = "application/octet-stream";
  expect((await run([createCommand(type)])).ok).toBe(true);
  // A trigger fails the batch at its end, after its payloads were written and synced.
  f.db.exec("CREATE TRIGGER fail_big AFTER INSERT ON wal WHEN NEW.payload_len = 7777 BEGIN SELECT RAISE(ABORT, 'refused'); END");
  const [failed, ok] = await Promise.all([
    run([appendCommand(type, payload(1, 300)), appendCommand(type, payload(2, 7777))]),
    run([appendCommand(type, payload(3, 300)), appendCommand(type, payload(4, 50))]),
  ]);
  expect(failed.ok).toBe(false);
  expect(ok.ok && ok.results).toEqual([
    { kind: "ok", tailSeq: 0, closed: false, duplicate: false, producer: null },
    { kind: "ok", tailSeq: 1, closed: false, duplicate: false, producer: null },
  ]);
  expect(readWalRows(f.db, f.reader, 1, 0, 10, 10).map((r) => r.payload)).toEqual([payload(3, 300), payload(4, 50)]);
  accounting(f.db);
  // The failed batch's bytes stay in the file, which only the committed row names.
  expect(f.db.query("SELECT live_rows AS n FROM payload_files").all()).toEqual([{ n: 1 }]);
});

test("a collection that empties a closed file removes it once committed; the serving side forgets it", async () => {
  const f = fixture(1000);
  const run = pipelineOf(f);
  await run([createCommand("text/plain")]);
  for (let i = 0; i < 3; i++) expect((await run([appendCommand("text/plain", payload(i, 900))])).ok).toBe(true);
  expect(listPayloadFiles(f.dir)).toEqual([1, 2, 3]);
  readWalRows(f.db, f.reader, 1, 0, 10, 10); // the reader now holds the files open
  f.db.query("UPDATE streams SET sealed_through = 1, uploaded_through = 1").run();
  const reply = await run([{ op: "collect-wal", req: { streamId: 1, chunk: { rows: 10, bytes: 1 << 20 } } }]);
  expect(reply.ok && reply.deadPayloadFiles).toEqual([1, 2]);
  expect(listPayloadFiles(f.dir)).toEqual([3]);
  expect(readWalRows(f.db, f.reader, 1, 0, 10, 10).map((r) => r.payload)).toEqual([payload(2, 900)]);
  accounting(f.db);
});

test("start-up closes every file, removes dead and unknown files, and reports files that are missing", async () => {
  const f = fixture(1000);
  await insert(f, [row(1, 0, 900)]);
  await insert(f, [row(1, 1, 900)]);
  await insert(f, [row(1, 2, 900)]);
  // File 1's last row was collected and committed; the server died before removing the file.
  f.db.transaction(() => deleteWalThrough(f.db, 1, 0, { rows: 10, bytes: 1 << 20 }))();
  writeFileSync(payloadFilePath(f.dir, 99), "left by a batch that never committed");
  f.db.query("INSERT INTO payload_files (id, created_at_ms, live_rows) VALUES (50, 0, 1)").run();
  const report = reconcilePayloadFiles(f.db, f.dir, 0);
  expect(report.removed.sort((a, b) => a - b)).toEqual([1, 99]);
  expect(report.missing).toEqual([50]);
  expect(listPayloadFiles(f.dir)).toEqual([2, 3]);
  expect(existsSync(payloadFilePath(f.dir, 1))).toBe(false);
  expect(f.db.query("SELECT COUNT(*) AS n FROM payload_files WHERE closed = 0").get()).toEqual({ n: 0 });
});
