// The segmenter: cuts a stream's unsealed WAL records into an immutable segment file once
// it holds enough bytes or rows, or has been quiet long enough, then records the seal
// through the writer. Builds run on segmenter worker threads (`DS_SEGMENTER_WORKERS`, one
// build per thread at a time), or inline in chunks that yield to request handling.
//
// Commit order of a seal (docs/storage.md, "Seal"):
//   1. read WAL rows after `sealed_through`, write blocks to `<index>.bin.tmp`
//   2. write the footer, fsync, rename to `<index>.bin`, fsync the directory
//        crash → an orphan file; the next build of that index overwrites it
//   3. COMMIT POINT: the writer inserts the segment row and advances `sealed_through`
//        crash → committed; the uploader picks the segment up after restart
import type { Database } from "bun:sqlite";
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import { localSegmentPath } from "../../storage/paths.ts";
import { segmentCount } from "../../storage/sqlite/segments.ts";
import type { StreamRow } from "../../storage/sqlite/streams.ts";
import { crashPoint } from "../../util/crash-point.ts";
import { isJsonType } from "../content-types.ts";
import { isReleased, type SealRequest } from "../tiering.ts";
import type { WriteQueue } from "../write-queue.ts";
import { sealBytesTarget } from "./seal-policy.ts";
import type { BuildPlan, BuildResult } from "./segment-build.ts";

export interface SegmenterOptions {
  root: string;
  segmentMaxBytes: number;
  segmentTargetRows: number;
  segmentMaxRows: number;
  maxIntervalMs: number;
  checkMs: number;
  blockMaxBytes: number;
  /** Builds running at once (one per worker thread). */
  concurrency: number;
}

/** Writes one segment file (on a worker thread or inline); null when there was nothing to seal. */
export type SegmentBuilder = (plan: BuildPlan) => Promise<BuildResult | null>;

const FAILURE_BACKOFF_MAX_MS = 60_000;

export class Segmenter {
  /** Streams with unsealed records, as last committed. */
  private readonly candidates = new Map<number, StreamRow>();
  private readonly failures = new Map<number, { count: number; retryAt: number }>();
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Builds in flight, by stream id. */
  private readonly building = new Map<number, Promise<void>>();
  private stopped = false;
  readonly stats = { sealed: 0, sealedBytes: 0, failed: 0 };

  constructor(
    private readonly db: Database,
    private readonly queue: WriteQueue,
    private readonly options: SegmenterOptions,
    private readonly builder: SegmentBuilder,
    private readonly log: Logger,
    private readonly onSealed: () => void,
  ) {}

  start(): void {
    for (const row of this.db.query<StreamRow, []>("SELECT * FROM streams WHERE pending_rows > 0").all()) this.observe(row);
    this.timer = setInterval(() => this.tick(), this.options.checkMs);
  }

  /** Learns a committed row; streams with unsealed records become candidates. */
  observe(row: StreamRow): void {
    if (row.pending_rows > 0 && !isReleased(row)) this.candidates.set(row.id, row);
    else this.candidates.delete(row.id);
  }

  private tick(): void {
    if (this.stopped) return;
    while (this.building.size < this.options.concurrency) {
      const due = this.dueStream(Date.now());
      if (!due) return;
      this.startBuild(due);
    }
  }

  private startBuild(row: StreamRow): Promise<void> {
    const running = this.build(row)
      .catch((error) => this.failed(row, error))
      .finally(() => this.building.delete(row.id));
    this.building.set(row.id, running);
    return running;
  }

  /** The most backlogged stream that should be sealed now, if any. */
  private dueStream(nowMs: number): StreamRow | null {
    let best: StreamRow | null = null;
    for (const row of this.candidates.values()) {
      if (this.building.has(row.id)) continue;
      const failure = this.failures.get(row.id);
      if (failure && failure.retryAt > nowMs) continue;
      if (!this.shouldSeal(row, nowMs)) continue;
      if (!best || row.pending_bytes > best.pending_bytes) best = row;
    }
    return best;
  }

  private shouldSeal(row: StreamRow, nowMs: number): boolean {
    const o = this.options;
    if (row.pending_rows >= o.segmentTargetRows || row.pending_bytes >= o.segmentMaxBytes) return true;
    return o.maxIntervalMs > 0 && nowMs - row.last_segment_cut_ms >= o.maxIntervalMs;
  }

  private async build(row: StreamRow): Promise<void> {
    const o = this.options;
    const index = segmentCount(this.db, row.id);
    const path = localSegmentPath(o.root, row.id, index);
    const start = row.sealed_through + 1;
    const built = await this.builder({
      streamId: row.id,
      path,
      start,
      last: row.next_offset - 1,
      bytesTarget: sealBytesTarget(this.db, row.id, o.segmentMaxBytes),
      targetRows: o.segmentTargetRows,
      maxRows: o.segmentMaxRows,
      blockMaxBytes: o.blockMaxBytes,
      json: isJsonType(row.content_type),
      // Records per row vary (JSON appends); bytes per record is the estimate at hand.
      bytesPerRecord: row.pending_rows > 0 ? row.pending_bytes / row.pending_rows : 0,
    });
    if (!built || this.stopped) {
      if (built) await rm(path, { force: true });
      return;
    }
    crashPoint("seal:after-rename");
    const seal: SealRequest = {
      streamId: row.id,
      segmentIndex: index,
      startOffset: start,
      endOffset: built.endSeq,
      blockCount: built.blockCount,
      recordCount: built.recordCount,
      lastAppendMs: built.lastAppendMs,
      payloadBytes: built.payloadBytes,
      walBytes: built.walBytes,
      sizeBytes: built.sizeBytes,
    };
    const outcome = await this.queue.submitInternal({ op: "seal", req: seal });
    if (outcome === "stale") {
      await rm(path, { force: true });
      return;
    }
    crashPoint("seal:after-commit");
    this.failures.delete(row.id);
    this.stats.sealed++;
    this.stats.sealedBytes += built.sizeBytes;
    this.onSealed();
  }

  private failed(row: StreamRow, error: unknown): void {
    if (this.stopped) return;
    this.stats.failed++;
    const count = (this.failures.get(row.id)?.count ?? 0) + 1;
    const delay = Math.min(FAILURE_BACKOFF_MAX_MS, 500 * 2 ** (count - 1));
    this.failures.set(row.id, { count, retryAt: Date.now() + delay });
    this.log.warn({ err: error, stream: row.stream }, "segment build failed");
  }

  /** Stops scheduling and waits for the builds in progress to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.building.values());
  }

  /** For tests and tools: seal every due stream now, one after another. */
  async sealDue(): Promise<void> {
    for (;;) {
      await Promise.all(this.building.values());
      const due = this.dueStream(Date.now());
      if (!due) return;
      await this.startBuild(due);
    }
  }
}
