// The `producer_state` table: idempotent-producer progress per (stream, producer id).
import type { Database } from "bun:sqlite";

export interface ProducerState {
  epoch: number;
  lastSeq: number;
}

export function getProducerState(db: Database, streamId: number, producerId: string): ProducerState | null {
  const row = db
    .query<{ epoch: number; last_seq: number }, [number, string]>(
      "SELECT epoch, last_seq FROM producer_state WHERE stream_id = ? AND producer_id = ?",
    )
    .get(streamId, producerId);
  return row ? { epoch: row.epoch, lastSeq: row.last_seq } : null;
}

export function putProducerState(db: Database, streamId: number, producerId: string, state: ProducerState, nowMs: number): void {
  db.query<never, [number, string, number, number, number]>(
    `INSERT INTO producer_state (stream_id, producer_id, epoch, last_seq, updated_at_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (stream_id, producer_id) DO UPDATE SET epoch = excluded.epoch, last_seq = excluded.last_seq,
     updated_at_ms = excluded.updated_at_ms`,
  ).run(streamId, producerId, state.epoch, state.lastSeq, nowMs);
}

export function deleteProducerStates(db: Database, streamId: number): void {
  db.query<never, [number]>("DELETE FROM producer_state WHERE stream_id = ?").run(streamId);
}
