// The engine's front door for the HTTP layer: lookups and reads run on the serving
// connection, state changes go through the queue to the single writer. No Hono types here.
import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { listStreamRowsAfter, type StreamRow } from "../storage/sqlite/streams.ts";
import type { AppendOutcome, AppendRequest } from "./append-checks.ts";
import type { CreateOutcome, CreateRequest } from "./create.ts";
import type { DeleteOutcome } from "./delete.ts";
import { AccessTracker } from "./expiry.ts";
import { Housekeeping } from "./housekeeping.ts";
import { Notifier, type WaitResult } from "./notifier.ts";
import { Reader, type ReadResult } from "./reader.ts";
import { StreamCache } from "./stream-cache.ts";
import { classifyStream, type ExpiryOf, type StreamStatus } from "./stream-status.ts";
import { ThreadWriter } from "./thread-writer.ts";
import type { BatchEffects } from "./write-batch.ts";
import { InlineWriter, type Writer } from "./writer.ts";
import { WriteQueue } from "./write-queue.ts";

/** Read results kept for live-reader fan-out (small: results can hold a response's bytes). */
const RECENT_READS_MAX = 16;
const RECENT_READ_BYTES_MAX = 256 * 1024;

export interface StreamLookup {
  row: StreamRow | null;
  status: StreamStatus;
}

export class Engine {
  readonly notifier = new Notifier();
  readonly access = new AccessTracker();
  readonly streams: StreamCache;
  readonly queue: WriteQueue;
  private readonly reader: Reader;
  private readonly housekeeping: Housekeeping;
  private readonly expiryOf: ExpiryOf = (row) => this.access.effectiveExpiresAt(row);
  private readonly recentReads = new Map<string, ReadResult>();
  private readonly writers: Writer[];

  private constructor(
    readonly db: Database,
    private readonly config: Config,
    log: Logger,
    thread: Writer | null,
  ) {
    this.streams = new StreamCache(db, config.engine.streamCacheEntries);
    this.queue = new WriteQueue(
      new InlineWriter(db, config.ingest.busyRetryMs, this.streams),
      thread,
      {
        lingerMs: config.ingest.flushDelayMs,
        maxBatchRequests: config.ingest.maxBatchRequests,
        maxBatchBytes: config.ingest.maxBatchBytes,
        maxQueueRequests: config.ingest.maxQueueRequests,
        maxQueueBytes: config.ingest.maxQueueBytes,
        offloadMinBytes: config.ingest.offloadMinBatchBytes,
        requestTimeoutMs: config.ingest.appendTimeoutMs,
      },
      {
        takeRenewals: () => (this.access.size === 0 ? null : [...this.access.drain()]),
        onCommitted: (effects) => this.onCommitted(effects),
        onBatchFailed: (message) => log.error({ message }, "write batch failed"),
      },
    );
    this.writers = thread ? [thread] : [];
    this.reader = new Reader(db, (id) => this.streams.byStreamId(id));
    this.housekeeping = new Housekeeping(db, this.queue, this.expiryOf, config.housekeeping, log);
  }

  /** Builds the engine on a migrated database, with the writer thread unless it is turned off. */
  static async open(db: Database, config: Config, log: Logger, onWriterFailed: (message: string) => void): Promise<Engine> {
    const thread = config.ingest.offloadMinBatchBytes > 0
      ? await ThreadWriter.start(config.dbPath, config.sqlite.cacheBytes, config.ingest.busyRetryMs, (message) => {
          log.fatal({ message }, "writer thread failed");
          onWriterFailed(message);
        })
      : null;
    return new Engine(db, config, log, thread);
  }

  private onCommitted(effects: BatchEffects): void {
    this.streams.apply(effects);
    for (const id of effects.notify) this.notifier.notify(id);
    if (effects.purgeScheduled) this.housekeeping.kickPurger();
  }

  start(): void {
    this.housekeeping.start();
  }

  lookup(name: string, nowMs = Date.now()): StreamLookup {
    const row = this.streams.byStreamName(name);
    return { row, status: classifyStream(row, nowMs, this.expiryOf) };
  }

  create(req: CreateRequest): Promise<CreateOutcome> {
    return this.queue.submit({ op: "create", req });
  }

  append(req: AppendRequest): Promise<AppendOutcome> {
    return this.queue.submit({ op: "append", req });
  }

  delete(name: string): Promise<DeleteOutcome> {
    return this.queue.submit({ op: "delete", name });
  }

  /**
   * Records after `afterSeq`. When an append wakes many live readers at the same position,
   * they all ask for the same range: the last few results are kept, keyed by the tail they
   * saw, so the fan-out reads SQLite once. A new tail changes the key, so nothing stale is
   * ever served.
   */
  read(row: StreamRow, afterSeq: number, key: Uint8Array | null = null): ReadResult {
    if (key !== null) return this.reader.read(row, afterSeq, this.config.read, key);
    const memoKey = `${row.id}:${afterSeq}:${row.next_offset}`;
    const memo = this.recentReads.get(memoKey);
    if (memo) return memo;
    const result = this.reader.read(row, afterSeq, this.config.read, key);
    if (result.bytes > RECENT_READ_BYTES_MAX) return result;
    this.recentReads.set(memoKey, result);
    if (this.recentReads.size > RECENT_READS_MAX) this.recentReads.delete(this.recentReads.keys().next().value!);
    return result;
  }

  /** Position just before the first record appended at or after `sinceMs`. */
  seekTime(row: StreamRow, sinceMs: number): number {
    return this.reader.seekTime(row, sinceMs);
  }

  /** A read renews a sliding TTL; the renewal is stored with the next batch, or soon. */
  recordRead(row: StreamRow): void {
    if (this.access.touch(row, Date.now())) this.queue.requestFlush(this.config.housekeeping.renewalFlushMs);
  }

  expiresAt(row: StreamRow): number | null {
    return this.access.effectiveExpiresAt(row);
  }

  waitForChange(streamId: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    return this.notifier.wait(streamId, timeoutMs, signal);
  }

  /** Live streams in name order, skipping `offset` of them. */
  list(limit: number, offset: number): StreamRow[] {
    const out: StreamRow[] = [];
    let skipped = 0;
    let after = "";
    const now = Date.now();
    while (out.length < limit) {
      const rows = listStreamRowsAfter(this.db, after, 256);
      for (const row of rows) {
        if (classifyStream(row, now, this.expiryOf) !== "live") continue;
        if (skipped < offset) skipped += 1;
        else if (out.length < limit) out.push(row);
      }
      if (rows.length < 256) break;
      after = rows[rows.length - 1]!.stream;
    }
    return out;
  }

  sweepExpired(): Promise<number> {
    return this.housekeeping.sweepOnce();
  }

  /** Stops background work, commits everything queued, ends live reads, closes SQLite. */
  async close(): Promise<void> {
    this.housekeeping.stop();
    // Waiters answer from their last read during the drain below, while SQLite is still open.
    this.notifier.close();
    await this.queue.close();
    for (const writer of this.writers) await writer.close();
    this.db.close();
  }
}
