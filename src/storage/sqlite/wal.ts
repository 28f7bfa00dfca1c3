// The `wal` table: every acknowledged record of a stream until it is published (spec 02 §2.3).
import type { Database } from "bun:sqlite";

export interface WalRecord {
  offset: number;
  ts_ms: number;
  payload: Uint8Array;
}

export function insertWalRecord(
  db: Database,
  streamId: number,
  offset: number,
  tsMs: number,
  payload: Uint8Array,
  routingKey: Uint8Array | null,
): void {
  db.query<never, [number, number, number, Uint8Array, number, Uint8Array | null]>(
    "INSERT INTO wal (stream_id, offset, ts_ms, payload, payload_len, routing_key) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(streamId, offset, tsMs, payload, payload.byteLength, routingKey);
}

/** Up to `limit` records with offsets in [from, to], in order. */
export function readWalRange(db: Database, streamId: number, from: number, to: number, limit: number): WalRecord[] {
  return db
    .query<WalRecord, [number, number, number, number]>(
      "SELECT offset, ts_ms, payload FROM wal WHERE stream_id = ? AND offset >= ? AND offset <= ? ORDER BY offset LIMIT ?",
    )
    .all(streamId, from, to, limit);
}

/** Up to `limit` records with offsets in [from, to] whose routing key equals `key`. */
export function readWalRangeByKey(
  db: Database,
  streamId: number,
  from: number,
  to: number,
  key: Uint8Array,
  limit: number,
): WalRecord[] {
  return db
    .query<WalRecord, [number, number, number, Uint8Array, number]>(
      `SELECT offset, ts_ms, payload FROM wal WHERE stream_id = ? AND offset >= ? AND offset <= ?
       AND routing_key = ? ORDER BY offset LIMIT ?`,
    )
    .all(streamId, from, to, key, limit);
}

/** Append time and payload size of one record, or null when it is not in the WAL. */
export function getWalRecordMeta(db: Database, streamId: number, offset: number): { ts_ms: number; payload_len: number } | null {
  return db
    .query<{ ts_ms: number; payload_len: number }, [number, number]>(
      "SELECT ts_ms, payload_len FROM wal WHERE stream_id = ? AND offset = ?",
    )
    .get(streamId, offset);
}

export function getWalRecord(db: Database, streamId: number, offset: number): WalRecord | null {
  return db
    .query<WalRecord, [number, number]>("SELECT offset, ts_ms, payload FROM wal WHERE stream_id = ? AND offset = ?")
    .get(streamId, offset);
}

/** Number of records in [from, to] that share the append time `tsMs` (one append's rows). */
export function countWalRowsWithTs(db: Database, streamId: number, from: number, to: number, tsMs: number): number {
  const row = db
    .query<{ n: number }, [number, number, number, number]>(
      "SELECT COUNT(*) AS n FROM wal WHERE stream_id = ? AND offset >= ? AND offset <= ? AND ts_ms = ?",
    )
    .get(streamId, from, to, tsMs);
  return row?.n ?? 0;
}

/** Deletes up to `limit` records of a stream incarnation; returns how many went. */
export function deleteWalChunk(db: Database, streamId: number, limit: number): number {
  const result = db
    .query<never, [number, number]>(
      "DELETE FROM wal WHERE id IN (SELECT id FROM wal WHERE stream_id = ? LIMIT ?)",
    )
    .run(streamId, limit);
  return result.changes;
}
