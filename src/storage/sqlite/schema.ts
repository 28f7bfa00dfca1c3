// The SQLite schema: one list of migrations, applied in order inside one transaction each.
// Tables follow spec 02 §2.3; deviations are recorded in docs/sqlite-schema.md.
//
// Version numbers may have gaps: work on separate branches reserves numbers, and a
// database may have applied a higher version before a lower one exists (open.ts records
// each applied version, so a lower one is still applied once it appears).

export interface Migration {
  readonly version: number;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE streams (
        -- AUTOINCREMENT: an incarnation id is never reused, so purging a deleted
        -- incarnation's records by id can never touch a re-created stream's records.
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        stream TEXT NOT NULL UNIQUE,
        created_at_ms INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        profile TEXT,
        stream_seq TEXT,
        closed INTEGER NOT NULL DEFAULT 0,
        closed_producer_id TEXT,
        closed_producer_epoch INTEGER,
        closed_producer_seq INTEGER,
        ttl_seconds INTEGER,
        expires_at_ms INTEGER,
        epoch INTEGER NOT NULL DEFAULT 0,
        next_offset INTEGER NOT NULL DEFAULT 0,
        sealed_through INTEGER NOT NULL DEFAULT -1,
        uploaded_through INTEGER NOT NULL DEFAULT -1,
        uploaded_segment_count INTEGER NOT NULL DEFAULT 0,
        pending_rows INTEGER NOT NULL DEFAULT 0,
        pending_bytes INTEGER NOT NULL DEFAULT 0,
        logical_size_bytes INTEGER NOT NULL DEFAULT 0,
        wal_rows INTEGER NOT NULL DEFAULT 0,
        wal_bytes INTEGER NOT NULL DEFAULT 0,
        last_append_ms INTEGER NOT NULL DEFAULT 0,
        last_segment_cut_ms INTEGER NOT NULL DEFAULT 0,
        segment_in_progress INTEGER NOT NULL DEFAULT 0,
        stream_flags INTEGER NOT NULL DEFAULT 0,
        fork_source_id INTEGER,
        fork_base_offset INTEGER NOT NULL DEFAULT 0,
        fork_offset INTEGER,
        fork_sub_offset INTEGER NOT NULL DEFAULT 0,
        fork_refcount INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX streams_expires_idx ON streams(expires_at_ms) WHERE expires_at_ms IS NOT NULL;

      CREATE TABLE wal (
        id INTEGER PRIMARY KEY,
        stream_id INTEGER NOT NULL,
        offset INTEGER NOT NULL,
        record_count INTEGER NOT NULL DEFAULT 1,
        ts_ms INTEGER NOT NULL,
        payload_len INTEGER NOT NULL,
        routing_key BLOB,
        payload BLOB NOT NULL
      );
      CREATE UNIQUE INDEX wal_stream_offset_uniq ON wal(stream_id, offset);

      CREATE TABLE producer_state (
        stream_id INTEGER NOT NULL,
        producer_id TEXT NOT NULL,
        epoch INTEGER NOT NULL,
        last_seq INTEGER NOT NULL,
        updated_at_ms INTEGER NOT NULL,
        PRIMARY KEY (stream_id, producer_id)
      ) WITHOUT ROWID;

      CREATE TABLE stream_purges (
        stream_id INTEGER PRIMARY KEY,
        requested_at_ms INTEGER NOT NULL
      );
    `,
  },
  {
    // Tiered storage: sealed segments, published manifests, and the per-stream arrays a
    // manifest lists (spec 02 §2.3), keyed by incarnation like everything else.
    version: 2,
    sql: `
      CREATE TABLE segments (
        stream_id INTEGER NOT NULL,
        segment_index INTEGER NOT NULL,
        start_offset INTEGER NOT NULL,
        end_offset INTEGER NOT NULL,
        block_count INTEGER NOT NULL,
        record_count INTEGER NOT NULL,
        last_append_ms INTEGER NOT NULL,
        payload_bytes INTEGER NOT NULL,
        size_bytes INTEGER NOT NULL,
        created_at_ms INTEGER NOT NULL,
        uploaded_at_ms INTEGER,
        etag TEXT,
        PRIMARY KEY (stream_id, segment_index)
      ) WITHOUT ROWID;
      CREATE INDEX segments_start_idx ON segments(stream_id, start_offset);
      CREATE INDEX segments_pending_upload_idx ON segments(stream_id, segment_index) WHERE uploaded_at_ms IS NULL;

      CREATE TABLE manifests (
        stream_id INTEGER PRIMARY KEY,
        generation INTEGER NOT NULL DEFAULT 0,
        uploaded_generation INTEGER NOT NULL DEFAULT 0,
        last_uploaded_at_ms INTEGER,
        last_uploaded_etag TEXT,
        last_uploaded_size_bytes INTEGER,
        -- Changes the bucket has not seen yet (an uploaded segment, a deletion): the uploader
        -- publishes while this is non-zero; a commit subtracts what its manifest covered.
        publish_pending INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX manifests_publish_pending_idx ON manifests(stream_id) WHERE publish_pending > 0;

      CREATE TABLE stream_segment_meta (
        stream_id INTEGER PRIMARY KEY,
        segment_count INTEGER NOT NULL DEFAULT 0,
        segment_offsets BLOB NOT NULL DEFAULT x'',
        segment_blocks BLOB NOT NULL DEFAULT x'',
        segment_last_ts BLOB NOT NULL DEFAULT x''
      );
    `,
  },
  {
    version: 3,
    sql: `
      -- Bumped by every profile or schema change: an append prepared under an older
      -- profile/schema is refused and prepared again (src/engine/stream-meta.ts).
      ALTER TABLE streams ADD COLUMN meta_version INTEGER NOT NULL DEFAULT 0;

      -- A stream's profile document, for kinds that carry configuration beyond their kind.
      CREATE TABLE stream_profiles (
        stream_id INTEGER PRIMARY KEY,
        profile_json TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL
      );

      -- A stream's schema registry (spec 03 §5.1), absent until the first update.
      CREATE TABLE schemas (
        stream_id INTEGER PRIMARY KEY,
        registry_json TEXT NOT NULL,
        updated_at_ms INTEGER NOT NULL
      );
    `,
  },
  {
    // The schema registry reaches the bucket as its own object; a publish uploads it only
    // when it differs from the one last uploaded (by SHA-256 of its JSON).
    version: 4,
    sql: `ALTER TABLE manifests ADD COLUMN registry_sha256 TEXT;`,
  },
  {
    // Large payloads leave SQLite for payload files (storage/payload-files.ts): a row whose
    // payload lives there has an empty `payload` and points to its record. The partial
    // index finds a file's rows when its last few are moved back inline.
    version: 5,
    sql: `
      ALTER TABLE wal ADD COLUMN payload_file INTEGER;
      ALTER TABLE wal ADD COLUMN payload_position INTEGER;
      CREATE INDEX wal_payload_file_idx ON wal(payload_file) WHERE payload_file IS NOT NULL;

      -- One row per payload file on disk. AUTOINCREMENT: a file id (and name) is never
      -- reused. live_* count the rows that point into it; a closed file with none is removed.
      CREATE TABLE payload_files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at_ms INTEGER NOT NULL,
        size_bytes INTEGER NOT NULL DEFAULT 0,
        live_rows INTEGER NOT NULL DEFAULT 0,
        live_bytes INTEGER NOT NULL DEFAULT 0,
        closed INTEGER NOT NULL DEFAULT 0
      );
    `,
  },
  {
    // Where the JSON values of a multi-message row lie, when validation found them on the
    // way in (engine/json-split.ts, `encodeValueBounds`): sealing reads them instead of
    // scanning the row. NULL: sealing scans.
    version: 6,
    sql: `ALTER TABLE wal ADD COLUMN value_bounds BLOB;`,
  },
];
