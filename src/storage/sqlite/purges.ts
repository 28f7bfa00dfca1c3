// The `stream_purges` table: durable to-do list of deleted stream incarnations whose records
// are still being removed in chunks (so a huge delete never stalls the writer).
import type { Database } from "bun:sqlite";

export function schedulePurge(db: Database, streamId: number, nowMs: number): void {
  db.query<never, [number, number]>(
    "INSERT OR IGNORE INTO stream_purges (stream_id, requested_at_ms) VALUES (?, ?)",
  ).run(streamId, nowMs);
}

export function nextPurge(db: Database): number | null {
  const row = db
    .query<{ stream_id: number }, []>("SELECT stream_id FROM stream_purges ORDER BY requested_at_ms LIMIT 1")
    .get();
  return row?.stream_id ?? null;
}

export function finishPurge(db: Database, streamId: number): void {
  db.query<never, [number]>("DELETE FROM stream_purges WHERE stream_id = ?").run(streamId);
}
