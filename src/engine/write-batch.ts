// One group-commit transaction as the commands inside it see it: stream rows are loaded
// once, changed in memory as commands run (so requests to the same stream in one batch see
// each other), and written back once at the end, inside the same transaction. The batch
// also records what the reader side must learn after COMMIT: the rows' new state, removed
// rows, the streams whose readers to wake, and whether purge work was queued.
import type { Database } from "bun:sqlite";
import { getProducerState, putProducerState, type ProducerState } from "../storage/sqlite/producers.ts";
import {
  deleteStreamRow,
  getStreamById,
  getStreamByName,
  insertStream,
  updateStreamChanges,
  type NewStreamRow,
  type StreamRow,
} from "../storage/sqlite/streams.ts";
import { inheritManifest, requestRepublish } from "../storage/sqlite/segments.ts";
import { insertWalRows, type WalInsert } from "../storage/sqlite/wal.ts";
import type { PayloadFileReader } from "../storage/payload-files.ts";
import { joinJsonValues } from "./json-split.ts";
import type { RecordBatch } from "./records.ts";

export interface BatchEffects {
  /** Post-commit state of every row the batch changed. */
  rows: StreamRow[];
  /** Rows deleted outright (their names are free). */
  removed: Array<{ id: number; name: string }>;
  /** Streams whose live readers should re-check. */
  notify: number[];
  /** Purge work was queued: the purger should run. */
  purgeScheduled: boolean;
  /** Incarnations fully purged: their local files can go. */
  purged: number[];
  /** Streams this batch made owe the bucket a manifest (a deletion): publish soon. */
  publishes: number[];
  /** Payload files no row points into any more: removed after COMMIT (readers close them). */
  deadPayloadFiles: number[];
}

/** A writer's access to payload files (records are written to them before the batch runs). */
export interface WriterPayloads {
  /** Reads payloads back (moving a file's last rows inline). */
  reader: PayloadFileReader;
  /** Emptied files kept to be written over (storage/payload-files.ts). */
  keepSpares: number;
}

/** Where a batch finds rows as last committed (the engine's stream cache). */
export interface CommittedRows {
  byStreamName(name: string): StreamRow | null;
  byStreamId(id: number): StreamRow | null;
}

/** Rows straight from SQLite, for batches run without a cache (tests, tools). */
export function committedRowsFrom(db: Database): CommittedRows {
  return { byStreamName: (name) => getStreamByName(db, name), byStreamId: (id) => getStreamById(db, id) };
}

export class WriteBatch {
  private readonly byName = new Map<string, StreamRow | null>();
  private readonly byId = new Map<number, StreamRow | null>();
  /** Each working row's state when the batch loaded (or created) it, for the diff write. */
  private readonly loaded = new Map<StreamRow, StreamRow>();
  private readonly dirty = new Set<StreamRow>();
  private readonly changed = new Set<StreamRow>();
  private readonly removed: Array<{ id: number; name: string }> = [];
  private readonly notifyIds = new Set<number>();
  private purgeScheduled = false;
  private readonly purged: number[] = [];
  private readonly publishes: number[] = [];
  private readonly deadPayloadFiles: number[] = [];
  private readonly producers = new Map<string, ProducerState | null>();
  /** Records appended by this batch and not yet inserted (see `flushRecords`). */
  private pendingRecords: WalInsert[] = [];

  constructor(
    readonly db: Database,
    readonly nowMs: number,
    private readonly committed: CommittedRows,
    readonly payloads: WriterPayloads | null = null,
  ) {}

  stream(name: string): StreamRow | null {
    let row = this.byName.get(name);
    if (row === undefined) {
      row = this.working(this.committed.byStreamName(name));
      this.byName.set(name, row);
      if (row) this.byId.set(row.id, row);
    }
    return row;
  }

  streamById(id: number): StreamRow | null {
    let row = this.byId.get(id);
    if (row === undefined) {
      row = this.working(this.committed.byStreamId(id));
      this.byId.set(id, row);
      if (row) this.byName.set(row.stream, row);
    }
    return row;
  }

  /**
   * A private copy to change: the committed object (shared with readers) stays as it was
   * until COMMIT succeeds, so a failed batch leaves no trace in memory either.
   */
  private working(committed: StreamRow | null): StreamRow | null {
    if (!committed) return null;
    const row = { ...committed };
    this.loaded.set(row, committed);
    return row;
  }

  /** The row was changed in memory; it is written back before COMMIT. */
  touched(row: StreamRow): void {
    row.updated_at_ms = this.nowMs;
    this.dirty.add(row);
    this.changed.add(row);
  }

  /**
   * Inserts a stream row. `replacing` is a tombstone under the same name: it is removed
   * here (its records are purged separately by id) and the new incarnation takes over its
   * manifest generation, owing the bucket a manifest that overwrites the old one.
   */
  createStream(fields: NewStreamRow, replacing: StreamRow | null = null): StreamRow {
    if (replacing) this.removeStream(replacing);
    const row = insertStream(this.db, fields);
    if (replacing && inheritManifest(this.db, replacing.id, row.id)) this.publishes.push(row.id);
    this.byName.set(row.stream, row);
    this.byId.set(row.id, row);
    this.loaded.set(row, { ...row });
    this.changed.add(row);
    return row;
  }

  private removeStream(row: StreamRow): void {
    deleteStreamRow(this.db, row.id);
    this.dirty.delete(row);
    this.changed.delete(row);
    this.removed.push({ id: row.id, name: row.stream });
    this.byName.set(row.stream, null);
    this.byId.set(row.id, null);
  }

  /**
   * Appends one request's records (they share one append time) at the stream's next
   * offsets: one row per chunk (a JSON append is one chunk of all its messages), or, for
   * records with their own keys, one row per run of consecutive records with an equal key
   * (the key is a column of the row). Rows are inserted in bulk by `flushRecords`.
   */
  appendRecords(row: StreamRow, tsMs: number, records: RecordBatch, routingKey: Uint8Array | null): void {
    if (records.count === 0) return;
    const bytes = records.keys
      ? this.queueKeyedRuns(row, tsMs, records.chunks, records.keys)
      : this.queueChunks(row, tsMs, records, routingKey);
    row.next_offset += records.count;
    row.pending_rows += records.count;
    row.wal_rows += records.count;
    row.pending_bytes += bytes;
    row.logical_size_bytes += bytes;
    row.wal_bytes += bytes;
    this.touched(row);
  }

  private queueChunks(row: StreamRow, tsMs: number, records: RecordBatch, routingKey: Uint8Array | null): number {
    let bytes = 0;
    const perChunk = records.chunks.length === 1 ? records.count : 1;
    for (let i = 0; i < records.chunks.length; i++) {
      const payload = records.chunks[i]!;
      bytes += payload.byteLength;
      const ref = records.refs?.[i] ?? undefined;
      const valueBounds = records.valueBounds?.[i] ?? null;
      this.pendingRecords.push({ streamId: row.id, offset: row.next_offset + i * perChunk, recordCount: perChunk, tsMs, payload, routingKey, ref, valueBounds });
    }
    return bytes;
  }

  private queueKeyedRuns(row: StreamRow, tsMs: number, chunks: Uint8Array[], keys: Array<Uint8Array | null>): number {
    let bytes = 0;
    for (let start = 0; start < chunks.length; ) {
      let end = start + 1;
      while (end < chunks.length && sameKey(keys[start] ?? null, keys[end] ?? null)) end++;
      const payload = joinJsonValues(chunks.slice(start, end));
      bytes += payload.byteLength;
      this.pendingRecords.push({ streamId: row.id, offset: row.next_offset + start, recordCount: end - start, tsMs, payload, routingKey: keys[start] ?? null });
      start = end;
    }
    return bytes;
  }

  /** Inserts the records appended so far; reads inside the batch call it first. */
  flushRecords(): void {
    if (this.pendingRecords.length === 0) return;
    this.payloadFilesDead(insertWalRows(this.db, this.pendingRecords, this.nowMs));
    this.pendingRecords = [];
  }

  /** Payload files whose last row this batch deleted or moved: removed once it commits. */
  payloadFilesDead(ids: readonly number[]): void {
    for (const id of ids) this.deadPayloadFiles.push(id);
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

  /** Wake the stream's live readers after COMMIT. */
  notify(streamId: number): void {
    this.notifyIds.add(streamId);
  }

  markPurgeScheduled(): void {
    this.purgeScheduled = true;
  }

  markPurged(streamId: number): void {
    this.purged.push(streamId);
  }

  /** A deletion the bucket must learn of, if it knows the stream at all (published before). */
  owePublishIfKnown(streamId: number): void {
    if (requestRepublish(this.db, streamId)) this.publishes.push(streamId);
  }

  /** Writes the pending records and every changed row; called last inside the transaction. */
  flushRows(): void {
    this.flushRecords();
    for (const row of this.dirty) updateStreamChanges(this.db, row, this.loaded.get(row)!);
    this.dirty.clear();
  }

  effects(): BatchEffects {
    return {
      rows: [...this.changed],
      removed: this.removed,
      notify: [...this.notifyIds],
      purgeScheduled: this.purgeScheduled,
      purged: this.purged,
      publishes: this.publishes,
      deadPayloadFiles: this.deadPayloadFiles,
    };
  }
}

function sameKey(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null) return a === b;
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}
