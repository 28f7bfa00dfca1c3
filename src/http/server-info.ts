// Node-level descriptors (spec 05 §4): `/v1/server/_details` (configured limits and what the
// server is doing now) and `/v1/server/_mem` (memory figures this process can measure:
// process counters, the kernel's RSS breakdown, the JavaScript heap, cache sizes).
import { heapStats } from "bun:jsc";
import { readFileSync } from "node:fs";
import type { Context } from "hono";
import { sqliteFileBytes } from "../storage/sqlite/open.ts";
import { topStreamsByWalBytes } from "../storage/sqlite/streams.ts";
import type { HttpDeps } from "./env.ts";
import { badRequest } from "./errors.ts";
import { jsonResponse } from "./json-body.ts";

const TOP_STREAMS = 10;

/** Fields of `/proc/self/status` in bytes (Linux); empty elsewhere. */
function procStatus(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const match of readFileSync("/proc/self/status", "utf8").matchAll(/^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem):\s+(\d+) kB$/gm)) {
      out[match[1]!] = Number(match[2]) * 1024;
    }
  } catch {
    // not Linux
  }
  return out;
}

function configuredLimits(deps: HttpDeps) {
  const c = deps.config;
  return {
    caches: {
      sqlite_cache_bytes: c.sqlite.cacheBytes,
      segment_cache_bytes: c.tiering.segmentCacheMaxBytes,
      stream_cache_entries: c.engine.streamCacheEntries,
      stream_meta_cache_entries: c.engine.metaCacheEntries,
    },
    concurrency: { ingest: 1, segmenter: 1, upload: c.tiering.uploadConcurrency },
    ingest: {
      max_batch_requests: c.ingest.maxBatchRequests,
      max_batch_bytes: c.ingest.maxBatchBytes,
      max_queue_requests: c.ingest.maxQueueRequests,
      max_queue_bytes: c.ingest.maxQueueBytes,
      busy_timeout_ms: c.ingest.busyRetryMs,
      max_body_bytes: c.ingest.maxBodyBytes,
    },
    read: { max_bytes: c.read.maxBytes, max_records: c.read.maxRecords, long_poll_default_ms: c.live.longPollDefaultMs, long_poll_max_ms: c.live.longPollMaxMs },
    segmenting: {
      segment_max_bytes: c.tiering.segmentMaxBytes,
      segment_target_rows: c.tiering.segmentTargetRows,
      segment_max_rows: c.tiering.segmentMaxRows,
      segment_max_interval_ms: c.tiering.segmentMaxIntervalMs,
      block_max_bytes: c.tiering.blockMaxBytes,
    },
    timeouts: {
      append_request_timeout_ms: c.ingest.appendTimeoutMs,
      request_timeout_ms: c.http.requestTimeoutMs,
      object_store_timeout_ms: c.tiering.objectStoreTimeoutMs,
    },
    gc: { pace_bytes: c.engine.gcPaceBytes, min_interval_ms: c.engine.gcMinIntervalMs },
    memory: { pressure_limit_bytes: c.memory.limitBytes },
  };
}

export function serverDetailsHandler(deps: HttpDeps) {
  return (c: Context): Response => {
    if (c.req.method !== "GET") throw badRequest("unsupported method");
    const engine = deps.engine;
    const status = procStatus();
    const queue = engine.queue.depth;
    const tune = deps.config.autoTune;
    return jsonResponse({
      mode: deps.config.mode,
      object_store: engine.objectRequests.kind,
      auto_tune: {
        enabled: tune.enabled,
        requested_memory_mb: tune.requestedMemoryMb,
        preset_mb: tune.presetMb,
        effective_memory_limit_mb: tune.effectiveMemoryLimitMb,
      },
      configured_limits: configuredLimits(deps),
      runtime: {
        memory: { rss_bytes: process.memoryUsage.rss(), max_rss_bytes: status.VmHWM ?? null },
        ingest_queue: {
          requests: queue.requests,
          bytes: queue.bytes,
          full: queue.requests >= deps.config.ingest.maxQueueRequests || queue.bytes >= deps.config.ingest.maxQueueBytes,
        },
        uploads: { pending_segments: engine.tiering.uploader.pendingSegments() },
        live: { stream_waiters: engine.notifier.waiterCount, descriptor_waiters: engine.descriptors.waiterCount },
        top_streams: topStreamsByWalBytes(engine.db, TOP_STREAMS).map((row) => ({
          name: row.stream,
          wal_bytes: String(row.wal_bytes),
          pending_bytes: String(row.pending_bytes),
        })),
      },
    });
  };
}

export function serverMemHandler(deps: HttpDeps) {
  return (c: Context): Response => {
    if (c.req.method !== "GET") throw badRequest("unsupported method");
    const engine = deps.engine;
    const status = procStatus();
    const heap = heapStats();
    return jsonResponse({
      ts: new Date().toISOString(),
      process: process.memoryUsage(),
      process_breakdown: {
        rss_bytes: status.VmRSS ?? null,
        rss_anon_bytes: status.RssAnon ?? null,
        rss_file_bytes: status.RssFile ?? null,
        rss_shmem_bytes: status.RssShmem ?? null,
      },
      high_water: { max_rss_bytes: status.VmHWM ?? null },
      js_heap: { heap_size: heap.heapSize, heap_capacity: heap.heapCapacity, extra_memory_size: heap.extraMemorySize, object_count: heap.objectCount },
      gc: { appends: engine.gc.appends.stats, reads: engine.gc.reads.stats },
      caches: {
        read_results: engine.readCache.stats,
        stream_rows: engine.streams.size,
        segment_disk_cache_bytes: engine.tiering.segments.cachedBytes,
        open_segment_files: engine.tiering.segments.openFileCount,
      },
      sqlite: { file_bytes: sqliteFileBytes(deps.config.dbPath) },
    });
  };
}
