// The writer's commands for tiered storage: recording a sealed segment, marking a segment
// uploaded, committing a published manifest (and the WAL garbage it frees), and further
// WAL collection. Each runs inside a group-commit transaction like any append.
import { appendSegmentMeta, getManifestRow, insertSegment, markSegmentUploaded, putManifestRow, requestPublish } from "../storage/sqlite/segments.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import { deleteWalThrough, inlinePayloadsOf, type DeleteChunk } from "../storage/sqlite/wal.ts";
import { isDeleted } from "./stream-status.ts";
import type { WriteBatch } from "./write-batch.ts";

export interface SealRequest {
  streamId: number;
  segmentIndex: number;
  startOffset: number;
  endOffset: number;
  blockCount: number;
  recordCount: number;
  lastAppendMs: number;
  /** Record payload bytes in the segment (for the compression ratio). */
  payloadBytes: number;
  /** WAL payload bytes the segment covers (leave the pending counters). */
  walBytes: number;
  sizeBytes: number;
}

/** A stream whose records nobody will read again: not worth sealing or uploading. */
export function isReleased(row: StreamRow): boolean {
  return isDeleted(row) && row.fork_refcount === 0;
}

/**
 * COMMIT POINT of a seal (docs/storage.md, "Seal"): the segment row and the stream's new
 * `sealed_through` commit together. "stale" when the stream moved on meanwhile (deleted,
 * or another seal won): the caller removes its file.
 */
export function executeSeal(batch: WriteBatch, req: SealRequest): "sealed" | "stale" {
  const row = batch.streamById(req.streamId);
  if (!row || isReleased(row) || row.sealed_through !== req.startOffset - 1) return "stale";
  insertSegment(batch.db, {
    stream_id: row.id,
    segment_index: req.segmentIndex,
    start_offset: req.startOffset,
    end_offset: req.endOffset,
    block_count: req.blockCount,
    record_count: req.recordCount,
    last_append_ms: req.lastAppendMs,
    payload_bytes: req.payloadBytes,
    size_bytes: req.sizeBytes,
    created_at_ms: batch.nowMs,
    uploaded_at_ms: null,
    etag: null,
  });
  appendSegmentMeta(batch.db, row.id, req.endOffset, req.blockCount, req.lastAppendMs);
  row.sealed_through = req.endOffset;
  row.pending_rows = Math.max(0, row.pending_rows - req.recordCount);
  row.pending_bytes = Math.max(0, row.pending_bytes - req.walBytes);
  row.last_segment_cut_ms = batch.nowMs;
  batch.touched(row);
  return "sealed";
}

/** The segment is in the bucket; from this commit on, a publish is owed (and survives a crash). */
export function executeMarkUploaded(batch: WriteBatch, req: { streamId: number; segmentIndex: number; etag: string }): null {
  markSegmentUploaded(batch.db, req.streamId, req.segmentIndex, req.etag, batch.nowMs);
  requestPublish(batch.db, req.streamId);
  // Upload progress is part of the stream's descriptor: its watchers learn of it.
  const row = batch.streamById(req.streamId);
  if (row) batch.touched(row);
  return null;
}

export interface ManifestCommit {
  streamId: number;
  generation: number;
  /** Uploaded segment prefix the stored manifest lists. */
  prefix: number;
  uploadedThrough: number;
  etag: string;
  sizeBytes: number;
  /** How much WAL the commit may collect itself; the rest goes in `collect-wal` commands. */
  gcChunk: DeleteChunk;
  /** `publish_pending` when the manifest was built: the changes it covers. */
  covered: number;
  /** SHA-256 of the schema registry in the bucket alongside this manifest (null: none). */
  registrySha256: string | null;
}

/**
 * COMMIT POINT of a publish (docs/storage.md, "Upload and publish"): the manifest's
 * generation, the stream's `uploaded_through`, and the first chunk of WAL rows it frees
 * commit together. Returns whether more WAL rows wait for collection.
 */
export function executeCommitManifest(batch: WriteBatch, req: ManifestCommit): { more: boolean } {
  const row = batch.streamById(req.streamId);
  if (!row) return { more: false };
  const previous = getManifestRow(batch.db, row.id);
  if (req.generation <= previous.generation) return { more: false };
  putManifestRow(batch.db, row.id, {
    generation: req.generation,
    uploaded_generation: req.generation,
    last_uploaded_at_ms: batch.nowMs,
    last_uploaded_etag: req.etag,
    last_uploaded_size_bytes: req.sizeBytes,
    // Changes requested after the build are still owed.
    publish_pending: Math.max(0, previous.publish_pending - req.covered),
    registry_sha256: req.registrySha256,
  });
  if (isReleased(row)) return { more: false };
  if (req.prefix > row.uploaded_segment_count) {
    row.uploaded_segment_count = req.prefix;
    row.uploaded_through = Math.max(row.uploaded_through, req.uploadedThrough);
    batch.touched(row);
  }
  return { more: collectWal(batch, row, req.gcChunk) };
}

/** Deletes one chunk of WAL rows the published manifest covers; true when more remain. */
export function executeCollectWal(batch: WriteBatch, req: { streamId: number; chunk: DeleteChunk }): { more: boolean } {
  const row = batch.streamById(req.streamId);
  return { more: row ? collectWal(batch, row, req.chunk) : false };
}

function collectWal(batch: WriteBatch, row: StreamRow, chunk: DeleteChunk): boolean {
  batch.flushRecords();
  const gone = deleteWalThrough(batch.db, row.id, row.uploaded_through, chunk);
  if (gone.rows === 0) return false;
  batch.payloadFilesDead(gone.deadPayloadFiles);
  row.wal_rows = Math.max(0, row.wal_rows - gone.records);
  row.wal_bytes = Math.max(0, row.wal_bytes - gone.bytes);
  batch.touched(row);
  return gone.more;
}

/**
 * Moves a chunk of the rows left in payload file `file` inline; true when more remain.
 * Without a reader (no payload files on this writer) there is nothing to move.
 */
export function executeInlinePayloads(batch: WriteBatch, req: { file: number; chunk: DeleteChunk }): { more: boolean } {
  if (!batch.payloads) return { more: false };
  batch.flushRecords();
  const moved = inlinePayloadsOf(batch.db, batch.payloads.reader, req.file, req.chunk);
  batch.payloadFilesDead(moved.deadPayloadFiles);
  return { more: moved.more };
}
