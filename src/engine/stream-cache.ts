// The serving side's view of stream rows: a bounded cache in front of SQLite.
//
// Every change to a row is made by the writer, which reports the row's committed state
// with its reply; the queue applies that report before answering any request of the
// batch. So a cached row is never older than what any client has been told. A miss reads
// SQLite, which is never older than the last applied report.
import type { Database } from "bun:sqlite";
import { getStreamById, getStreamByName, type StreamRow } from "../storage/sqlite/streams.ts";
import type { BatchEffects } from "./write-batch.ts";

export class StreamCache {
  private readonly byName = new Map<string, StreamRow>();
  private readonly byId = new Map<number, StreamRow>();

  constructor(
    private readonly db: Database,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.byName.size;
  }

  byStreamName(name: string): StreamRow | null {
    const cached = this.byName.get(name);
    if (cached) return cached;
    const row = getStreamByName(this.db, name);
    if (row) this.put(row);
    return row;
  }

  byStreamId(id: number): StreamRow | null {
    const cached = this.byId.get(id);
    if (cached) return cached;
    const row = getStreamById(this.db, id);
    if (row) this.put(row);
    return row;
  }

  apply(effects: BatchEffects): void {
    for (const removed of effects.removed) this.drop(removed.id, removed.name);
    for (const row of effects.rows) this.put(row);
  }

  private put(row: StreamRow): void {
    const previous = this.byName.get(row.stream);
    if (previous && previous.id !== row.id) this.byId.delete(previous.id);
    this.byName.delete(row.stream);
    this.byName.set(row.stream, row);
    this.byId.set(row.id, row);
    while (this.byName.size > this.maxEntries) {
      const oldest = this.byName.values().next().value as StreamRow;
      this.drop(oldest.id, oldest.stream);
    }
  }

  private drop(id: number, name: string): void {
    const byName = this.byName.get(name);
    if (byName && byName.id === id) this.byName.delete(name);
    this.byId.delete(id);
  }
}
