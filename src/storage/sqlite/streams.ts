// Rows of the `streams` table: one per stream incarnation (spec 02 §2.3).
import type { Database } from "bun:sqlite";

/** bit0: deleted by the user or by expiry (a tombstone, or soft-deleted while forks hold it). */
export const FLAG_DELETED = 1;
/** bit1: internal WAL-only stream (hidden from listing, never segmented). */
export const FLAG_TOUCH = 2;

export interface StreamRow {
  id: number;
  stream: string;
  created_at_ms: number;
  updated_at_ms: number;
  content_type: string;
  profile: string | null;
  stream_seq: string | null;
  closed: number;
  closed_producer_id: string | null;
  closed_producer_epoch: number | null;
  closed_producer_seq: number | null;
  ttl_seconds: number | null;
  expires_at_ms: number | null;
  epoch: number;
  next_offset: number;
  sealed_through: number;
  uploaded_through: number;
  uploaded_segment_count: number;
  pending_rows: number;
  pending_bytes: number;
  logical_size_bytes: number;
  wal_rows: number;
  wal_bytes: number;
  last_append_ms: number;
  last_segment_cut_ms: number;
  segment_in_progress: number;
  stream_flags: number;
  fork_source_id: number | null;
  fork_base_offset: number;
  fork_offset: number | null;
  fork_sub_offset: number;
  fork_refcount: number;
  /** Bumped by every profile or schema change (migration 3). */
  meta_version: number;
}

export type NewStreamRow = Omit<StreamRow, "id">;

const COLUMNS: readonly (keyof NewStreamRow)[] = [
  "stream", "created_at_ms", "updated_at_ms", "content_type", "profile", "stream_seq", "closed",
  "closed_producer_id", "closed_producer_epoch", "closed_producer_seq", "ttl_seconds",
  "expires_at_ms", "epoch", "next_offset", "sealed_through", "uploaded_through",
  "uploaded_segment_count", "pending_rows", "pending_bytes", "logical_size_bytes", "wal_rows",
  "wal_bytes", "last_append_ms", "last_segment_cut_ms", "segment_in_progress", "stream_flags",
  "fork_source_id", "fork_base_offset", "fork_offset", "fork_sub_offset", "fork_refcount",
  "meta_version",
];

const INSERT_SQL = `INSERT INTO streams (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`;
const UPDATE_SQL = `UPDATE streams SET ${COLUMNS.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`;

type Binding = string | number | null;

function values(row: NewStreamRow): Binding[] {
  return COLUMNS.map((c) => row[c] as Binding);
}

export function getStreamByName(db: Database, name: string): StreamRow | null {
  return db.query<StreamRow, [string]>("SELECT * FROM streams WHERE stream = ?").get(name);
}

export function getStreamById(db: Database, id: number): StreamRow | null {
  return db.query<StreamRow, [number]>("SELECT * FROM streams WHERE id = ?").get(id);
}

/** The stream's `uploaded_through` as committed now, or null when the row is gone. */
export function getUploadedThrough(db: Database, id: number): number | null {
  return db.query<{ uploaded_through: number }, [number]>("SELECT uploaded_through FROM streams WHERE id = ?").get(id)?.uploaded_through ?? null;
}

export function insertStream(db: Database, row: NewStreamRow): StreamRow {
  const result = db.query<never, Binding[]>(INSERT_SQL).run(...values(row));
  return { ...row, id: Number(result.lastInsertRowid) };
}

export function updateStream(db: Database, row: StreamRow): void {
  db.query<never, Binding[]>(UPDATE_SQL).run(...values(row), row.id);
}

/**
 * Writes only the columns that differ from `before` (the row as loaded). An append changes
 * a handful of counters; rewriting every column would also rewrite index entries.
 */
export function updateStreamChanges(db: Database, row: StreamRow, before: StreamRow): void {
  const changed: (keyof NewStreamRow)[] = [];
  for (const column of COLUMNS) if (row[column] !== before[column]) changed.push(column);
  if (changed.length === 0) return;
  const sql = `UPDATE streams SET ${changed.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`;
  db.query<never, Binding[]>(sql).run(...changed.map((c) => row[c] as Binding), row.id);
}

export function deleteStreamRow(db: Database, id: number): void {
  db.query<never, [number]>("DELETE FROM streams WHERE id = ?").run(id);
}

/** Not-deleted, non-internal streams with names after `afterName`, in name order. */
export function listStreamRowsAfter(db: Database, afterName: string, limit: number): StreamRow[] {
  return db
    .query<StreamRow, [string, number]>(
      `SELECT * FROM streams WHERE stream > ? AND (stream_flags & ${FLAG_DELETED | FLAG_TOUCH}) = 0
       ORDER BY stream LIMIT ?`,
    )
    .all(afterName, limit);
}

const LIST_READ_ROWS = 256;

/**
 * Page `offset / limit` of the listed streams (`listStreamRowsAfter`) that `keep` accepts,
 * in name order; read `LIST_READ_ROWS` at a time, so skipped rows are never all held at once.
 */
export function listStreamRowsPage(db: Database, limit: number, offset: number, keep: (row: StreamRow) => boolean): StreamRow[] {
  const out: StreamRow[] = [];
  let skipped = 0;
  let after = "";
  while (out.length < limit) {
    const rows = listStreamRowsAfter(db, after, LIST_READ_ROWS);
    for (const row of rows) {
      if (!keep(row)) continue;
      if (skipped < offset) skipped += 1;
      else if (out.length < limit) out.push(row);
    }
    if (rows.length < LIST_READ_ROWS) break;
    after = rows[rows.length - 1]!.stream;
  }
  return out;
}

/** The live streams holding the most WAL bytes on this node (for `/v1/server/_details`). */
export function topStreamsByWalBytes(db: Database, limit: number): Array<{ stream: string; wal_bytes: number; pending_bytes: number }> {
  return db
    .query<{ stream: string; wal_bytes: number; pending_bytes: number }, [number]>(
      `SELECT stream, wal_bytes, pending_bytes FROM streams WHERE (stream_flags & ${FLAG_DELETED}) = 0 ORDER BY wal_bytes DESC LIMIT ?`,
    )
    .all(limit);
}

/** Streams whose stored expiry has passed, oldest first (the sweeper re-checks each). */
export function listExpiryCandidates(db: Database, nowMs: number, limit: number): StreamRow[] {
  return db
    .query<StreamRow, [number, number]>(
      `SELECT * FROM streams WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= ?
       AND (stream_flags & ${FLAG_DELETED}) = 0 ORDER BY expires_at_ms LIMIT ?`,
    )
    .all(nowMs, limit);
}
