// Goal: bulk deletions of WAL rows (collecting published history, purging a deleted stream)
// go in chunks bounded by rows and by payload bytes, so one never holds the writer for long;
// chunk after chunk they remove exactly the rows asked for, oldest first, and nothing else.
// Method: the pure chunk rule, then `deleteWalThrough` on an in-memory database.
import { expect, test } from "bun:test";
import type { Database } from "bun:sqlite";
import { openDatabase } from "../../src/storage/sqlite/open.ts";
import { deleteWalThrough, insertWalRows, rowsInChunk, type DeletedRows, type DeleteChunk } from "../../src/storage/sqlite/wal.ts";

test("a chunk takes rows until either bound is reached, and always at least one", () => {
  expect(rowsInChunk([10, 10, 10, 10], { rows: 3, bytes: 1000 })).toBe(3);
  expect(rowsInChunk([10, 10, 10, 10], { rows: 10, bytes: 1000 })).toBe(4);
  // The row that reaches the byte bound is taken, the next one is not.
  expect(rowsInChunk([10, 10, 10, 10], { rows: 10, bytes: 20 })).toBe(2);
  expect(rowsInChunk([10, 10, 10, 10], { rows: 10, bytes: 21 })).toBe(3);
  expect(rowsInChunk([5000, 10], { rows: 10, bytes: 100 })).toBe(1);
  expect(rowsInChunk([10, 10], { rows: 0, bytes: 0 })).toBe(1);
  expect(rowsInChunk([], { rows: 10, bytes: 100 })).toBe(0);
});

function walWith(rows: Array<{ streamId: number; offset: number; count: number; bytes: number }>): Database {
  const db = openDatabase(":memory:");
  insertWalRows(
    db,
    rows.map((r) => ({ streamId: r.streamId, offset: r.offset, recordCount: r.count, tsMs: 0, payload: new Uint8Array(r.bytes).fill(0x61), routingKey: null })),
  );
  return db;
}

const offsetsOf = (db: Database, streamId: number): number[] =>
  db.query<{ offset: number }, [number]>("SELECT offset FROM wal WHERE stream_id = ? ORDER BY offset").all(streamId).map((r) => r.offset);

function deleteAll(db: Database, streamId: number, throughSeq: number, chunk: DeleteChunk): DeletedRows[] {
  const chunks: DeletedRows[] = [];
  for (let i = 0; i < 1000; i++) {
    const gone = deleteWalThrough(db, streamId, throughSeq, chunk);
    chunks.push(gone);
    if (!gone.more) return chunks;
  }
  throw new Error("deletion never finished");
}

test("published history goes chunk by chunk, oldest first, and stops at the published bound", () => {
  // Stream 1: rows of 10 records, 1000 bytes each, offsets 0, 10, ..., 190. Stream 2 alongside.
  const rows = Array.from({ length: 20 }, (_, i) => ({ streamId: 1, offset: i * 10, count: 10, bytes: 1000 }));
  const db = walWith([...rows, { streamId: 2, offset: 0, count: 1, bytes: 5 }]);
  // Through seq 149: the first 15 rows. Bytes bound 2500: three rows per chunk.
  const chunks = deleteAll(db, 1, 149, { rows: 100, bytes: 2500 });
  expect(chunks.map((c) => c.rows)).toEqual([3, 3, 3, 3, 3]);
  expect(chunks.map((c) => c.more)).toEqual([true, true, true, true, false]);
  expect(chunks.every((c) => c.records === 30 && c.bytes === 3000)).toBe(true);
  expect(offsetsOf(db, 1)).toEqual([150, 160, 170, 180, 190]);
  expect(offsetsOf(db, 2)).toEqual([0]);
  // Nothing left under the bound: nothing deleted, nothing more.
  expect(deleteWalThrough(db, 1, 149, { rows: 100, bytes: 2500 })).toEqual({ rows: 0, records: 0, bytes: 0, more: false, deadPayloadFiles: [] });
});

test("the row bound holds for small rows, and a chunk ending exactly at the last row says so", () => {
  const db = walWith(Array.from({ length: 12 }, (_, i) => ({ streamId: 7, offset: i, count: 1, bytes: 100 })));
  const chunks = deleteAll(db, 7, Number.MAX_SAFE_INTEGER, { rows: 4, bytes: 1 << 20 });
  expect(chunks.map((c) => [c.rows, c.more])).toEqual([
    [4, true],
    [4, true],
    [4, false],
  ]);
  expect(offsetsOf(db, 7)).toEqual([]);
});

test("a row larger than the byte bound goes alone", () => {
  const db = walWith([
    { streamId: 1, offset: 0, count: 1, bytes: 50_000 },
    { streamId: 1, offset: 1, count: 1, bytes: 10 },
    { streamId: 1, offset: 2, count: 1, bytes: 10 },
  ]);
  const chunks = deleteAll(db, 1, 2, { rows: 100, bytes: 1000 });
  expect(chunks.map((c) => [c.rows, c.bytes])).toEqual([
    [1, 50_000],
    [2, 20],
  ]);
});
