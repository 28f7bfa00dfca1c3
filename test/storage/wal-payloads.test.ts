// Goal: WAL rows whose payloads live in payload files behave like rows that hold their bytes:
// every read returns the bytes, the `payload_files` counters always equal the rows pointing
// into each file, a file goes exactly when its last row does (deleted, or moved inline), a
// batch that rolls back leaves no file behind, and start-up removes what a crash left.
// Method: `insertWalRows` with a sink, the deletion and inline functions, and `executeBatch`
// on a file database beside a temporary payload directory.
import { afterEach, expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { existsSync, writeFileSync } from "node:fs";
import { committedRowsFrom } from "../../src/engine/write-batch.ts";
import { executeBatch, type WriteCommand } from "../../src/engine/write-commands.ts";
import { listPayloadFiles, PayloadAppender, PayloadFileReader, payloadDirOf, payloadFilePath, PayloadGoneError } from "../../src/storage/payload-files.ts";
import { openDatabase } from "../../src/storage/sqlite/open.ts";
import { payloadFileToCompact, reconcilePayloadFiles } from "../../src/storage/sqlite/payload-files.ts";
import { deleteWalThrough, getWalRowHolding, inlinePayloadsOf, insertWalRows, readWalRows, readWalRowsWithKeys, type PayloadSink, type WalInsert } from "../../src/storage/sqlite/wal.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) removeDir(root);
});

interface Fixture {
  db: Database;
  dir: string;
  sink: PayloadSink;
  reader: PayloadFileReader;
  /** Emptied files are deleted here (spares are the subject of payload-files.test.ts). */
  keepSpares: number;
}

function fixture(fileMaxBytes = 1 << 20, minBytes = 100): Fixture {
  const root = makeTempDir("ds-wal-payloads-");
  roots.push(root);
  const dbPath = `${root}/wal.sqlite`;
  const dir = payloadDirOf(dbPath);
  return { db: openDatabase(dbPath), dir, sink: { appender: new PayloadAppender(dir, fileMaxBytes), minBytes }, reader: new PayloadFileReader(dir), keepSpares: 0 };
}

const payload = (seed: number, length: number) => new Uint8Array(length).map((_, i) => (seed * 31 + i) & 0xff);
const row = (streamId: number, offset: number, bytes: number): WalInsert => ({ streamId, offset, recordCount: 1, tsMs: offset, payload: payload(offset, bytes), routingKey: null });

/** Inserts rows in one committed transaction, as a batch would. */
function insert(f: Fixture, rows: WalInsert[]): number[] {
  let dead: number[] = [];
  f.db.transaction(() => {
    dead = insertWalRows(f.db, rows, f.sink);
  })();
  f.sink.appender.committed();
  return dead;
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

test("payloads of at least the minimum go to a file, smaller ones stay inline; every read returns the bytes", () => {
  const f = fixture();
  insert(f, [row(1, 0, 50), row(1, 1, 4000), row(2, 0, 100), row(1, 2, 99)]);
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

test("a file closes when the next batch would pass its size; a closed file goes with its last row", () => {
  const f = fixture(6000);
  insert(f, [row(1, 0, 3000)]);
  insert(f, [row(1, 1, 2000)]);
  expect(insert(f, [row(1, 2, 3000)])).toEqual([]); // file 1 is full: file 2 starts, file 1 still holds rows
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
  // Starting the next file closes it, and it is returned dead by the insert that did so.
  expect(insert(f, [row(1, 3, 5999)])).toEqual([2]);
});

test("the last rows of a file move inline chunk by chunk, readable throughout; then the file is dead", () => {
  const f = fixture(1 << 20);
  insert(f, Array.from({ length: 5 }, (_, i) => row(4, i, 1000 + i)));
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

test("a read racing a collection queries again and no longer sees the collected row", () => {
  const f = fixture();
  insert(f, [row(1, 0, 500), row(1, 1, 500)]);
  // The first read of file 1 happens after the writer deleted row 0 and removed the file.
  let raced = false;
  const racing = new (class extends PayloadFileReader {
    override read(id: number, position: number, length: number, streamId: number, seq: number): Uint8Array {
      if (!raced) {
        raced = true;
        f.db.query("DELETE FROM wal WHERE stream_id = 1 AND offset = 0").run();
        f.db.query("UPDATE wal SET payload = x'00', payload_file = NULL WHERE stream_id = 1 AND offset = 1").run();
        throw new PayloadGoneError("gone");
      }
      return super.read(id, position, length, streamId, seq);
    }
  })(f.dir);
  expect(readWalRows(f.db, racing, 1, 0, 10, 10).map((r) => r.offset)).toEqual([1]);
});

test("a batch that rolls back after writing payloads leaves neither rows nor the file it started", () => {
  const f = fixture();
  const commands: WriteCommand[] = [
    { op: "create", req: { name: "s", contentType: "application/octet-stream", recordsContentType: "application/octet-stream", ttlSeconds: null, expiresAtMs: null, close: false, records: { chunks: [], count: 0 }, fork: null } },
  ];
  expect(executeBatch(f.db, commands, 0, committedRowsFrom(f.db), f).ok).toBe(true);
  const append = (bytes: number): WriteCommand => ({
    op: "append",
    req: { name: "s", contentType: "application/octet-stream", records: { chunks: [payload(bytes, bytes)], count: 1 }, routingKey: null, close: false, producer: null, streamSeq: null, timestampMs: null, metaVersion: 0 },
  });
  // A trigger fails the batch at its end, after the payloads were written and synced.
  f.db.exec("CREATE TRIGGER fail_big AFTER INSERT ON wal WHEN NEW.payload_len = 7777 BEGIN SELECT RAISE(ABORT, 'refused'); END");
  const failed = executeBatch(f.db, [append(300), append(7777)], 0, committedRowsFrom(f.db), f);
  expect(failed.ok).toBe(false);
  expect(f.db.query("SELECT COUNT(*) AS n FROM wal").get()).toEqual({ n: 0 });
  expect(f.db.query("SELECT COUNT(*) AS n FROM payload_files").get()).toEqual({ n: 0 });
  expect(listPayloadFiles(f.dir)).toEqual([]);

  const ok = executeBatch(f.db, [append(300), append(400)], 0, committedRowsFrom(f.db), f);
  expect(ok.ok).toBe(true);
  expect(readWalRows(f.db, f.reader, 1, 0, 10, 10).map((r) => r.payload)).toEqual([payload(300, 300), payload(400, 400)]);
  accounting(f.db);
});

test("a collection that empties a closed file removes it once committed; the serving side forgets it", () => {
  const f = fixture(1000);
  const create: WriteCommand = { op: "create", req: { name: "s", contentType: "text/plain", recordsContentType: "text/plain", ttlSeconds: null, expiresAtMs: null, close: false, records: { chunks: [], count: 0 }, fork: null } };
  executeBatch(f.db, [create], 0, committedRowsFrom(f.db), f);
  const append = (seed: number): WriteCommand => ({
    op: "append",
    req: { name: "s", contentType: "text/plain", records: { chunks: [payload(seed, 900)], count: 1 }, routingKey: null, close: false, producer: null, streamSeq: null, timestampMs: null, metaVersion: 0 },
  });
  for (let i = 0; i < 3; i++) expect(executeBatch(f.db, [append(i)], 0, committedRowsFrom(f.db), f).ok).toBe(true);
  expect(listPayloadFiles(f.dir)).toEqual([1, 2, 3]);
  readWalRows(f.db, f.reader, 1, 0, 10, 10); // the reader now holds the files open
  f.db.query("UPDATE streams SET sealed_through = 1, uploaded_through = 1").run();
  const reply = executeBatch(f.db, [{ op: "collect-wal", req: { streamId: 1, chunk: { rows: 10, bytes: 1 << 20 } } }], 0, committedRowsFrom(f.db), f);
  expect(reply.ok && reply.deadPayloadFiles).toEqual([1, 2]);
  expect(listPayloadFiles(f.dir)).toEqual([3]);
  expect(readWalRows(f.db, f.reader, 1, 0, 10, 10).map((r) => r.payload)).toEqual([payload(2, 900)]);
  accounting(f.db);
});

test("start-up closes every file, removes dead and unknown files, and reports files that are missing", () => {
  const f = fixture(1000);
  insert(f, [row(1, 0, 900)]);
  insert(f, [row(1, 1, 900)]);
  insert(f, [row(1, 2, 900)]);
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
