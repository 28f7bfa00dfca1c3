// The segmenter: cuts a stream's unsealed WAL records into an immutable segment file once
// it holds enough bytes or rows, or has been quiet long enough, then records the seal
// through the writer. One build at a time, in chunks that yield to request handling.
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
import { SegmentWriter } from "../../storage/segment/file.ts";
import { segmentCount } from "../../storage/sqlite/segments.ts";
import type { StreamRow } from "../../storage/sqlite/streams.ts";
import { readWalRowsWithKeys } from "../../storage/sqlite/wal.ts";
import { crashPoint } from "../../util/crash-point.ts";
import { isJsonType } from "../content-types.ts";
import { splitJsonValues } from "../json-split.ts";
import { isReleased, type SealRequest } from "../tiering.ts";
import type { WriteQueue } from "../write-queue.ts";
import { sealBytesTarget } from "./seal-policy.ts";

export interface SegmenterOptions {
  root: string;
  segmentMaxBytes: number;
  segmentTargetRows: number;
  segmentMaxRows: number;
  maxIntervalMs: number;
  checkMs: number;
  blockMaxBytes: number;
}

const WAL_ROWS_PER_READ = 256;
/** A build reads about this many WAL bytes per query (fewer rows when they are large). */
const WAL_BYTES_PER_READ = 1024 * 1024;
const FAILURE_BACKOFF_MAX_MS = 60_000;

export class Segmenter {
  /** Streams with unsealed records, as last committed. */
  private readonly candidates = new Map<number, StreamRow>();
  private readonly failures = new Map<number, { count: number; retryAt: number }>();
  private timer: ReturnType<typeof setInterval> | null = null;
  private building: Promise<void> | null = null;
  private stopped = false;
  readonly stats = { sealed: 0, sealedBytes: 0, failed: 0 };

  constructor(
    private readonly db: Database,
    private readonly queue: WriteQueue,
    private readonly options: SegmenterOptions,
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
    if (this.building || this.stopped) return;
    const due = this.dueStream(Date.now());
    if (!due) return;
    this.building = this.build(due)
      .catch((error) => this.failed(due, error))
      .finally(() => {
        this.building = null;
      });
  }

  /** The most backlogged stream that should be sealed now, if any. */
  private dueStream(nowMs: number): StreamRow | null {
    let best: StreamRow | null = null;
    for (const row of this.candidates.values()) {
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
    const bytesTarget = sealBytesTarget(this.db, row.id, o.segmentMaxBytes);
    const index = segmentCount(this.db, row.id);
    const path = localSegmentPath(o.root, row.id, index);
    const writer = await SegmentWriter.create(path, o.blockMaxBytes);
    const json = isJsonType(row.content_type);
    const start = row.sealed_through + 1;
    const last = row.next_offset - 1;
    let cursor = start;
    let walBytes = 0;
    // Records per row vary (JSON appends); bytes per record is the estimate at hand.
    const bytesPerRecord = row.pending_rows > 0 ? row.pending_bytes / row.pending_rows : 0;
    const rowsPerRead = Math.max(4, Math.min(WAL_ROWS_PER_READ, Math.floor(WAL_BYTES_PER_READ / Math.max(1, bytesPerRecord))));
    let done = false;
    try {
      while (!done && cursor <= last && !this.stopped) {
        const walRows = readWalRowsWithKeys(this.db, row.id, cursor, last, rowsPerRead);
        if (walRows.length === 0) break; // a hole after a bootstrap: nothing more to seal
        for (const walRow of walRows) {
          const payloads = json && walRow.record_count > 1 ? splitJsonValues(walRow.payload) : [walRow.payload];
          for (let i = 0; i < payloads.length; i++) {
            await writer.add(walRow.offset + i, { tsMs: walRow.ts_ms, key: walRow.routing_key, payload: payloads[i]! });
          }
          walBytes += walRow.payload.byteLength;
          cursor = walRow.offset + walRow.record_count;
          // Segments end on an append boundary, so no WAL row is ever half sealed.
          if (walBytes >= bytesTarget || writer.records >= o.segmentTargetRows || writer.records >= o.segmentMaxRows) {
            done = true;
            break;
          }
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (writer.records === 0 || this.stopped) {
        await writer.abort();
        return;
      }
    } catch (error) {
      await writer.abort();
      throw error;
    }
    const written = await writer.finish();
    crashPoint("seal:after-rename");
    const seal: SealRequest = {
      streamId: row.id,
      segmentIndex: index,
      startOffset: start,
      endOffset: cursor - 1,
      blockCount: written.blocks.length,
      recordCount: written.recordCount,
      lastAppendMs: written.lastTsMs,
      payloadBytes: written.payloadBytes,
      walBytes,
      sizeBytes: written.sizeBytes,
    };
    const outcome = await this.queue.submitInternal({ op: "seal", req: seal });
    if (outcome === "stale") {
      await rm(path, { force: true });
      return;
    }
    crashPoint("seal:after-commit");
    this.failures.delete(row.id);
    this.stats.sealed++;
    this.stats.sealedBytes += written.sizeBytes;
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

  /** Stops scheduling and waits for a build in progress to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.building;
  }

  /** For tests and tools: seal every due stream now, one after another. */
  async sealDue(): Promise<void> {
    for (;;) {
      await this.building;
      const due = this.dueStream(Date.now());
      if (!due) return;
      this.building = this.build(due).finally(() => {
        this.building = null;
      });
      await this.building;
    }
  }
}
