// Server-level endpoints: liveness and an in-process metrics snapshot.
import type { Context } from "hono";
import { payloadFileTotals } from "../storage/sqlite/payload-files.ts";
import type { HttpDeps } from "./env.ts";

const startedAt = Date.now();

export function healthHandler() {
  return (c: Context): Response => c.json({ ok: true }, 200, { "cache-control": "no-store" });
}

export function metricsHandler(deps: HttpDeps) {
  return (c: Context): Response => {
    const queue = deps.engine.queue.depth;
    return c.json(
      {
        uptime_ms: Date.now() - startedAt,
        ingest_queue: queue,
        ingest: deps.engine.queue.stats,
        wal_checkpoints: deps.engine.checkpointer?.stats ?? null,
        wal_payload_files: walPayloadFiles(deps),
        live_waiters: deps.engine.notifier.waiterCount,
        tiering: tieringMetrics(deps),
        memory: { ...process.memoryUsage(), paced_collections: { appends: deps.engine.gc.appends.stats, reads: deps.engine.gc.reads.stats } },
      },
      200,
      { "cache-control": "no-store" },
    );
  };
}

function walPayloadFiles(deps: HttpDeps) {
  const totals = payloadFileTotals(deps.engine.db);
  return { files: totals.files, size_bytes: totals.sizeBytes, live_bytes: totals.liveBytes };
}

function tieringMetrics(deps: HttpDeps) {
  const { segmenter, uploader, segments, objects } = deps.engine.tiering;
  return {
    object_store: objects.kind,
    segmenter: segmenter.stats,
    uploader: { ...uploader.stats, pending_segments: uploader.pendingSegments() },
    segment_reads: { ...segments.stats, cache_bytes: segments.cachedBytes },
  };
}
