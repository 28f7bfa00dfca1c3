// The create command (PUT): idempotent create, re-create over a deleted or expired name,
// and forks (spec 01 §7 and §12).
import type { NewStreamRow, StreamRow } from "../storage/sqlite/streams.ts";
import { DEFAULT_CONTENT_TYPE } from "./content-types.ts";
import { expireStream } from "./delete.ts";
import { classifyStream, isDeleted } from "./stream-status.ts";
import type { RecordBatch } from "./records.ts";
import type { WriteBatch } from "./write-batch.ts";

export interface ForkRequest {
  sourceName: string;
  /** Position to fork at; null = the source's tail. */
  offsetSeq: number | null;
  /** Bytes (or JSON messages) of the next source append to keep; 0 = none. */
  subOffset: number;
  /** With a sub-offset: where the fork's own records start, read from the source beforehand. */
  cut?: ForkCut;
}

export interface ForkCut {
  sourceId: number;
  forkSeq: number;
  /** First seq of the fork's own records. */
  base: number;
  /** Bytes of a byte stream's next append to keep, as the fork's first own record. */
  keptPrefix: { payload: Uint8Array; tsMs: number } | null;
}

export interface CreateRequest {
  name: string;
  /** Normalised `Content-Type` header, or null when absent. */
  contentType: string | null;
  /** The content type `records` were prepared for (the header, the fork source's, or the default). */
  recordsContentType: string;
  ttlSeconds: number | null;
  expiresAtMs: number | null;
  close: boolean;
  records: RecordBatch;
  fork: ForkRequest | null;
}

export type CreateOutcome =
  | { kind: "created" | "exists"; row: StreamRow }
  | { kind: "config_mismatch" }
  | { kind: "soft_deleted" }
  | { kind: "fork_source_not_found" }
  | { kind: "fork_source_soft_deleted" }
  | { kind: "fork_content_type_mismatch" }
  | { kind: "fork_source_changed" }
  | { kind: "fork_position_invalid"; message: string };

export function executeCreate(batch: WriteBatch, req: CreateRequest): CreateOutcome {
  const existing = batch.stream(req.name);
  if (existing) {
    const status = classifyStream(existing, batch.nowMs);
    if (status === "expired") {
      expireStream(batch, existing);
      if (isDeleted(existing) && existing.fork_refcount > 0) return { kind: "soft_deleted" };
    }
    if (status === "soft_deleted") return { kind: "soft_deleted" };
    if (status === "live") {
      return sameConfig(batch, existing, req) ? { kind: "exists", row: existing } : { kind: "config_mismatch" };
    }
  }
  // What is left is absent or a tombstone, whose records are purged by id: the name is free.
  return req.fork ? createFork(batch, req, req.fork, existing) : createPlain(batch, req, existing);
}

function createPlain(batch: WriteBatch, req: CreateRequest, tombstone: StreamRow | null): CreateOutcome {
  const row = batch.createStream(
    newRow(req.name, req.contentType ?? DEFAULT_CONTENT_TYPE, batch.nowMs, req.ttlSeconds, req.expiresAtMs),
    tombstone,
  );
  return finishCreate(batch, row, req);
}

function createFork(batch: WriteBatch, req: CreateRequest, fork: ForkRequest, tombstone: StreamRow | null): CreateOutcome {
  const source = batch.stream(fork.sourceName);
  const status = classifyStream(source, batch.nowMs);
  if (status === "soft_deleted") return { kind: "fork_source_soft_deleted" };
  if (!source || status !== "live") return { kind: "fork_source_not_found" };
  if (source.content_type !== (req.contentType ?? source.content_type) || source.content_type !== req.recordsContentType) {
    return { kind: "fork_content_type_mismatch" };
  }

  const sourceTail = source.next_offset - 1;
  const forkSeq = fork.offsetSeq ?? sourceTail;
  if (forkSeq > sourceTail) return { kind: "fork_position_invalid", message: "fork offset is beyond the source tail" };

  let base = forkSeq + 1;
  let keptPrefix: { payload: Uint8Array; tsMs: number } | null = null;
  if (fork.subOffset > 0) {
    // Resolved before queueing (it may read segments); the source's history up to there
    // cannot have changed since, unless the source itself was replaced.
    const cut = fork.cut;
    if (!cut || cut.sourceId !== source.id || cut.forkSeq !== forkSeq) return { kind: "fork_source_changed" };
    base = cut.base;
    keptPrefix = cut.keptPrefix;
  }

  const inherited = inheritExpiry(source, req, batch.nowMs);
  const fields = newRow(req.name, source.content_type, batch.nowMs, inherited.ttlSeconds, inherited.expiresAtMs);
  fields.fork_source_id = source.id;
  fields.fork_base_offset = base;
  fields.fork_offset = forkSeq;
  fields.fork_sub_offset = fork.subOffset;
  fields.next_offset = base;
  // Own records start at `base`: nothing of the fork is sealed or uploaded below it.
  fields.sealed_through = base - 1;
  fields.uploaded_through = base - 1;
  // Own appends must be later than every inherited record (append-boundary invariant).
  fields.last_append_ms = source.last_append_ms;
  const row = batch.createStream(fields, tombstone);
  if (keptPrefix) {
    batch.appendRecords(row, keptPrefix.tsMs, { chunks: [keptPrefix.payload], count: 1 }, null);
    row.last_append_ms = Math.max(row.last_append_ms, keptPrefix.tsMs);
  }
  source.fork_refcount += 1;
  batch.touched(source);
  return finishCreate(batch, row, req);
}

function finishCreate(batch: WriteBatch, row: StreamRow, req: CreateRequest): CreateOutcome {
  if (req.records.count > 0) {
    const tsMs = Math.max(batch.nowMs, row.last_append_ms + 1);
    batch.appendRecords(row, tsMs, req.records, null);
    row.last_append_ms = tsMs;
  }
  if (req.close) row.closed = 1;
  batch.touched(row);
  batch.notify(row.id);
  return { kind: "created", row };
}

/** A fork without its own TTL or deadline takes the source's (its TTL runs on its own clock). */
function inheritExpiry(source: StreamRow, req: CreateRequest, nowMs: number): { ttlSeconds: number | null; expiresAtMs: number | null } {
  if (req.ttlSeconds !== null || req.expiresAtMs !== null) return { ttlSeconds: req.ttlSeconds, expiresAtMs: req.expiresAtMs };
  if (source.ttl_seconds !== null) return { ttlSeconds: source.ttl_seconds, expiresAtMs: null };
  return { ttlSeconds: null, expiresAtMs: source.expires_at_ms };
}

/** Idempotent PUT: the request must describe the stream as it was created (spec 01 §7.3). */
function sameConfig(batch: WriteBatch, row: StreamRow, req: CreateRequest): boolean {
  const source = row.fork_source_id === null ? null : batch.streamById(row.fork_source_id);
  const wantType = req.contentType ?? (req.fork && source ? row.content_type : DEFAULT_CONTENT_TYPE);
  if (wantType !== row.content_type) return false;
  if (req.close !== (row.closed === 1)) return false;

  let ttlSeconds = req.ttlSeconds;
  let expiresAtMs = req.expiresAtMs;
  if (req.fork && source && ttlSeconds === null && expiresAtMs === null) {
    ttlSeconds = source.ttl_seconds;
    expiresAtMs = source.ttl_seconds === null ? source.expires_at_ms : null;
  }
  if (ttlSeconds !== row.ttl_seconds) return false;
  if (row.ttl_seconds === null && expiresAtMs !== row.expires_at_ms) return false;

  if ((req.fork?.sourceName ?? null) !== (source?.stream ?? null)) return false;
  if (req.fork) {
    if (req.fork.offsetSeq !== null && req.fork.offsetSeq !== row.fork_offset) return false;
    if (req.fork.subOffset !== row.fork_sub_offset) return false;
  }
  return true;
}

function newRow(name: string, contentType: string, nowMs: number, ttlSeconds: number | null, expiresAtMs: number | null): NewStreamRow {
  return {
    stream: name,
    created_at_ms: nowMs,
    updated_at_ms: nowMs,
    content_type: contentType,
    profile: null,
    stream_seq: null,
    closed: 0,
    closed_producer_id: null,
    closed_producer_epoch: null,
    closed_producer_seq: null,
    ttl_seconds: ttlSeconds,
    expires_at_ms: ttlSeconds !== null ? nowMs + ttlSeconds * 1000 : expiresAtMs,
    epoch: 0,
    next_offset: 0,
    sealed_through: -1,
    uploaded_through: -1,
    uploaded_segment_count: 0,
    pending_rows: 0,
    pending_bytes: 0,
    logical_size_bytes: 0,
    wal_rows: 0,
    wal_bytes: 0,
    last_append_ms: 0,
    last_segment_cut_ms: nowMs,
    segment_in_progress: 0,
    stream_flags: 0,
    fork_source_id: null,
    fork_base_offset: 0,
    fork_offset: null,
    fork_sub_offset: 0,
    fork_refcount: 0,
    meta_version: 0,
  };
}

