// The `payload_files` table: which payload files exist and how many WAL rows point into each
// (storage/payload-files.ts holds the files themselves). Counters change in the same
// transaction as the rows they count, so a file is known empty exactly when its last row's
// deletion commits; the file is removed after that commit (or at the next start-up).
import type { Database } from "bun:sqlite";
import { listPayloadFiles, removePayloadFiles, trimSpares } from "../payload-files.ts";

/** Rows and payload bytes released from one file. */
export interface PayloadRelease {
  rows: number;
  bytes: number;
}

/** Ids of closed files no row points into any more; their rows are deleted here. */
function takeDeadFiles(db: Database): number[] {
  return db
    .query<{ id: number }, []>("DELETE FROM payload_files WHERE closed = 1 AND live_rows <= 0 RETURNING id")
    .all()
    .map((row) => row.id);
}

/**
 * `rows` rows of `bytes` now point into file `id`, grown to `sizeBytes`. The file's row is
 * created with its first records; every older file still open is closed (the appender has
 * moved on), and those of them no row points into are returned dead.
 */
export function addPayloadRecords(db: Database, id: number, rows: number, bytes: number, sizeBytes: number, nowMs: number): number[] {
  db.query<never, [number, number]>("INSERT OR IGNORE INTO payload_files (id, created_at_ms) VALUES (?, ?)").run(id, nowMs);
  db.query<never, [number, number, number, number]>(
    "UPDATE payload_files SET live_rows = live_rows + ?, live_bytes = live_bytes + ?, size_bytes = MAX(size_bytes, ?) WHERE id = ?",
  ).run(rows, bytes, sizeBytes, id);
  db.query<never, [number]>("UPDATE payload_files SET closed = 1 WHERE closed = 0 AND id < ?").run(id);
  return takeDeadFiles(db);
}

/** The first id the appender may hand out: above every id SQLite has seen (AUTOINCREMENT keeps the highest). */
export function nextPayloadFileId(db: Database): number {
  const row = db
    .query<{ highest: number | null }, []>(
      "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'payload_files'), 0), COALESCE((SELECT MAX(id) FROM payload_files), 0)) AS highest",
    )
    .get()!;
  return (row.highest ?? 0) + 1;
}

/** Rows that pointed into these files were deleted or moved inline; returns the files now dead. */
export function releasePayloadRecords(db: Database, released: ReadonlyMap<number, PayloadRelease>): number[] {
  if (released.size === 0) return [];
  const update = db.query<never, [number, number, number]>(
    "UPDATE payload_files SET live_rows = live_rows - ?, live_bytes = live_bytes - ? WHERE id = ?",
  );
  for (const [id, release] of released) update.run(release.rows, release.bytes, id);
  return takeDeadFiles(db);
}

/** Start-up: no file takes more records (the appender starts a new one); returns the dead ones. */
export function closeAllPayloadFiles(db: Database): number[] {
  db.query<never, []>("UPDATE payload_files SET closed = 1 WHERE closed = 0").run();
  return takeDeadFiles(db);
}

export function payloadFileIds(db: Database): Set<number> {
  return new Set(db.query<{ id: number }, []>("SELECT id FROM payload_files").all().map((row) => row.id));
}

/**
 * The oldest closed file created before `createdBeforeMs` whose live bytes are under
 * `liveShare` of its size: its few remaining rows are worth moving inline so the file can go.
 */
export function payloadFileToCompact(db: Database, createdBeforeMs: number, liveShare: number): number | null {
  return (
    db
      .query<{ id: number }, [number, number]>(
        "SELECT id FROM payload_files WHERE closed = 1 AND live_rows > 0 AND created_at_ms < ? AND live_bytes < size_bytes * ? ORDER BY id LIMIT 1",
      )
      .get(createdBeforeMs, liveShare)?.id ?? null
  );
}

export interface PayloadFileTotals {
  files: number;
  sizeBytes: number;
  liveBytes: number;
}

export function payloadFileTotals(db: Database): PayloadFileTotals {
  const row = db
    .query<{ files: number; size: number | null; live: number | null }, []>(
      "SELECT COUNT(*) AS files, SUM(size_bytes) AS size, SUM(live_bytes) AS live FROM payload_files",
    )
    .get()!;
  return { files: row.files, sizeBytes: row.size ?? 0, liveBytes: row.live ?? 0 };
}

export interface PayloadReconciliation {
  /** Files removed: dead when the server stopped, or never committed. */
  removed: number[];
  /** Files the table lists that are not on disk (their rows cannot be read). */
  missing: number[];
}

/**
 * Start-up, before any writer runs: every file is closed (the appender starts a new one),
 * files no row points into are removed, and so are files on disk the table does not list:
 * left by a crash after the COMMIT that emptied them, or before the COMMIT of the batch
 * that created them. At most `keepSpares` spares stay.
 */
export function reconcilePayloadFiles(db: Database, dir: string, keepSpares: number): PayloadReconciliation {
  closeAllPayloadFiles(db);
  trimSpares(dir, keepSpares);
  const known = payloadFileIds(db);
  const onDisk = listPayloadFiles(dir);
  const removed = onDisk.filter((id) => !known.has(id));
  removePayloadFiles(dir, removed);
  const present = new Set(onDisk);
  return { removed, missing: [...known].filter((id) => !present.has(id)) };
}
