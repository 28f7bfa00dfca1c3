// The single writer: admission, group commit, and answering each request once its batch
// has committed.
//
// Requests queue here; a batch starts on the next event-loop turn after the previous one
// committed and takes everything queued meanwhile (bounded by request count and bytes),
// so an idle server commits a lone append at once and a busy one commits large batches.
// `lingerMs` > 0 lets a batch wait that long to grow; it only helps on disks whose fsync
// is very slow. A batch runs inline or on the writer thread (writer.ts). A batch holding a
// record large enough for a payload file always runs inline: this thread writes payload
// files (writer-pipeline.ts) and keeps serving while their fdatasync runs. Batches of many
// small records' bytes, and bulk work, go to the thread; while it commits one, one more may
// be posted behind it once it is worth the thread's time (`offloadMinBytes`), so the thread
// goes from COMMIT straight to the next batch instead of idling while this thread answers
// requests and assembles the next one. The thread runs its batches in order on its own
// connection, each seeing the one before it.
// Every request has a deadline; one still queued when it passes is answered 408 and is
// never written.
import type { BatchEffects } from "./write-batch.ts";
import { commandBytes, isBulkCommand, largestRecordBytes, type BatchReply, type CommandResults, type WriteCommand, type WriteResult } from "./write-commands.ts";
import type { Writer } from "./writer.ts";

export interface WriteQueueOptions {
  lingerMs: number;
  maxBatchRequests: number;
  maxBatchBytes: number;
  maxQueueRequests: number;
  maxQueueBytes: number;
  /** Batches carrying at least this many payload bytes go to the writer thread... */
  offloadMinBytes: number;
  /**
   * ...unless they hold a record of at least this many bytes (0: no such rule): that one
   * goes to a payload file, which only the inline writer writes.
   */
  payloadRecordBytes: number;
  /** How long a request may wait for its commit. */
  requestTimeoutMs: number;
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

export class WriteTimeoutError extends Error {
  constructor() {
    super("write not started in time; nothing was written");
  }
}

export class WriteFailedError extends Error {}

export interface QueueHooks {
  /** Before each batch: sliding-TTL renewals recorded by reads, to store first. */
  takeRenewals(): Array<[number, number]> | null;
  /** After a commit, before any request is answered: readers learn the new state. */
  onCommitted(effects: BatchEffects): void;
  onBatchFailed(message: string): void;
}

interface Pending {
  command: WriteCommand;
  bytes: number;
  /** Holds a record of at least `payloadRecordBytes`. */
  large: boolean;
  deadline: number;
  settled: boolean;
  resolve(value: WriteResult): void;
  reject(error: unknown): void;
}

/** FIFO with O(1) amortised removal from the head (no Array.shift on the hot path). */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  at(index: number): T | undefined {
    return this.items[this.head + index];
  }

  take(): T {
    const item = this.items[this.head]!;
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

const NO_DEADLINE = Number.POSITIVE_INFINITY;

export class WriteQueue {
  private readonly queue = new Fifo<Pending>();
  private queuedBytes = 0;
  /** Queued commands holding a payload-file record. */
  private queuedLarge = 0;
  /** Queued requests (internal work is not counted against the request bound). */
  private queuedRequests = 0;
  private immediate = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  /** Batches posted and not answered yet: at most one inline, or up to two on the thread. */
  private inFlight = 0;
  private inFlightOnThread = false;
  private drainWaiters: Array<() => void> = [];
  /** Totals since start, for /metrics and benchmarks. */
  readonly stats = { batches: 0, commands: 0, bytes: 0, commitMs: 0, failedBatches: 0, timeouts: 0 };

  constructor(
    private readonly inline: Writer,
    private readonly thread: Writer | null,
    private readonly options: WriteQueueOptions,
    private readonly hooks: QueueHooks,
  ) {}

  get depth(): { requests: number; bytes: number } {
    return { requests: this.queuedRequests, bytes: this.queuedBytes };
  }

  /** Queues a request's command; rejects at once when the queue is full or closed. */
  submit<C extends WriteCommand>(command: C): Promise<CommandResults[C["op"]]> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    if (this.queuedRequests >= this.options.maxQueueRequests) return Promise.reject(new QueueFullError("requests"));
    const bytes = commandBytes(command);
    if (this.queuedBytes + bytes > this.options.maxQueueBytes && this.queuedRequests > 0) {
      return Promise.reject(new QueueFullError("bytes"));
    }
    return this.enqueue(command, bytes, false) as Promise<CommandResults[C["op"]]>;
  }

  /** Queues server-internal work (sweeps, purges) ahead of requests, bypassing the bounds. */
  submitInternal<C extends WriteCommand>(command: C): Promise<CommandResults[C["op"]]> {
    if (this.closed) return Promise.reject(new QueueClosedError());
    return this.enqueue(command, commandBytes(command), true) as Promise<CommandResults[C["op"]]>;
  }

  /** Makes sure a batch runs within `delayMs` even with nothing queued (TTL renewals). */
  requestFlush(delayMs: number): void {
    if (this.closed || this.immediate || this.timer || this.inFlight > 0) return;
    this.timer = setTimeout(() => this.flush(), delayMs);
  }

  private enqueue(command: WriteCommand, bytes: number, internal: boolean): Promise<WriteResult> {
    return new Promise<WriteResult>((resolve, reject) => {
      const deadline = internal ? NO_DEADLINE : performance.now() + this.options.requestTimeoutMs;
      const large = this.options.payloadRecordBytes > 0 && largestRecordBytes(command) >= this.options.payloadRecordBytes;
      const pending: Pending = { command, bytes, large, deadline, settled: false, resolve, reject };
      if (internal) this.queue.unshift(pending);
      else this.queue.push(pending);
      this.queuedBytes += bytes;
      if (large) this.queuedLarge += 1;
      if (!internal) {
        this.queuedRequests += 1;
        this.armWatchdog();
      }
      this.schedule();
    });
  }

  /** Whether a batch may start now: nothing in flight, or a second one behind the thread's. */
  private canDispatch(): boolean {
    if (this.inFlight === 0) return true;
    // Only a batch worth a commit of its own (many small ones would each pay the fsyncs), and
    // one the thread can take: a payload-file record waits to run inline.
    return this.inFlight === 1 && this.inFlightOnThread && this.queuedBytes >= this.options.offloadMinBytes && this.queuedLarge === 0;
  }

  private schedule(): void {
    if (this.immediate || !this.canDispatch()) return;
    const full = this.queue.length >= this.options.maxBatchRequests || this.queuedBytes >= this.options.maxBatchBytes;
    if (this.options.lingerMs > 0 && !full && !this.closed) {
      this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.immediate = true;
    // Next turn of the event loop: requests being parsed right now join this batch.
    setImmediate(() => this.flush());
  }

  private takeBatch(): { batch: Pending[]; bytes: number; bulk: boolean; large: boolean } {
    const batch: Pending[] = [];
    let bytes = 0;
    let bulk = false;
    let large = false;
    // The command that crosses the byte bound still joins, so a large body always fits.
    while (this.queue.length > 0 && batch.length < this.options.maxBatchRequests && bytes < this.options.maxBatchBytes) {
      // Bulk work belongs on the thread and payload-file records inline: never in one batch.
      const head = this.queue.at(0)!;
      if ((bulk && head.large) || (large && isBulkCommand(head.command))) break;
      const item = this.queue.take();
      this.queuedBytes -= item.bytes;
      if (item.large) this.queuedLarge -= 1;
      if (item.deadline !== NO_DEADLINE) this.queuedRequests -= 1;
      if (item.settled) continue; // answered 408 while queued: never written
      bytes += item.bytes;
      bulk ||= isBulkCommand(item.command);
      large ||= item.large;
      batch.push(item);
    }
    return { batch, bytes, bulk, large };
  }

  private flush(): void {
    this.immediate = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.canDispatch()) return;
    const behindThread = this.inFlight > 0;
    const { batch, bytes, bulk, large } = this.takeBatch();
    const renewals = this.hooks.takeRenewals();
    const commands = batch.map((item) => item.command);
    if (renewals) commands.unshift({ op: "renew", renewals });
    if (commands.length === 0) {
      this.notifyDrained();
      return;
    }
    // Behind a thread batch only the thread may run: the serving connection would wait on its
    // lock (canDispatch keeps payload-file records from coming here then).
    const onThread = this.thread !== null && !large && (behindThread || bulk || bytes >= this.options.offloadMinBytes);
    const writer = onThread ? this.thread! : this.inline;
    this.inFlight += 1;
    this.inFlightOnThread = onThread;
    void writer.run(commands).then((reply) => {
      this.inFlight -= 1;
      this.complete(batch, reply, renewals !== null);
      if (this.queue.length > 0) this.schedule();
      else this.notifyDrained();
    });
  }

  private complete(batch: Pending[], reply: BatchReply, withRenewals: boolean): void {
    if (!reply.ok) {
      this.stats.failedBatches += 1;
      this.hooks.onBatchFailed(reply.message);
      for (const item of batch) this.settle(item)?.reject(new WriteFailedError(reply.message));
      return;
    }
    this.stats.batches += 1;
    this.stats.commands += batch.length;
    this.stats.commitMs += reply.commitMs;
    this.hooks.onCommitted(reply);
    const offset = withRenewals ? 1 : 0;
    for (let i = 0; i < batch.length; i++) {
      const item = this.settle(batch[i]!);
      if (!item) continue;
      this.stats.bytes += item.bytes;
      item.resolve(reply.results[i + offset]!);
    }
  }

  private settle(item: Pending): Pending | null {
    if (item.settled) return null;
    item.settled = true;
    return item;
  }

  /** While requests wait, a coarse timer answers those still queued past their deadline. */
  private armWatchdog(): void {
    if (this.watchdog) return;
    const everyMs = Math.max(10, Math.min(100, Math.floor(this.options.requestTimeoutMs / 4)));
    this.watchdog = setInterval(() => this.expireOverdue(), everyMs);
  }

  private expireOverdue(): void {
    const now = performance.now();
    for (let i = 0; i < this.queue.length; i++) {
      const item = this.queue.at(i)!;
      if (item.deadline === NO_DEADLINE || item.settled) continue;
      if (item.deadline > now) break; // request deadlines are in arrival order
      this.settle(item);
      this.stats.timeouts += 1;
      item.reject(new WriteTimeoutError());
    }
    if (this.queue.length === 0 && this.watchdog) {
      clearInterval(this.watchdog);
      this.watchdog = null;
    }
  }

  /** Stops accepting commands and resolves once everything queued has committed. */
  async close(): Promise<void> {
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.schedule();
    });
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private notifyDrained(): void {
    if (this.queue.length > 0 || this.inFlight > 0 || this.drainWaiters.length === 0) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
