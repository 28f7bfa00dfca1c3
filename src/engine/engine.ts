// The engine's front door for the HTTP layer: lookups and reads run directly on SQLite,
// state changes go through the single writer. No Hono types here.
import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { getStreamById, getStreamByName, listStreamRowsAfter, type StreamRow } from "../storage/sqlite/streams.ts";
import { appendCommand } from "./append.ts";
import type { AppendOutcome, AppendRequest } from "./append-checks.ts";
import { AppendQueue } from "./append-queue.ts";
import type { EngineContext } from "./context.ts";
import { createCommand, type CreateOutcome, type CreateRequest } from "./create.ts";
import { applyRenewals, deleteCommand, type DeleteOutcome } from "./delete.ts";
import { AccessTracker } from "./expiry.ts";
import { Housekeeping } from "./housekeeping.ts";
import { Notifier, type WaitResult } from "./notifier.ts";
import { Reader, type ReadResult } from "./reader.ts";
import { classifyStream, type StreamStatus } from "./stream-status.ts";

export interface StreamLookup {
  row: StreamRow | null;
  status: StreamStatus;
}

export class Engine {
  readonly notifier = new Notifier();
  readonly access = new AccessTracker();
  readonly queue: AppendQueue;
  private readonly reader: Reader;
  private readonly housekeeping: Housekeeping;
  private readonly ctx: EngineContext;

  constructor(
    readonly db: Database,
    private readonly config: Config,
    log: Logger,
  ) {
    this.ctx = {
      notifier: this.notifier,
      access: this.access,
      onPurgeScheduled: () => this.housekeeping.kickPurger(),
    };
    this.queue = new AppendQueue(
      db,
      {
        flushDelayMs: config.ingest.flushDelayMs,
        maxBatchRequests: config.ingest.maxBatchRequests,
        maxBatchBytes: config.ingest.maxBatchBytes,
        maxQueueRequests: config.ingest.maxQueueRequests,
        maxQueueBytes: config.ingest.maxQueueBytes,
        busyRetryMs: config.ingest.busyRetryMs,
      },
      {
        beforeCommands: (batch) => {
          if (this.access.size > 0) applyRenewals(batch, this.access.drain());
        },
        onBatchError: (error) => log.error({ err: error }, "ingest transaction failed"),
      },
    );
    this.reader = new Reader(db, (id) => getStreamById(db, id));
    this.housekeeping = new Housekeeping(db, this.queue, this.ctx, config.housekeeping, log);
  }

  start(): void {
    this.housekeeping.start();
  }

  lookup(name: string, nowMs = Date.now()): StreamLookup {
    const row = getStreamByName(this.db, name);
    return { row, status: classifyStream(row, nowMs, this.access) };
  }

  create(req: CreateRequest): Promise<CreateOutcome> {
    return this.queue.submit(createCommand(req, this.ctx));
  }

  append(req: AppendRequest): Promise<AppendOutcome> {
    return this.queue.submit(appendCommand(req, this.ctx));
  }

  delete(name: string): Promise<DeleteOutcome> {
    return this.queue.submit(deleteCommand(name, this.ctx));
  }

  read(row: StreamRow, afterSeq: number, key: Uint8Array | null = null): ReadResult {
    return this.reader.read(row, afterSeq, this.config.read, key);
  }

  /** Position just before the first record appended at or after `sinceMs`. */
  seekTime(row: StreamRow, sinceMs: number): number {
    return this.reader.seekTime(row, sinceMs);
  }

  /** A read renews a sliding TTL; the renewal reaches SQLite with the next transaction. */
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
        if (classifyStream(row, now, this.access) !== "live") continue;
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

  /** Stops background work, commits everything queued, wakes waiters, closes SQLite. */
  async close(): Promise<void> {
    this.housekeeping.stop();
    // Waiters answer from their last read during the drain below, while SQLite is still open.
    this.notifier.close();
    await this.queue.close();
    this.db.close();
  }
}
