// The server's own metrics, appended to the internal `__stream_metrics__` stream (spec 03
// §3.3.5): created (JSON) and given the metrics profile at every start-up, then one
// interval record per metric every `DS_METRICS_FLUSH_MS`. Writes go through the writer as
// internal work, so request queue bounds and deadlines never refuse them, and through the
// same ingest path as client appends (the profile normalises, the schema validates).
import { hostname } from "node:os";
import type { Logger } from "pino";
import { INTERNAL_METRICS_STREAM, metricsProfile } from "../profiles/metrics.ts";
import { JSON_CONTENT_TYPE } from "./content-types.ts";
import type { Engine } from "./engine.ts";
import { ingestRecords } from "./ingest.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import { NO_RECORDS } from "./records.ts";

interface Counters {
  commands: number;
  bytes: number;
  batches: number;
  commitMs: number;
  timeouts: number;
}

/** One interval record in the metrics profile's input shape. */
function interval(metric: string, unit: string, count: number, sum: number, extra: Record<string, unknown>): Record<string, unknown> {
  return { metric, unit, count, sum, ...extra };
}

export class SelfMetrics {
  private timer: ReturnType<typeof setInterval> | null = null;
  private last: Counters;
  private lastAtMs = Date.now();
  private readonly instance = hostname();
  private flushing = false;

  constructor(
    private readonly engine: Engine,
    private readonly flushIntervalMs: number,
    private readonly log: Logger,
  ) {
    this.last = { ...engine.queue.stats };
  }

  /** Creates the stream if needed and installs the profile (resetting its registry), then starts the timer. */
  async start(): Promise<void> {
    const created = await this.engine.submitInternal({
      op: "create",
      req: { name: INTERNAL_METRICS_STREAM, contentType: JSON_CONTENT_TYPE, recordsContentType: JSON_CONTENT_TYPE, ttlSeconds: null, expiresAtMs: null, close: false, records: NO_RECORDS, fork: null },
    });
    if (created.kind !== "created" && created.kind !== "exists") {
      this.log.warn({ stream: INTERNAL_METRICS_STREAM, outcome: created.kind }, "internal metrics stream unavailable; server metrics are not recorded");
      return;
    }
    const installed = await this.engine.submitInternal({ op: "profile", name: INTERNAL_METRICS_STREAM, document: { kind: metricsProfile.kind } });
    if (installed.kind !== "ok") {
      this.log.warn({ stream: INTERNAL_METRICS_STREAM, outcome: installed }, "internal metrics stream refused its profile; server metrics are not recorded");
      return;
    }
    if (this.flushIntervalMs <= 0) return;
    // Prepare one window now and drop it (the server is not serving yet): the first
    // preparation compiles the registry's validators, which in the first flush held the
    // event loop for ~40 ms ten seconds into serving, a spike in every live reader's latency.
    const row = this.engine.lookup(INTERNAL_METRICS_STREAM).row;
    if (row) this.prepare(row, Date.now());
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The records of the window since the last flush: counter deltas and current gauges. */
  records(nowMs: number): Record<string, unknown>[] {
    const now = { ...this.engine.queue.stats };
    const last = this.last;
    const window = { windowStart: this.lastAtMs, windowEnd: nowMs, instance: this.instance };
    const gauge = (metric: string, unit: string, value: number) =>
      interval(metric, unit, 1, value, { ...window, metricKind: "gauge", min: value, max: value });
    const requests = now.commands - last.commands;
    const batches = now.batches - last.batches;
    this.last = now;
    this.lastAtMs = nowMs;
    return [
      interval("ds.ingest.requests", "request", requests, requests, window),
      interval("ds.ingest.bytes", "byte", requests, now.bytes - last.bytes, window),
      interval("ds.ingest.commit_time", "ms", batches, now.commitMs - last.commitMs, window),
      interval("ds.ingest.timeouts", "request", now.timeouts - last.timeouts, now.timeouts - last.timeouts, window),
      gauge("ds.ingest.queue_depth", "request", this.engine.queue.depth.requests),
      gauge("ds.live.waiters", "reader", this.engine.notifier.waiterCount),
      gauge("ds.process.rss", "byte", process.memoryUsage().rss),
    ];
  }

  /** The window since the last one as records ready to append (through the profile and registry). */
  private prepare(row: StreamRow, nowMs: number) {
    const records = this.records(nowMs);
    const body = new TextEncoder().encode(records.map((r) => JSON.stringify(r)).join(","));
    const ingested = ingestRecords(this.engine.meta(row), {
      contentType: row.content_type,
      records: { chunks: [body], count: records.length },
      headerKey: null,
      nowMs,
    });
    if (!ingested.ok) throw new Error(ingested.message);
    return ingested;
  }

  /** Appends one window of records; a window that fails is logged and dropped. */
  async flush(nowMs = Date.now()): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      const row = this.engine.lookup(INTERNAL_METRICS_STREAM).row;
      if (!row) return;
      const ingested = this.prepare(row, nowMs);
      const outcome = await this.engine.submitInternal({
        op: "append",
        req: { name: INTERNAL_METRICS_STREAM, contentType: row.content_type, records: ingested.records, routingKey: ingested.routingKey, close: false, producer: null, streamSeq: null, timestampMs: null, metaVersion: row.meta_version },
      });
      if (outcome.kind !== "ok") this.log.warn({ outcome: outcome.kind }, "server metrics append refused");
    } catch (error) {
      this.log.warn({ err: error }, "server metrics append failed");
    } finally {
      this.flushing = false;
    }
  }
}
