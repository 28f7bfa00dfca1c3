// The management documents of one stream (spec 04 §6–7): `_index_status` (manifest, segment
// and upload progress; search accelerators are not built yet, so they report nothing to do)
// and `_details` (summary, profile, registry, index status, storage accounting, object-store
// requests). Built in one synchronous pass, so a document never mixes two states of the
// stream; `stable` lists the parts whose change is this stream's change (its ETag source).
import type { Database } from "bun:sqlite";
import { PROFILE_API_VERSION } from "../profiles/profile-resource.ts";
import { registryDocument } from "../schema/registry.ts";
import { summarizeCounts, type CountingObjectStore } from "../storage/object-store/counting.ts";
import type { SegmentStore } from "../storage/segment-store.ts";
import { getManifestRow, segmentTotals, type ManifestRow, type SegmentTotals } from "../storage/sqlite/segments.ts";
import { getRegistryJson } from "../storage/sqlite/stream-meta.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import { streamHash } from "../util/stream-hash.ts";
import type { StreamMeta } from "./stream-meta.ts";

export interface DescriptorSources {
  db: Database;
  segments: SegmentStore;
  requests: CountingObjectStore;
  /** Bytes of the SQLite files, shared by every stream (not part of a stream's ETag). */
  sqliteBytes(): number;
}

export interface Descriptor {
  /** The document as served. */
  body: Record<string, unknown>;
  /** What the ETag covers: the body without process-wide figures. */
  stable: unknown;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const dec = (n: number) => String(n);

/** A corrupt stored profile or registry: the caller answers 500. */
export class DescriptorError extends Error {}

function manifestStatus(manifest: ManifestRow) {
  return {
    generation: manifest.generation,
    uploaded_generation: manifest.uploaded_generation,
    last_uploaded_at: iso(manifest.last_uploaded_at_ms),
    last_uploaded_etag: manifest.last_uploaded_etag,
    last_uploaded_size_bytes: manifest.last_uploaded_size_bytes === null ? null : dec(manifest.last_uploaded_size_bytes),
  };
}

function routingIndexStatus(configured: boolean, totals: SegmentTotals) {
  // No routing-key index is built yet: a configured key leaves every uploaded segment to do.
  const lag = configured ? totals.uploaded : 0;
  return {
    configured,
    indexed_segment_count: 0,
    lag_segments: lag,
    lag_ms: null,
    bytes_at_rest: "0",
    object_count: 0,
    active_run_count: 0,
    retired_run_count: 0,
    fully_indexed_uploaded_segments: lag === 0,
    updated_at: null,
  };
}

function indexStatusOf(row: StreamRow, meta: StreamMeta, totals: SegmentTotals, manifest: ManifestRow) {
  const configured = meta.registry?.routingKey !== undefined;
  return {
    stream: row.stream,
    profile: meta.profile?.document.kind ?? null,
    desired_index_plan_generation: 0,
    segments: { total_count: totals.total, uploaded_count: totals.uploaded },
    manifest: manifestStatus(manifest),
    routing_key_index: routingIndexStatus(configured, totals),
    routing_key_lexicon: routingIndexStatus(configured, totals),
    exact_indexes: [],
    bundled_companions: { object_count: 0, bytes_at_rest: "0", fully_indexed_uploaded_segments: true },
    search_families: [],
  };
}

/** The `_index_status` document. */
export function describeIndexStatus(sources: DescriptorSources, row: StreamRow, meta: StreamMeta): Descriptor {
  const body = indexStatusOf(row, meta, segmentTotals(sources.db, row.id, row.uploaded_segment_count), getManifestRow(sources.db, row.id));
  return { body, stable: body };
}

function streamSummary(row: StreamRow, meta: StreamMeta, totals: SegmentTotals, expiresAtMs: number | null) {
  return {
    name: row.stream,
    content_type: row.content_type,
    profile: meta.profile?.document.kind ?? null,
    created_at: iso(row.created_at_ms),
    updated_at: iso(row.updated_at_ms),
    expires_at: iso(expiresAtMs),
    ttl_seconds: row.ttl_seconds,
    stream_seq: row.stream_seq,
    closed: row.closed === 1,
    epoch: row.epoch,
    next_offset: dec(row.next_offset),
    sealed_through: dec(row.sealed_through),
    uploaded_through: dec(row.uploaded_through),
    segment_count: totals.total,
    uploaded_segment_count: row.uploaded_segment_count,
    pending_rows: dec(row.pending_rows),
    pending_bytes: dec(row.pending_bytes),
    total_size_bytes: dec(row.logical_size_bytes),
    wal_rows: dec(row.wal_rows),
    wal_bytes: dec(row.wal_bytes),
    last_append_at: iso(row.last_append_ms > 0 ? row.last_append_ms : null),
    last_segment_cut_at: iso(row.last_segment_cut_ms > 0 ? row.last_segment_cut_ms : null),
  };
}

function storageOf(sources: DescriptorSources, row: StreamRow, totals: SegmentTotals, manifest: ManifestRow) {
  const registryBytes = manifest.registry_sha256 === null ? 0 : Buffer.byteLength(getRegistryJson(sources.db, row.id) ?? "");
  const manifestBytes = manifest.last_uploaded_size_bytes ?? 0;
  const cacheBytes = sources.segments.cachedBytesOf(row.id);
  return {
    object_storage: {
      total_bytes: dec(totals.uploadedBytes + manifestBytes + registryBytes),
      segments_bytes: dec(totals.uploadedBytes),
      indexes_bytes: "0",
      manifest_and_meta_bytes: dec(manifestBytes + registryBytes),
      manifest_bytes: dec(manifestBytes),
      schema_registry_bytes: dec(registryBytes),
      segment_object_count: totals.uploaded,
      routing_index_object_count: 0,
      routing_lexicon_object_count: 0,
      exact_index_object_count: 0,
      bundled_companion_object_count: 0,
    },
    local_storage: {
      total_bytes: dec(row.wal_bytes + totals.unpublishedBytes + cacheBytes),
      wal_retained_bytes: dec(row.wal_bytes),
      pending_tail_bytes: dec(row.pending_bytes),
      pending_sealed_segment_bytes: dec(totals.unpublishedBytes),
      segment_cache_bytes: dec(cacheBytes),
      routing_index_cache_bytes: "0",
      exact_index_cache_bytes: "0",
      lexicon_index_cache_bytes: "0",
      companion_cache_bytes: "0",
    },
    companion_families: { exact_bytes: "0", col_bytes: "0", fts_bytes: "0", agg_bytes: "0", mblk_bytes: "0" },
  };
}

function requestsOf(sources: DescriptorSources, row: StreamRow) {
  const summary = summarizeCounts(sources.requests.countsFor(streamHash(row.stream)));
  const asStrings = (counts: { puts: number; reads: number; gets: number; heads: number; lists: number; deletes: number }) => ({
    puts: dec(counts.puts),
    reads: dec(counts.reads),
    gets: dec(counts.gets),
    heads: dec(counts.heads),
    lists: dec(counts.lists),
    deletes: dec(counts.deletes),
  });
  return { ...asStrings(summary), by_artifact: summary.by_artifact.map((entry) => ({ artifact: entry.artifact, ...asStrings(entry) })) };
}

/** The `_details` document. */
export function describeStream(sources: DescriptorSources, row: StreamRow, meta: StreamMeta, expiresAtMs: number | null): Descriptor {
  if (!meta.profile) throw new DescriptorError("invalid stream profile");
  if (!meta.registry) throw new DescriptorError("invalid schema registry");
  const totals = segmentTotals(sources.db, row.id, row.uploaded_segment_count);
  const manifest = getManifestRow(sources.db, row.id);
  const storage = storageOf(sources, row, totals, manifest);
  const body = {
    stream: streamSummary(row, meta, totals, expiresAtMs),
    profile: { apiVersion: PROFILE_API_VERSION, profile: meta.profile.document },
    schema: registryDocument(meta.registry),
    index_status: indexStatusOf(row, meta, totals, manifest),
    storage: { ...storage, local_storage: { ...storage.local_storage, sqlite_shared_total_bytes: dec(sources.sqliteBytes()) } },
    object_store_requests: requestsOf(sources, row),
  };
  return { body, stable: { ...body, storage } };
}
