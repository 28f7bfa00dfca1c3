// One group-commit transaction as the commands inside it see it: stream rows are loaded
// once, changed in memory as commands run (so requests to the same stream in one batch see
// each other), and written back once at the end, inside the same transaction.
import type { Database } from "bun:sqlite";
import { getProducerState, putProducerState, type ProducerState } from "../storage/sqlite/producers.ts";
import {
  deleteStreamRow,
  getStreamById,
  getStreamByName,
  insertStream,
  updateStream,
  type NewStreamRow,
  type StreamRow,
} from "../storage/sqlite/streams.ts";
import { insertWalRecord } from "../storage/sqlite/wal.ts";

export class WriteBatch {
  private readonly byName = new Map<string, StreamRow | null>();
  private readonly byId = new Map<number, StreamRow | null>();
  private readonly dirty = new Set<StreamRow>();
  private readonly producers = new Map<string, ProducerState | null>();
  private readonly effects: Array<() => void> = [];

  constructor(
    readonly db: Database,
    readonly nowMs: number,
  ) {}

  stream(name: string): StreamRow | null {
    let row = this.byName.get(name);
    if (row === undefined) {
      row = getStreamByName(this.db, name);
      this.remember(name, row);
    }
    return row;
  }

  streamById(id: number): StreamRow | null {
    let row = this.byId.get(id);
    if (row === undefined) {
      row = getStreamById(this.db, id);
      if (row) this.remember(row.stream, row);
      else this.byId.set(id, null);
    }
    return row;
  }

  private remember(name: string, row: StreamRow | null): void {
    this.byName.set(name, row);
    if (row) this.byId.set(row.id, row);
  }

  /** The row was changed in memory; it is written back before COMMIT. */
  touched(row: StreamRow): void {
    row.updated_at_ms = this.nowMs;
    this.dirty.add(row);
  }

  createStream(fields: NewStreamRow): StreamRow {
    const row = insertStream(this.db, fields);
    this.remember(row.stream, row);
    return row;
  }

  /** Removes the row itself (its records are purged separately by id). */
  removeStream(row: StreamRow): void {
    deleteStreamRow(this.db, row.id);
    this.dirty.delete(row);
    this.byName.set(row.stream, null);
    this.byId.set(row.id, null);
  }

  appendRecord(row: StreamRow, tsMs: number, payload: Uint8Array, routingKey: Uint8Array | null): void {
    insertWalRecord(this.db, row.id, row.next_offset, tsMs, payload, routingKey);
    const bytes = payload.byteLength;
    row.next_offset += 1;
    row.pending_rows += 1;
    row.pending_bytes += bytes;
    row.logical_size_bytes += bytes;
    row.wal_rows += 1;
    row.wal_bytes += bytes;
    this.touched(row);
  }

  producer(row: StreamRow, producerId: string): ProducerState | null {
    const key = `${row.id}\u0000${producerId}`;
    let state = this.producers.get(key);
    if (state === undefined) {
      state = getProducerState(this.db, row.id, producerId);
      this.producers.set(key, state);
    }
    return state;
  }

  setProducer(row: StreamRow, producerId: string, state: ProducerState): void {
    this.producers.set(`${row.id}\u0000${producerId}`, state);
    putProducerState(this.db, row.id, producerId, state, this.nowMs);
  }

  /** Runs `effect` after COMMIT succeeds (wake-ups, metrics); never when the batch fails. */
  afterCommit(effect: () => void): void {
    this.effects.push(effect);
  }

  /** Writes every changed row; called last inside the transaction. */
  flushRows(): void {
    for (const row of this.dirty) updateStream(this.db, row);
    this.dirty.clear();
  }

  runEffects(): void {
    for (const effect of this.effects) effect();
  }
}
