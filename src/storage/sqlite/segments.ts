// The `segments`, `stream_segment_meta` and `manifests` tables: the local catalog of sealed
// segments, the arrays a manifest lists, and the published manifest generation.
import type { Database } from "bun:sqlite";

export interface SegmentRow {
  stream_id: number;
  segment_index: number;
  start_offset: number;
  end_offset: number;
  block_count: number;
  record_count: number;
  last_append_ms: number;
  payload_bytes: number;
  size_bytes: number;
  created_at_ms: number;
  uploaded_at_ms: number | null;
  etag: string | null;
}

export function insertSegment(db: Database, row: SegmentRow): void {
  db.query(
    `INSERT INTO segments (stream_id, segment_index, start_offset, end_offset, block_count, record_count, last_append_ms,
       payload_bytes, size_bytes, created_at_ms, uploaded_at_ms, etag) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    row.stream_id, row.segment_index, row.start_offset, row.end_offset, row.block_count, row.record_count,
    row.last_append_ms, row.payload_bytes, row.size_bytes, row.created_at_ms, row.uploaded_at_ms, row.etag,
  );
}

/** The segment holding `seq`, else the first one after it (bootstrap holes), else null. */
export function segmentForSeq(db: Database, streamId: number, seq: number): SegmentRow | null {
  return (
    db
      .query<SegmentRow, [number, number, number]>(
        "SELECT * FROM segments WHERE stream_id = ? AND start_offset <= ? AND end_offset >= ? ORDER BY start_offset DESC LIMIT 1",
      )
      .get(streamId, seq, seq) ??
    db
      .query<SegmentRow, [number, number]>("SELECT * FROM segments WHERE stream_id = ? AND start_offset > ? ORDER BY start_offset LIMIT 1")
      .get(streamId, seq)
  );
}

export function getSegment(db: Database, streamId: number, index: number): SegmentRow | null {
  return db.query<SegmentRow, [number, number]>("SELECT * FROM segments WHERE stream_id = ? AND segment_index = ?").get(streamId, index);
}

/** Per stream, its lowest segment not uploaded yet (uploads go strictly in order). */
export function uploadHeads(db: Database, limit: number): SegmentRow[] {
  return db
    .query<SegmentRow, [number]>(
      `SELECT s.* FROM segments s JOIN (SELECT stream_id, MIN(segment_index) AS segment_index FROM segments
         WHERE uploaded_at_ms IS NULL GROUP BY stream_id) h ON h.stream_id = s.stream_id AND h.segment_index = s.segment_index
       ORDER BY s.created_at_ms LIMIT ?`,
    )
    .all(limit);
}

export function pendingUploadCount(db: Database): number {
  return db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM segments WHERE uploaded_at_ms IS NULL").get()?.n ?? 0;
}

export function markSegmentUploaded(db: Database, streamId: number, index: number, etag: string, nowMs: number): void {
  db.query("UPDATE segments SET uploaded_at_ms = ?, etag = ? WHERE stream_id = ? AND segment_index = ?").run(nowMs, etag, streamId, index);
}

/** Length of the contiguous run of uploaded segments from index `from` on. */
export function uploadedRunFrom(db: Database, streamId: number, from: number): number {
  const row = db
    .query<{ next: number | null }, [number, number]>(
      "SELECT MIN(segment_index) AS next FROM segments WHERE stream_id = ? AND segment_index >= ? AND uploaded_at_ms IS NULL",
    )
    .get(streamId, from);
  const total = db.query<{ n: number }, [number]>("SELECT COUNT(*) AS n FROM segments WHERE stream_id = ?").get(streamId)?.n ?? 0;
  return (row?.next ?? total) - from;
}

export interface SegmentTotals {
  total: number;
  uploaded: number;
  uploadedBytes: number;
  /** Sealed segments not yet published: their files are still in `local/`. */
  unpublishedBytes: number;
  /** Last append time in the newest uploaded segment (ms), if any. */
  lastUploadedAppendMs: number | null;
}

/** Counts and bytes of a stream's segments, for `_details` and `_index_status`. */
export function segmentTotals(db: Database, streamId: number, publishedCount: number): SegmentTotals {
  const row = db
    .query<{ total: number; uploaded: number | null; uploaded_bytes: number | null; unpublished_bytes: number | null; last_ms: number | null }, [number, number]>(
      `SELECT COUNT(*) AS total,
              SUM(uploaded_at_ms IS NOT NULL) AS uploaded,
              SUM(CASE WHEN uploaded_at_ms IS NOT NULL THEN size_bytes ELSE 0 END) AS uploaded_bytes,
              SUM(CASE WHEN segment_index >= ? THEN size_bytes ELSE 0 END) AS unpublished_bytes,
              MAX(CASE WHEN uploaded_at_ms IS NOT NULL THEN last_append_ms END) AS last_ms
         FROM segments WHERE stream_id = ?`,
    )
    .get(publishedCount, streamId)!;
  return {
    total: row.total,
    uploaded: row.uploaded ?? 0,
    uploadedBytes: row.uploaded_bytes ?? 0,
    unpublishedBytes: row.unpublished_bytes ?? 0,
    lastUploadedAppendMs: row.last_ms,
  };
}

export function segmentCount(db: Database, streamId: number): number {
  return db.query<{ n: number }, [number]>("SELECT COUNT(*) AS n FROM segments WHERE stream_id = ?").get(streamId)?.n ?? 0;
}

/** Segment indexes [from, to) of a stream, for moving their files after a publish. */
export function segmentsBetween(db: Database, streamId: number, from: number, to: number): SegmentRow[] {
  return db
    .query<SegmentRow, [number, number, number]>("SELECT * FROM segments WHERE stream_id = ? AND segment_index >= ? AND segment_index < ? ORDER BY segment_index")
    .all(streamId, from, to);
}

// --- manifest arrays (spec 02 §2.3 stream_segment_meta) -------------------------------------

export interface SegmentMeta {
  segment_count: number;
  segment_offsets: Uint8Array;
  segment_blocks: Uint8Array;
  segment_last_ts: Uint8Array;
}

/** Appends one sealed segment to the stream's arrays (end + 1, block count, last append ns). */
export function appendSegmentMeta(db: Database, streamId: number, endOffset: number, blockCount: number, lastAppendMs: number): void {
  const meta = getSegmentMeta(db, streamId);
  const grow = (bytes: Uint8Array, extra: number): { out: Uint8Array; view: DataView } => {
    const out = new Uint8Array(bytes.byteLength + extra);
    out.set(bytes);
    return { out, view: new DataView(out.buffer) };
  };
  const offsets = grow(meta.segment_offsets, 8);
  offsets.view.setBigUint64(meta.segment_offsets.byteLength, BigInt(endOffset + 1), true);
  const blocks = grow(meta.segment_blocks, 4);
  blocks.view.setUint32(meta.segment_blocks.byteLength, blockCount, true);
  const lastTs = grow(meta.segment_last_ts, 8);
  lastTs.view.setBigUint64(meta.segment_last_ts.byteLength, BigInt(lastAppendMs) * 1_000_000n, true);
  putSegmentMeta(db, streamId, {
    segment_count: meta.segment_count + 1,
    segment_offsets: offsets.out,
    segment_blocks: blocks.out,
    segment_last_ts: lastTs.out,
  });
}

export function getSegmentMeta(db: Database, streamId: number): SegmentMeta {
  return (
    db.query<SegmentMeta, [number]>("SELECT segment_count, segment_offsets, segment_blocks, segment_last_ts FROM stream_segment_meta WHERE stream_id = ?").get(streamId) ?? {
      segment_count: 0,
      segment_offsets: new Uint8Array(0),
      segment_blocks: new Uint8Array(0),
      segment_last_ts: new Uint8Array(0),
    }
  );
}

export function putSegmentMeta(db: Database, streamId: number, meta: SegmentMeta): void {
  db.query(
    `INSERT OR REPLACE INTO stream_segment_meta (stream_id, segment_count, segment_offsets, segment_blocks, segment_last_ts) VALUES (?, ?, ?, ?, ?)`,
  ).run(streamId, meta.segment_count, meta.segment_offsets, meta.segment_blocks, meta.segment_last_ts);
}

// --- manifests --------------------------------------------------------------------------------

export interface ManifestRow {
  generation: number;
  uploaded_generation: number;
  last_uploaded_at_ms: number | null;
  last_uploaded_etag: string | null;
  last_uploaded_size_bytes: number | null;
  publish_pending: number;
  /** SHA-256 of the schema registry JSON in the bucket under the stream's name, if any. */
  registry_sha256: string | null;
}

const NO_MANIFEST: ManifestRow = {
  generation: 0,
  uploaded_generation: 0,
  last_uploaded_at_ms: null,
  last_uploaded_etag: null,
  last_uploaded_size_bytes: null,
  publish_pending: 0,
  registry_sha256: null,
};

export function getManifestRow(db: Database, streamId: number): ManifestRow {
  return db.query<ManifestRow, [number]>("SELECT * FROM manifests WHERE stream_id = ?").get(streamId) ?? { ...NO_MANIFEST };
}

export function putManifestRow(db: Database, streamId: number, row: ManifestRow): void {
  db.query(
    `INSERT OR REPLACE INTO manifests (stream_id, generation, uploaded_generation, last_uploaded_at_ms, last_uploaded_etag,
       last_uploaded_size_bytes, publish_pending, registry_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    streamId, row.generation, row.uploaded_generation, row.last_uploaded_at_ms, row.last_uploaded_etag,
    row.last_uploaded_size_bytes, row.publish_pending, row.registry_sha256,
  );
}

/** Records that the bucket owes this stream a new manifest (durable with the caller's transaction). */
export function requestPublish(db: Database, streamId: number): void {
  db.query("INSERT INTO manifests (stream_id, publish_pending) VALUES (?, 1) ON CONFLICT (stream_id) DO UPDATE SET publish_pending = publish_pending + 1").run(streamId);
}

/** A change worth publishing only if the bucket already knows the stream (a deletion, say). */
export function requestRepublish(db: Database, streamId: number): boolean {
  return db.query("UPDATE manifests SET publish_pending = publish_pending + 1 WHERE stream_id = ? AND (generation > 0 OR publish_pending > 0)").run(streamId).changes > 0;
}

/** Streams owed a publish, oldest id first. */
export function pendingPublishes(db: Database, limit: number): number[] {
  return db.query<{ stream_id: number }, [number]>("SELECT stream_id FROM manifests WHERE publish_pending > 0 ORDER BY stream_id LIMIT ?").all(limit).map((r) => r.stream_id);
}

/**
 * Moves a replaced incarnation's manifest history to the new one under the same name: the
 * bucket's object for the name belongs to the old one until the new one publishes over it.
 */
export function inheritManifest(db: Database, fromId: number, toId: number): boolean {
  const old = db.query<ManifestRow, [number]>("SELECT * FROM manifests WHERE stream_id = ?").get(fromId);
  db.query("DELETE FROM manifests WHERE stream_id = ?").run(fromId);
  db.query("DELETE FROM stream_segment_meta WHERE stream_id = ?").run(fromId);
  if (!old || (old.generation === 0 && old.publish_pending === 0)) return false;
  // What the bucket holds under the name (a registry included) is the old one's until replaced.
  putManifestRow(db, toId, {
    ...NO_MANIFEST,
    generation: old.generation,
    uploaded_generation: old.uploaded_generation,
    publish_pending: 1,
    registry_sha256: old.registry_sha256,
  });
  return true;
}

/**
 * Removes a purged incarnation's segment catalog; local files are removed by the caller.
 * Its manifest arrays and generation stay with the tombstone row: a later tombstone publish
 * still lists the segments the bucket holds, and a re-create inherits the generation.
 */
export function deleteSegmentRows(db: Database, streamId: number): void {
  db.query("DELETE FROM segments WHERE stream_id = ?").run(streamId);
}

/** Removes what is left of an incarnation whose row is deleted outright. */
export function deleteStorageRows(db: Database, streamId: number): void {
  deleteSegmentRows(db, streamId);
  db.query("DELETE FROM stream_segment_meta WHERE stream_id = ?").run(streamId);
  db.query("DELETE FROM manifests WHERE stream_id = ?").run(streamId);
}
