// Deleting streams: user DELETE, expiry, fork reference release and the chunked purge of a
// deleted incarnation's records (spec 01 §12.3, §13.2, §14).
//
// Commit order of a delete (docs/architecture.md, "Delete"):
//   1. COMMIT POINT: one transaction sets the DELETED flag (the stream answers 404, or 410
//      while forks still read through it), queues the purge of its records by incarnation
//      id, and releases its fork source (cascading to deleted ancestors)
//   2. the purger deletes the incarnation's WAL rows in bounded chunks, one transaction each
//      crash → `stream_purges` still lists it; the purger resumes after restart
//   3. the last chunk removes its producer state, profile document, schema registry and
//      the `stream_purges` entry
// A re-created name gets a new incarnation id, so step 2 never touches the new stream.
import { deleteProducerStates } from "../storage/sqlite/producers.ts";
import { finishPurge, nextPurge, schedulePurge } from "../storage/sqlite/purges.ts";
import { deleteStreamMeta } from "../storage/sqlite/stream-meta.ts";
import { FLAG_DELETED, type StreamRow } from "../storage/sqlite/streams.ts";
import { deleteSegmentRows } from "../storage/sqlite/segments.ts";
import { deleteWalThrough, type DeleteChunk } from "../storage/sqlite/wal.ts";
import { classifyStream, isDeleted } from "./stream-status.ts";
import type { WriteBatch } from "./write-batch.ts";

export type DeleteOutcome = { kind: "deleted" } | { kind: "not_found" } | { kind: "soft_deleted" };

export function executeDelete(batch: WriteBatch, name: string): DeleteOutcome {
  const row = batch.stream(name);
  const status = classifyStream(row, batch.nowMs);
  if (status === "soft_deleted") return { kind: "soft_deleted" };
  if (!row || status === "absent") return { kind: "not_found" };
  if (status === "expired") {
    expireStream(batch, row);
    return { kind: "not_found" };
  }
  if (row.fork_refcount > 0) markDeleted(batch, row);
  else releaseStream(batch, row);
  return { kind: "deleted" };
}

/** An expired stream is deleted; while forks hold it, it stays readable to them only. */
export function expireStream(batch: WriteBatch, row: StreamRow): void {
  if (isDeleted(row)) return;
  if (row.fork_refcount > 0) markDeleted(batch, row);
  else releaseStream(batch, row);
}

function markDeleted(batch: WriteBatch, row: StreamRow): void {
  row.stream_flags |= FLAG_DELETED;
  batch.touched(row);
  batch.notify(row.id);
  // The bucket learns of it too, or bootstrap would bring the stream back.
  batch.owePublishIfKnown(row.id);
}

/** Nothing reads this incarnation any more: purge its records and release its source. */
function releaseStream(batch: WriteBatch, row: StreamRow): void {
  markDeleted(batch, row);
  schedulePurge(batch.db, row.id, batch.nowMs);
  batch.markPurgeScheduled();
  if (row.fork_source_id === null) return;
  const source = batch.streamById(row.fork_source_id);
  if (!source) return;
  source.fork_refcount = Math.max(0, source.fork_refcount - 1);
  batch.touched(source);
  if (isDeleted(source) && source.fork_refcount === 0) releaseStream(batch, source);
}

/** Expires the named streams whose deadline has passed; returns how many. */
export function executeExpire(batch: WriteBatch, names: string[]): number {
  let expired = 0;
  for (const name of names) {
    const row = batch.stream(name);
    if (row && classifyStream(row, batch.nowMs) === "expired") {
      expireStream(batch, row);
      expired += 1;
    }
  }
  return expired;
}

/**
 * Deletes one chunk of a purged incarnation's records; false when no purge work is left.
 * The last chunk also drops its producer state and segment catalog; its local segment
 * files are removed after COMMIT (they are no longer referenced by then). The manifest
 * arrays stay with the tombstone row (see `deleteSegmentRows`).
 */
export function executePurgeChunk(batch: WriteBatch, chunk: DeleteChunk): boolean {
  const streamId = nextPurge(batch.db);
  if (streamId === null) return false;
  const gone = deleteWalThrough(batch.db, streamId, Number.MAX_SAFE_INTEGER, chunk);
  batch.payloadFilesDead(gone.deadPayloadFiles);
  if (!gone.more) {
    deleteProducerStates(batch.db, streamId);
    deleteStreamMeta(batch.db, streamId);
    deleteSegmentRows(batch.db, streamId);
    finishPurge(batch.db, streamId);
    batch.markPurged(streamId);
  }
  return true;
}

/** Folds TTL renewals recorded by reads into their rows (runs first in every batch). */
export function applyRenewals(batch: WriteBatch, renewals: ReadonlyArray<readonly [number, number]>): void {
  for (const [id, accessedMs] of renewals) {
    const row = batch.streamById(id);
    if (!row || row.ttl_seconds === null || isDeleted(row)) continue;
    const renewed = accessedMs + row.ttl_seconds * 1000;
    if (row.expires_at_ms === null || renewed > row.expires_at_ms) {
      row.expires_at_ms = renewed;
      batch.touched(row);
    }
  }
}
