// The `wal` table: every acknowledged record of a stream until it is published (spec 02
// §2.3). A row holds one append's records: one record, or on JSON streams all messages of
// the append as comma-separated values (`record_count` of them), so a JSON batch costs one
// row instead of one per message. `offset` is the seq of the row's first record. The
// columns read most (offsets, counts, times, lengths) come before `payload`: reading them
// never walks a large payload's overflow pages.
//
// A large payload lives in a payload file instead
// (storage/payload-files.ts): the row's `payload` is empty and `payload_file`,
// `payload_position` say where its record is. Reads here return every row with its bytes,
// wherever they are.
import type { Database } from "bun:sqlite";
import { PAYLOAD_HEADER_BYTES, PayloadGoneError, type PayloadFileReader, type PayloadRef } from "../payload-files.ts";
import { addPayloadRecords, releasePayloadRecords, type PayloadRelease } from "./payload-files.ts";

export interface WalRow {
  offset: number;
  record_count: number;
  ts_ms: number;
  payload: Uint8Array;
}

/** One row to insert. */
export interface WalInsert {
  streamId: number;
  offset: number;
  recordCount: number;
  tsMs: number;
  payload: Uint8Array;
  routingKey: Uint8Array | null;
  /** Where the payload was written in a payload file (then `payload` only gives its length). */
  ref?: PayloadRef;
  /** Where the row's JSON values lie (`encodeValueBounds`), if known. */
  valueBounds?: Uint8Array | null;
}

const COLUMNS = "stream_id, offset, record_count, ts_ms, payload_len, routing_key, payload, payload_file, payload_position, value_bounds";
const COLUMN_COUNT = 10;
const INSERT_PREFIX = `INSERT INTO wal (${COLUMNS}) VALUES `;
/** Statement sizes used for multi-row inserts: few distinct statements stay cached. */
const INSERT_CHUNKS = [64, 16, 4, 1] as const;
const insertSql = new Map(INSERT_CHUNKS.map((n) => [n, INSERT_PREFIX + Array(n).fill(`(${Array(COLUMN_COUNT).fill("?").join(", ")})`).join(", ")]));
const EMPTY = new Uint8Array(0);

/**
 * Inserts rows with multi-row statements (one statement step per up to 64 rows costs about
 * 40% less per row than one step per row). A row with a `ref` points to its payload in a
 * payload file (already durable: see PayloadAppender) and stores no bytes; the file's
 * counters take it. Returns the payload files that became dead (closed with no rows left).
 */
export function insertWalRows(db: Database, rows: readonly WalInsert[], nowMs = Date.now()): number[] {
  let at = 0;
  for (const chunk of INSERT_CHUNKS) {
    if (rows.length - at < chunk) continue;
    const statement = db.query<never, Array<number | Uint8Array | null>>(insertSql.get(chunk)!);
    const args = new Array<number | Uint8Array | null>(chunk * COLUMN_COUNT);
    while (rows.length - at >= chunk) {
      for (let i = 0; i < chunk; i++) {
        const r = rows[at + i]!;
        const b = i * COLUMN_COUNT;
        args[b] = r.streamId;
        args[b + 1] = r.offset;
        args[b + 2] = r.recordCount;
        args[b + 3] = r.tsMs;
        args[b + 4] = r.payload.byteLength;
        args[b + 5] = r.routingKey;
        args[b + 6] = r.ref ? EMPTY : r.payload;
        args[b + 7] = r.ref?.file ?? null;
        args[b + 8] = r.ref?.position ?? null;
        args[b + 9] = r.valueBounds ?? null;
      }
      statement.run(...args);
      at += chunk;
    }
  }
  return countPayloadRecords(db, rows, nowMs);
}

function countPayloadRecords(db: Database, rows: readonly WalInsert[], nowMs: number): number[] {
  const added = new Map<number, PayloadRelease>();
  const ends = new Map<number, number>();
  for (const r of rows) {
    if (!r.ref) continue;
    tallyRow(added, r.ref.file, r.payload.byteLength);
    ends.set(r.ref.file, Math.max(ends.get(r.ref.file) ?? 0, r.ref.position + PAYLOAD_HEADER_BYTES + r.payload.byteLength));
  }
  const dead: number[] = [];
  // Ascending, so each file's row exists before a later one closes it.
  for (const [file, entry] of [...added].sort((a, b) => a[0] - b[0])) dead.push(...addPayloadRecords(db, file, entry.rows, entry.bytes, ends.get(file)!, nowMs));
  return dead;
}

/** A row as stored: its bytes inline, or where they are in a payload file. */
interface StoredRow {
  offset: number;
  payload: Uint8Array;
  payload_len: number;
  payload_file: number | null;
  payload_position: number | null;
}

/** A query can only race a collection so often: one retry sees the row gone. */
const PAYLOAD_READ_ATTEMPTS = 3;

/**
 * Runs `query` and fills in the payloads kept in files. A file can be removed between the
 * query and the read (the writer thread collected the row meanwhile): the query then runs
 * again, and no longer sees the row.
 */
function withPayloads<T extends StoredRow>(payloads: PayloadFileReader, query: () => T[]): T[] {
  for (let attempt = 1; ; attempt++) {
    const rows = query();
    try {
      for (const row of rows) {
        if (row.payload_file !== null) row.payload = payloads.read(row.payload_file, row.payload_position!, row.payload_len);
      }
      return rows;
    } catch (error) {
      if (!(error instanceof PayloadGoneError) || attempt >= PAYLOAD_READ_ATTEMPTS) throw error;
    }
  }
}

const STORED = "payload, payload_len, payload_file, payload_position";
const SELECT = `SELECT offset, record_count, ts_ms, ${STORED} FROM wal`;

/** Start offset of the row holding `seq`, or null when no row starts at or before it. */
export function walRowStartAtOrBefore(db: Database, streamId: number, seq: number): number | null {
  const row = db
    .query<{ offset: number; end: number }, [number, number]>(
      "SELECT offset, offset + record_count - 1 AS end FROM wal WHERE stream_id = ? AND offset <= ? ORDER BY offset DESC LIMIT 1",
    )
    .get(streamId, seq);
  return row && row.end >= seq ? row.offset : null;
}

type StoredWalRow = WalRow & StoredRow;

/** Up to `limit` rows whose first offset is in [from, to], in order. */
export function readWalRows(db: Database, payloads: PayloadFileReader, streamId: number, from: number, to: number, limit: number): WalRow[] {
  return withPayloads(payloads, () =>
    db
      .query<StoredWalRow, [number, number, number, number]>(`${SELECT} WHERE stream_id = ? AND offset >= ? AND offset <= ? ORDER BY offset LIMIT ?`)
      .all(streamId, from, to, limit),
  );
}

export interface WalRowWithKey extends WalRow {
  routing_key: Uint8Array | null;
  /** Where the row's JSON values lie, if it was stored with them (`decodeValueBounds`). */
  value_bounds: Uint8Array | null;
}

/** Up to `limit` rows from offset `from` to `to`, with their routing keys (for sealing). */
export function readWalRowsWithKeys(db: Database, payloads: PayloadFileReader, streamId: number, from: number, to: number, limit: number): WalRowWithKey[] {
  return withPayloads(payloads, () =>
    db
      .query<WalRowWithKey & StoredRow, [number, number, number, number]>(
        `SELECT offset, record_count, ts_ms, routing_key, value_bounds, ${STORED} FROM wal WHERE stream_id = ? AND offset >= ? AND offset <= ? ORDER BY offset LIMIT ?`,
      )
      .all(streamId, from, to, limit),
  );
}

/** Up to `limit` rows whose first offset is in [from, to] and whose routing key is `key`. */
export function readWalRowsByKey(
  db: Database,
  payloads: PayloadFileReader,
  streamId: number,
  from: number,
  to: number,
  key: Uint8Array,
  limit: number,
): WalRow[] {
  return withPayloads(payloads, () =>
    db
      .query<StoredWalRow, [number, number, number, Uint8Array, number]>(
        `${SELECT} WHERE stream_id = ? AND offset >= ? AND offset <= ? AND routing_key = ? ORDER BY offset LIMIT ?`,
      )
      .all(streamId, from, to, key, limit),
  );
}

/** The row holding `seq`, or null. */
export function getWalRowHolding(db: Database, payloads: PayloadFileReader, streamId: number, seq: number): WalRow | null {
  const rows = withPayloads(payloads, () => {
    const row = db
      .query<StoredWalRow, [number, number]>(`${SELECT} WHERE stream_id = ? AND offset <= ? ORDER BY offset DESC LIMIT 1`)
      .get(streamId, seq);
    return row && row.offset + row.record_count > seq ? [row] : [];
  });
  return rows[0] ?? null;
}

/**
 * How much one transaction may delete. Deleting holds the writer, so every append queued
 * meanwhile waits for it: about 4 µs per row plus 2 ms per MiB of payload here (100,000
 * rows of 100 bytes took ~400 ms, 1,600 rows of 10 KB ~20 ms), hence both bounds.
 */
export interface DeleteChunk {
  rows: number;
  /** Payload bytes; the row that reaches the bound is still taken, so one row always goes. */
  bytes: number;
}

/** How many of the leading rows (their payload lengths, oldest first) one chunk takes. */
export function rowsInChunk(payloadLengths: readonly number[], chunk: DeleteChunk): number {
  const limit = Math.min(payloadLengths.length, Math.max(1, chunk.rows));
  let bytes = 0;
  for (let i = 0; i < limit; i++) {
    bytes += payloadLengths[i]!;
    if (bytes >= chunk.bytes) return i + 1;
  }
  return limit;
}

export interface DeletedRows {
  rows: number;
  records: number;
  bytes: number;
  /** Rows in the range are left for another chunk. */
  more: boolean;
  /** Payload files no row points into any more: to remove once this transaction commits. */
  deadPayloadFiles: number[];
}

const NOTHING_DELETED: DeletedRows = { rows: 0, records: 0, bytes: 0, more: false, deadPayloadFiles: [] };

/**
 * Deletes one chunk of a stream's rows with offsets at or below `throughSeq` (covered by
 * the published manifest, or every row of a purged incarnation), oldest first.
 */
export function deleteWalThrough(db: Database, streamId: number, throughSeq: number, chunk: DeleteChunk): DeletedRows {
  // `payload_len` precedes the payload: listing the candidates never reads their bytes.
  const candidates = db
    .query<{ offset: number; payload_len: number }, [number, number, number]>(
      "SELECT offset, payload_len FROM wal WHERE stream_id = ? AND offset <= ? ORDER BY offset LIMIT ?",
    )
    .all(streamId, throughSeq, Math.max(1, chunk.rows) + 1);
  if (candidates.length === 0) return NOTHING_DELETED;
  const taken = rowsInChunk(candidates.map((c) => c.payload_len), chunk);
  const gone = db
    .query<{ record_count: number; payload_len: number; payload_file: number | null }, [number, number]>(
      "DELETE FROM wal WHERE stream_id = ? AND offset <= ? RETURNING record_count, payload_len, payload_file",
    )
    .all(streamId, candidates[taken - 1]!.offset);
  let records = 0;
  let bytes = 0;
  const released = new Map<number, PayloadRelease>();
  for (const row of gone) {
    records += row.record_count;
    bytes += row.payload_len;
    if (row.payload_file !== null) tallyRow(released, row.payload_file, row.payload_len);
  }
  return { rows: gone.length, records, bytes, more: taken < candidates.length, deadPayloadFiles: releasePayloadRecords(db, released) };
}

/** Counts one row of `bytes` against its payload file. */
function tallyRow(tally: Map<number, PayloadRelease>, file: number, bytes: number): void {
  const entry = tally.get(file);
  if (entry) {
    entry.rows += 1;
    entry.bytes += bytes;
  } else {
    tally.set(file, { rows: 1, bytes });
  }
}

export interface InlinedRows {
  rows: number;
  /** Rows of the file are left for another chunk. */
  more: boolean;
  deadPayloadFiles: number[];
}

/**
 * Moves up to one chunk of the rows whose payloads are in file `file` back inline (their
 * bytes into `payload`): what is left of a file whose other rows were collected long ago,
 * kept by streams that stay in the WAL. The file is dead once its last row has moved.
 */
export function inlinePayloadsOf(db: Database, payloads: PayloadFileReader, file: number, chunk: DeleteChunk): InlinedRows {
  const limit = Math.max(1, chunk.rows);
  const candidates = db
    .query<{ id: number; payload_len: number; payload_position: number }, [number, number]>(
      "SELECT id, payload_len, payload_position FROM wal WHERE payload_file = ? ORDER BY id LIMIT ?",
    )
    .all(file, limit + 1);
  const taken = rowsInChunk(candidates.map((c) => c.payload_len), chunk);
  const update = db.query<never, [Uint8Array, number]>("UPDATE wal SET payload = ?, payload_file = NULL, payload_position = NULL WHERE id = ?");
  let bytes = 0;
  for (const row of candidates.slice(0, taken)) {
    update.run(payloads.read(file, row.payload_position, row.payload_len), row.id);
    bytes += row.payload_len;
  }
  const dead = releasePayloadRecords(db, new Map([[file, { rows: taken, bytes }]]));
  return { rows: taken, more: taken < candidates.length, deadPayloadFiles: dead };
}
