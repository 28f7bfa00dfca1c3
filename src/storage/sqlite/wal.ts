// The `wal` table: every acknowledged record of a stream until it is published (spec 02
// §2.3). A row holds one append's records: one record, or on JSON streams all messages of
// the append as comma-separated values (`record_count` of them), so a JSON batch costs one
// row instead of one per message. `offset` is the seq of the row's first record.
// `payload` is the last column: reading the columns before it never walks a large
// payload's overflow pages.
//
// Large payloads are stored zstd-compressed when that saves at least an eighth. Every byte
// of the WAL table is written twice (WAL frame, then checkpoint) before the segmenter moves
// it out, so on JSON ingest the disk, not the CPU, was the limit: at ~37 MB/s of appends
// the disk was writing ~115 MB/s. Compressing on the writer (~25 µs per 10 KB at zstd
// level 1) cuts that by the payload's ratio (3-4x for typical JSON events). `payload_len`
// always holds the stored record bytes' logical length, so a row is compressed exactly
// when its blob is shorter than that; rows written before this rule are all uncompressed.
import type { Database } from "bun:sqlite";

export interface WalRow {
  offset: number;
  record_count: number;
  ts_ms: number;
  /** The records' bytes (decompressed). */
  payload: Uint8Array;
}

/** Payloads below this are stored as they are: too small for compression to pay. */
export const WAL_COMPRESS_MIN_BYTES = 4096;
const ZSTD_LEVEL = 1;

/** The blob to store for `payload`: compressed when large and that saves an eighth or more. */
export function storedPayload(payload: Uint8Array): Uint8Array {
  if (payload.byteLength < WAL_COMPRESS_MIN_BYTES) return payload;
  const compressed = Bun.zstdCompressSync(payload, { level: ZSTD_LEVEL });
  return compressed.byteLength <= payload.byteLength - (payload.byteLength >> 3) ? compressed : payload;
}

/** A row as selected: `payload_len` tells whether `payload` is compressed. */
type StoredRow<T extends { payload: Uint8Array }> = T & { payload_len: number };

/** Rows as callers see them: payloads decompressed where they were stored compressed. */
function decoded<T extends { payload: Uint8Array }>(rows: StoredRow<T>[]): T[] {
  for (const row of rows) decodePayload(row);
  return rows;
}

function decodePayload<T extends { payload: Uint8Array }>(row: StoredRow<T>): T {
  if (row.payload.byteLength < row.payload_len) row.payload = Bun.zstdDecompressSync(row.payload);
  return row;
}

/** One row to insert. */
export interface WalInsert {
  streamId: number;
  offset: number;
  recordCount: number;
  tsMs: number;
  payload: Uint8Array;
  routingKey: Uint8Array | null;
}

const COLUMNS = "stream_id, offset, record_count, ts_ms, payload_len, routing_key, payload";
const INSERT_PREFIX = `INSERT INTO wal (${COLUMNS}) VALUES `;
/** Statement sizes used for multi-row inserts: few distinct statements stay cached. */
const INSERT_CHUNKS = [64, 16, 4, 1] as const;
const insertSql = new Map(INSERT_CHUNKS.map((n) => [n, INSERT_PREFIX + Array(n).fill("(?, ?, ?, ?, ?, ?, ?)").join(", ")]));

/**
 * Inserts rows with multi-row statements: one statement step per up to 64 rows costs
 * about 40% less per row than one step per row.
 */
export function insertWalRows(db: Database, rows: readonly WalInsert[]): void {
  let at = 0;
  for (const chunk of INSERT_CHUNKS) {
    if (rows.length - at < chunk) continue;
    const statement = db.query<never, Array<number | Uint8Array | null>>(insertSql.get(chunk)!);
    const args = new Array<number | Uint8Array | null>(chunk * 7);
    while (rows.length - at >= chunk) {
      for (let i = 0; i < chunk; i++) {
        const r = rows[at + i]!;
        const b = i * 7;
        args[b] = r.streamId;
        args[b + 1] = r.offset;
        args[b + 2] = r.recordCount;
        args[b + 3] = r.tsMs;
        args[b + 4] = r.payload.byteLength;
        args[b + 5] = r.routingKey;
        args[b + 6] = storedPayload(r.payload);
      }
      statement.run(...args);
      at += chunk;
    }
  }
}

const SELECT = "SELECT offset, record_count, ts_ms, payload_len, payload FROM wal";

/** Start offset of the row holding `seq`, or null when no row starts at or before it. */
export function walRowStartAtOrBefore(db: Database, streamId: number, seq: number): number | null {
  const row = db
    .query<{ offset: number; end: number }, [number, number]>(
      "SELECT offset, offset + record_count - 1 AS end FROM wal WHERE stream_id = ? AND offset <= ? ORDER BY offset DESC LIMIT 1",
    )
    .get(streamId, seq);
  return row && row.end >= seq ? row.offset : null;
}

/** Up to `limit` rows whose first offset is in [from, to], in order. */
export function readWalRows(db: Database, streamId: number, from: number, to: number, limit: number): WalRow[] {
  return decoded(
    db
      .query<StoredRow<WalRow>, [number, number, number, number]>(`${SELECT} WHERE stream_id = ? AND offset >= ? AND offset <= ? ORDER BY offset LIMIT ?`)
      .all(streamId, from, to, limit),
  );
}

export interface WalRowWithKey extends WalRow {
  routing_key: Uint8Array | null;
}

/** Up to `limit` rows from offset `from` to `to`, with their routing keys (for sealing). */
export function readWalRowsWithKeys(db: Database, streamId: number, from: number, to: number, limit: number): WalRowWithKey[] {
  return decoded(
    db
      .query<StoredRow<WalRowWithKey>, [number, number, number, number]>(
        "SELECT offset, record_count, ts_ms, routing_key, payload_len, payload FROM wal WHERE stream_id = ? AND offset >= ? AND offset <= ? ORDER BY offset LIMIT ?",
      )
      .all(streamId, from, to, limit),
  );
}

/** Up to `limit` rows whose first offset is in [from, to] and whose routing key is `key`. */
export function readWalRowsByKey(db: Database, streamId: number, from: number, to: number, key: Uint8Array, limit: number): WalRow[] {
  return decoded(
    db
      .query<StoredRow<WalRow>, [number, number, number, Uint8Array, number]>(
        `${SELECT} WHERE stream_id = ? AND offset >= ? AND offset <= ? AND routing_key = ? ORDER BY offset LIMIT ?`,
      )
      .all(streamId, from, to, key, limit),
  );
}

/** The row holding `seq`, or null. */
export function getWalRowHolding(db: Database, streamId: number, seq: number): WalRow | null {
  const row = db
    .query<StoredRow<WalRow>, [number, number]>(`${SELECT} WHERE stream_id = ? AND offset <= ? ORDER BY offset DESC LIMIT 1`)
    .get(streamId, seq);
  return row && row.offset + row.record_count > seq ? decodePayload(row) : null;
}

/** Deletes up to `limit` rows of a stream incarnation; returns how many went. */
export function deleteWalChunk(db: Database, streamId: number, limit: number): number {
  const result = db
    .query<never, [number, number]>("DELETE FROM wal WHERE id IN (SELECT id FROM wal WHERE stream_id = ? LIMIT ?)")
    .run(streamId, limit);
  return result.changes;
}

/**
 * Deletes up to `limit` rows of a stream with offsets at or below `throughSeq` (covered by
 * the published manifest), oldest first; returns what went.
 */
export function deleteWalThrough(db: Database, streamId: number, throughSeq: number, limit: number): { rows: number; records: number; bytes: number } {
  const gone = db
    .query<{ record_count: number; payload_len: number }, [number, number, number]>(
      `DELETE FROM wal WHERE id IN (SELECT id FROM wal WHERE stream_id = ? AND offset <= ? ORDER BY offset LIMIT ?)
       RETURNING record_count, payload_len`,
    )
    .all(streamId, throughSeq, limit);
  let records = 0;
  let bytes = 0;
  for (const row of gone) {
    records += row.record_count;
    bytes += row.payload_len;
  }
  return { rows: gone.length, records, bytes };
}
