// Rebuilding a data directory from the object store alone (`--bootstrap-from-r2`): every
// manifest becomes a stream row, its published segments become catalog rows (verified to
// exist), and the server then reads history from the bucket on demand. What was never
// published (the WAL tail after the last manifest) cannot come back; it is reported.
//
// Order (docs/storage.md, "Bootstrap"):
//   1. write the marker `bootstrap.incomplete` (fsynced) into DS_ROOT
//   2. remove the SQLite files, local segments and caches (the directory starts empty)
//   3. list manifests, read each, check the segment objects of every stream still read exist
//      (any missing: abort), read its schema registry object if it has one
//   4. COMMIT POINT: one transaction inserts streams, segments, arrays, manifest generations
//      and fork links
//   5. remove the marker
// A crash before 5 leaves the marker: the server refuses to start on that directory until a
// bootstrap runs again and completes, so a half-restored directory is never served.
import type { Database } from "bun:sqlite";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { payloadDirOf } from "./payload-files.ts";
import { join } from "node:path";
import type { Logger } from "pino";
import { retry, type RetryPolicy } from "../util/retry.ts";
import { fsyncDirectory } from "./segment/file.ts";
import { parseManifest, type Manifest } from "./manifest.ts";
import { sha256Hex, type ObjectStore } from "./object-store/object-store.ts";
import { MANIFEST_SUFFIX, schemaRegistryKey, segmentKey } from "./paths.ts";
import { openDatabase } from "./sqlite/open.ts";
import { insertSegment, putManifestRow, putSegmentMeta } from "./sqlite/segments.ts";
import { putProfileJson, putRegistryJson } from "./sqlite/stream-meta.ts";
import { FLAG_DELETED, insertStream, type NewStreamRow } from "./sqlite/streams.ts";

export interface BootstrapOptions {
  root: string;
  dbPath: string;
  retry: RetryPolicy;
}

export interface BootstrapReport {
  streams: number;
  deleted: number;
  segments: number;
  /** Records acknowledged before the last publish but never published: lost. */
  unpublishedRecords: number;
  /** Forks whose source never published: restored without the inherited history. */
  orphanedForks: number;
}

export class BootstrapError extends Error {}

const MARKER = "bootstrap.incomplete";

/** Throws when a bootstrap into `root` was interrupted (the directory must not be served). */
export function assertNoInterruptedBootstrap(root: string): void {
  if (existsSync(join(root, MARKER))) {
    throw new BootstrapError(`a bootstrap into ${root} did not complete; start again with --bootstrap-from-r2`);
  }
}

interface Restored {
  manifest: Manifest;
  /** Nothing reads it again (deleted, and no restored fork reads through it). */
  released: boolean;
  /** Restored forks reading through it directly. */
  forkRefcount: number;
  /** The source's manifest is missing: inherited history is gone. */
  orphaned: boolean;
  segments: Array<{ size: number; etag: string }>;
  /** The schema registry object's JSON, when the stream has one. */
  registry: string | null;
}

export async function bootstrapFromObjectStore(options: BootstrapOptions, objects: ObjectStore, log: Logger): Promise<BootstrapReport> {
  const marker = join(options.root, MARKER);
  mkdirSync(options.root, { recursive: true });
  writeFileSync(marker, `${new Date().toISOString()}\n`, { flush: true });
  fsyncDirectory(options.root);
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${options.dbPath}${suffix}`, { force: true });
  rmSync(payloadDirOf(options.dbPath), { recursive: true, force: true });
  rmSync(join(options.root, "local"), { recursive: true, force: true });
  rmSync(join(options.root, "cache"), { recursive: true, force: true });

  const keys = (await retry(options.retry, () => objects.list("streams/"))).filter((key) => key.endsWith(MANIFEST_SUFFIX));
  const byName = new Map<string, Manifest>();
  for (const key of keys) {
    const bytes = await retry(options.retry, () => objects.get(key));
    if (!bytes) throw new BootstrapError(`manifest ${key} vanished during bootstrap`);
    const manifest = parseManifest(new TextDecoder().decode(bytes));
    byName.set(manifest.name, manifest);
  }

  const restored = planRestore(byName);
  for (const stream of restored) {
    if (stream.released) continue;
    for (let i = 0; i < stream.manifest.segments.length; i++) {
      const key = segmentKey(stream.manifest.name, i);
      const head = await retry(options.retry, () => objects.head(key));
      if (!head) throw new BootstrapError(`segment ${key} of ${stream.manifest.name} is listed in its manifest but missing`);
      stream.segments.push({ size: head.size, etag: head.etag });
    }
    stream.registry = await fetchRegistry(objects, stream.manifest.name, options.retry);
  }

  const db = openDatabase(options.dbPath);
  try {
    const report = db.transaction(() => restoreAll(db, restored))();
    if (report.unpublishedRecords > 0) {
      log.warn({ records: report.unpublishedRecords }, "bootstrap: records acknowledged after the last published manifest were never published and are lost");
    }
    if (report.orphanedForks > 0) {
      log.warn({ forks: report.orphanedForks }, "bootstrap: forks whose source never published are restored without the history they inherited");
    }
    db.close();
    rmSync(marker);
    fsyncDirectory(options.root);
    log.info(report, "bootstrap from object store complete");
    return report;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Which restored streams are still read: live ones, and deleted ones some live stream reads
 * through (directly or via deleted forks). Fork reference counts are recounted from what is
 * restored, as the published counts may predate later deletions.
 */
export function planRestore(byName: ReadonlyMap<string, Manifest>): Restored[] {
  const isDeletedManifest = (m: Manifest) => (m.stream_flags & FLAG_DELETED) !== 0;
  const needed = new Set<string>();
  for (const m of byName.values()) {
    if (isDeletedManifest(m)) continue;
    needed.add(m.name);
    for (let source = m.fork_source; source !== null && !needed.has(source); ) {
      const next = byName.get(source);
      if (!next) break;
      needed.add(source);
      source = next.fork_source;
    }
  }
  const refcounts = new Map<string, number>();
  for (const name of needed) {
    const source = byName.get(name)!.fork_source;
    if (source !== null && byName.has(source)) refcounts.set(source, (refcounts.get(source) ?? 0) + 1);
  }
  return [...byName.values()].map((manifest) => ({
    manifest,
    released: !needed.has(manifest.name),
    forkRefcount: refcounts.get(manifest.name) ?? 0,
    orphaned: manifest.fork_source !== null && !byName.has(manifest.fork_source),
    segments: [],
    registry: null,
  }));
}

async function fetchRegistry(objects: ObjectStore, name: string, policy: RetryPolicy): Promise<string | null> {
  const bytes = await retry(policy, () => objects.get(schemaRegistryKey(name)));
  if (!bytes) return null;
  const text = new TextDecoder().decode(bytes);
  try {
    JSON.parse(text);
  } catch {
    throw new BootstrapError(`the schema registry of ${name} is not JSON`);
  }
  return text;
}

function restoreAll(db: Database, streams: Restored[]): BootstrapReport {
  const report: BootstrapReport = { streams: 0, deleted: 0, segments: 0, unpublishedRecords: 0, orphanedForks: 0 };
  const now = Date.now();
  const idsByName = new Map<string, number>();
  for (const stream of streams) {
    const m = stream.manifest;
    const base = m.fork_source ? m.fork_base_offset : 0;
    const count = stream.segments.length;
    const uploadedThrough = count === 0 ? base - 1 : m.segments[count - 1]!.endExclusive - 1;
    const lastAppendMs = count > 0 ? m.segments[count - 1]!.lastAppendMs : Math.floor(m.last_committed_ts / 1_000_000);
    const row = insertStream(db, streamFields(stream, uploadedThrough, lastAppendMs, now));
    idsByName.set(m.name, row.id);
    if (m.profile_json !== null && m.profile_json !== undefined) putProfileJson(db, row.id, JSON.stringify(m.profile_json), now);
    if (stream.registry !== null) putRegistryJson(db, row.id, stream.registry, now);
    let start = base;
    for (let i = 0; i < count; i++) {
      const segment = m.segments[i]!;
      insertSegment(db, {
        stream_id: row.id,
        segment_index: i,
        start_offset: start,
        end_offset: segment.endExclusive - 1,
        block_count: segment.blocks,
        record_count: segment.endExclusive - start,
        last_append_ms: segment.lastAppendMs,
        payload_bytes: 0,
        size_bytes: stream.segments[i]!.size,
        created_at_ms: now,
        uploaded_at_ms: now,
        etag: stream.segments[i]!.etag,
      });
      start = segment.endExclusive;
    }
    putSegmentMeta(db, row.id, encodeMeta(m, count));
    putManifestRow(db, row.id, {
      generation: m.generation,
      uploaded_generation: m.generation,
      last_uploaded_at_ms: now,
      last_uploaded_etag: null,
      last_uploaded_size_bytes: null,
      publish_pending: 0,
      registry_sha256: stream.registry === null ? null : sha256Hex(new TextEncoder().encode(stream.registry)),
    });
    report.streams += 1;
    report.segments += count;
    if ((m.stream_flags & FLAG_DELETED) !== 0) report.deleted += 1;
    else report.unpublishedRecords += Math.max(0, m.next_offset - 1 - uploadedThrough);
    if (stream.orphaned && !stream.released) {
      report.orphanedForks += 1;
      report.unpublishedRecords += base;
    }
  }
  for (const stream of streams) {
    const source = stream.manifest.fork_source;
    if (source === null || stream.orphaned) continue;
    db.query("UPDATE streams SET fork_source_id = ? WHERE id = ?").run(idsByName.get(source)!, idsByName.get(stream.manifest.name)!);
  }
  return report;
}

function streamFields(stream: Restored, uploadedThrough: number, lastAppendMs: number, now: number): NewStreamRow {
  const m = stream.manifest;
  return {
    stream: m.name,
    created_at_ms: Date.parse(m.created_at),
    updated_at_ms: now,
    content_type: m.content_type,
    // Stored as published: a declared default kind reads the same as none.
    profile: m.profile,
    stream_seq: m.stream_seq,
    closed: m.closed,
    closed_producer_id: m.closed_producer_id,
    closed_producer_epoch: m.closed_producer_epoch,
    closed_producer_seq: m.closed_producer_seq,
    ttl_seconds: m.ttl_seconds,
    expires_at_ms: m.expires_at === null ? null : Date.parse(m.expires_at),
    epoch: m.epoch,
    // Offsets between the last published segment and this head existed but were never
    // published: they stay a hole, and new appends continue after it.
    next_offset: m.next_offset,
    sealed_through: uploadedThrough,
    uploaded_through: uploadedThrough,
    uploaded_segment_count: stream.segments.length,
    pending_rows: 0,
    pending_bytes: 0,
    logical_size_bytes: Number(m.logical_size_bytes),
    wal_rows: 0,
    wal_bytes: 0,
    last_append_ms: lastAppendMs,
    last_segment_cut_ms: now,
    segment_in_progress: 0,
    stream_flags: m.stream_flags,
    fork_source_id: null,
    fork_base_offset: m.fork_base_offset,
    fork_offset: m.fork_offset,
    fork_sub_offset: m.fork_sub_offset,
    fork_refcount: stream.forkRefcount,
    meta_version: 0,
  };
}

function encodeMeta(m: Manifest, count: number): { segment_count: number; segment_offsets: Uint8Array; segment_blocks: Uint8Array; segment_last_ts: Uint8Array } {
  const offsets = new DataView(new ArrayBuffer(8 * count));
  const blocks = new DataView(new ArrayBuffer(4 * count));
  const lastTs = new DataView(new ArrayBuffer(8 * count));
  for (let i = 0; i < count; i++) {
    const segment = m.segments[i]!;
    offsets.setBigUint64(i * 8, BigInt(segment.endExclusive), true);
    blocks.setUint32(i * 4, segment.blocks, true);
    lastTs.setBigUint64(i * 8, BigInt(segment.lastAppendMs) * 1_000_000n, true);
  }
  return {
    segment_count: count,
    segment_offsets: new Uint8Array(offsets.buffer),
    segment_blocks: new Uint8Array(blocks.buffer),
    segment_last_ts: new Uint8Array(lastTs.buffer),
  };
}
