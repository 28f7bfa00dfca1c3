// The single writer: admission control and group commit for every state change.
//
// Commands queue here; one transaction at a time runs as many queued commands as the batch
// bounds allow. A transaction starts as soon as the previous one has committed (on the next
// event-loop turn, so requests that arrived meanwhile join it); an idle server therefore
// commits a lone append at once instead of waiting on a timer. `flushDelayMs` > 0 lets the
// writer linger that long to grow a batch, which only helps on disks with very slow fsync.
//
// Commit order of a batch (docs/architecture.md, "Append"):
//   1. BEGIN; fold pending TTL renewals into their rows
//   2. run each command: checks in spec order, then WAL inserts and producer-state upserts
//   3. write back every changed stream row
//   4. COMMIT POINT: SQLite commits with synchronous=FULL (the WAL frame is fsynced)
//   5. resolve each request with its outcome, then wake readers (effects)
// A crash before 4 loses the whole batch, and none of its requests was answered.
import type { Database } from "bun:sqlite";
import { WriteBatch } from "./write-batch.ts";

export interface WriteCommand<R> {
  /** Payload bytes this command carries, for queue and batch byte bounds. */
  readonly bytes: number;
  /** Runs inside the transaction; must not await. Throwing fails the whole batch. */
  execute(batch: WriteBatch): R;
}

export interface AppendQueueLimits {
  flushDelayMs: number;
  maxBatchRequests: number;
  maxBatchBytes: number;
  maxQueueRequests: number;
  maxQueueBytes: number;
  busyRetryMs: number;
}

export class QueueFullError extends Error {
  constructor(readonly reason: "requests" | "bytes") {
    super(`ingest queue full (${reason})`);
  }
}

export class QueueClosedError extends Error {
  constructor() {
    super("server shutting down");
  }
}

interface Pending {
  command: WriteCommand<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export interface BatchHooks {
  /** Called at the start of each transaction (pending TTL renewals). */
  beforeCommands?(batch: WriteBatch): void;
  /** Called after each commit with the number of commands and bytes it carried. */
  afterCommit?(stats: { commands: number; bytes: number; durationMs: number }): void;
  /** Called when a batch fails; the error is also passed to every request in it. */
  onBatchError?(error: unknown): void;
}

/** FIFO of pending commands with O(1) amortised removal from the head (no Array.shift). */
class Fifo {
  private items: Pending[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: Pending): void {
    this.items.push(item);
  }

  unshift(item: Pending): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  peek(): Pending | undefined {
    return this.items[this.head];
  }

  take(): Pending {
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as Pending;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

export class AppendQueue {
  private readonly queue = new Fifo();
  private queuedBytes = 0;
  private immediate = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private closed = false;
  private drainWaiters: Array<() => void> = [];
  /** Totals since start, for /metrics and benchmarks. */
  readonly stats = { batches: 0, commands: 0, bytes: 0, commitMs: 0, failedBatches: 0 };

  constructor(
    private readonly db: Database,
    private readonly limits: AppendQueueLimits,
    private readonly hooks: BatchHooks = {},
    private readonly now: () => number = Date.now,
  ) {}

  get depth(): { requests: number; bytes: number } {
    return { requests: this.queue.length, bytes: this.queuedBytes };
  }

  /** Queues a request's command; rejects at once when the queue is full or closed. */
  submit<R>(command: WriteCommand<R>): Promise<R> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (this.queue.length >= this.limits.maxQueueRequests) return Promise.reject(new QueueFullError("requests"));
    if (this.queuedBytes + command.bytes > this.limits.maxQueueBytes && this.queue.length > 0) {
      return Promise.reject(new QueueFullError("bytes"));
    }
    return this.enqueue(command, false);
  }

  /** Queues server-internal work (sweeps, purges) ahead of requests, bypassing the limits. */
  submitInternal<R>(command: WriteCommand<R>): Promise<R> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    return this.enqueue(command, true);
  }

  /** Makes sure a transaction runs within `delayMs` even with nothing queued (TTL renewals). */
  requestFlush(delayMs: number): void {
    if (this.closed || this.immediate || this.timer || this.running) return;
    this.timer = setTimeout(() => this.flush(), delayMs);
  }

  private enqueue<R>(command: WriteCommand<R>, front: boolean): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const pending: Pending = { command, resolve: resolve as (v: unknown) => void, reject };
      if (front) this.queue.unshift(pending);
      else this.queue.push(pending);
      this.queuedBytes += command.bytes;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.immediate || this.running) return;
    const full = this.queue.length >= this.limits.maxBatchRequests || this.queuedBytes >= this.limits.maxBatchBytes;
    if (this.limits.flushDelayMs > 0 && !full && !this.closed) {
      if (!this.timer) this.timer = setTimeout(() => this.flush(), this.limits.flushDelayMs);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.immediate = true;
    setImmediate(() => this.flush());
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let bytes = 0;
    // The command that crosses the byte bound still joins, so a large body always fits.
    while (this.queue.length > 0 && batch.length < this.limits.maxBatchRequests && bytes < this.limits.maxBatchBytes) {
      const item = this.queue.take();
      bytes += item.command.bytes;
      batch.push(item);
    }
    this.queuedBytes -= bytes;
    return batch;
  }

  private flush(): void {
    this.immediate = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.running) return;
    this.running = true;
    try {
      this.commit(this.takeBatch());
    } finally {
      this.running = false;
    }
    if (this.queue.length > 0) this.schedule();
    else this.notifyDrained();
  }

  private commit(pending: Pending[]): void {
    const started = performance.now();
    const results: unknown[] = new Array(pending.length);
    let batch: WriteBatch | null = null;
    try {
      batch = this.runWithBusyRetry(() => {
        const b = new WriteBatch(this.db, this.now());
        this.db.transaction(() => {
          this.hooks.beforeCommands?.(b);
          for (let i = 0; i < pending.length; i++) results[i] = pending[i]!.command.execute(b);
          b.flushRows();
        })();
        return b;
      });
    } catch (error) {
      this.stats.failedBatches += 1;
      this.hooks.onBatchError?.(error);
      for (const item of pending) item.reject(error);
      return;
    }
    let bytes = 0;
    for (let i = 0; i < pending.length; i++) {
      bytes += pending[i]!.command.bytes;
      pending[i]!.resolve(results[i]);
    }
    const durationMs = performance.now() - started;
    this.stats.batches += 1;
    this.stats.commands += pending.length;
    this.stats.bytes += bytes;
    this.stats.commitMs += durationMs;
    batch.runEffects();
    this.hooks.afterCommit?.({ commands: pending.length, bytes, durationMs });
  }

  /** SQLITE_BUSY means another process holds the write lock; retry with backoff, bounded. */
  private runWithBusyRetry<T>(fn: () => T): T {
    const deadline = performance.now() + this.limits.busyRetryMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return fn();
      } catch (error) {
        if (!isBusy(error) || performance.now() >= deadline) throw error;
        Bun.sleepSync(Math.min(200, 5 * 2 ** attempt));
      }
    }
  }

  /** Stops accepting commands and resolves once everything queued has committed. */
  async close(): Promise<void> {
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.schedule();
    });
  }

  private notifyDrained(): void {
    if (this.queue.length > 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string; errno?: number } | null)?.code;
  return code === "SQLITE_BUSY" || code === "SQLITE_BUSY_SNAPSHOT";
}
