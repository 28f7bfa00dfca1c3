// The engine's front door for the HTTP layer: lookups and reads run on the serving
// connection, state changes go through the queue to the single writer, and tiered storage
// (segmenter, uploader) runs beside them. No Hono types here.
import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { ObjectStore } from "../storage/object-store/object-store.ts";
import { CountingObjectStore } from "../storage/object-store/counting.ts";
import { PayloadFileReader, payloadDirOf } from "../storage/payload-files.ts";
import { SegmentStore } from "../storage/segment-store.ts";
import { reconcilePayloadFiles } from "../storage/sqlite/payload-files.ts";
import { Checkpointer } from "../storage/sqlite/checkpointer.ts";
import { sqliteFileBytes } from "../storage/sqlite/open.ts";
import { listStreamRowsPage, type StreamRow } from "../storage/sqlite/streams.ts";
import type { AppendOutcome, AppendRequest } from "./append-checks.ts";
import type { CreateOutcome, CreateRequest } from "./create.ts";
import type { DeleteOutcome } from "./delete.ts";
import { AccessTracker } from "./expiry.ts";
import { resolveForkCut } from "./fork-cut.ts";
import { Housekeeping } from "./housekeeping.ts";
import { GcPacer } from "./gc-pacer.ts";
import { describeIndexStatus, describeStream, type Descriptor, type DescriptorSources } from "./stream-descriptor.ts";
import type { ProfileOutcome, SchemaOutcome } from "./meta-commands.ts";
import { Notifier, type StreamEvent, type WaitResult } from "./notifier.ts";
import { needsPromotion, promoteResult } from "./promote.ts";
import { Reader, type ReadResult } from "./reader.ts";
import { batchBytes, NO_RECORDS, prepareRecords, unparsedJsonRecords, type PreparedRecords } from "./records.ts";
import { isJsonType } from "./content-types.ts";
import { ReadCache } from "./read-cache.ts";
import { StreamCache } from "./stream-cache.ts";
import { StreamMetaCache, type StreamMeta } from "./stream-meta.ts";
import { classifyStream, type ExpiryOf, type StreamStatus } from "./stream-status.ts";
import { ThreadWriter } from "./thread-writer.ts";
import { removeInterruptedBuilds, retryPolicy, Tiering } from "./tiering/index.ts";
import type { BatchEffects } from "./write-batch.ts";
import type { CommandResults, WriteCommand } from "./write-commands.ts";
import type { ProfileDocument } from "../profiles/profile.ts";
import type { SchemaUpdate } from "../schema/schema-update.ts";
import { InlineWriter, payloadSink, type Writer } from "./writer.ts";
import { WriteQueue } from "./write-queue.ts";

const gcPacing = (config: Config) => ({ paceBytes: config.engine.gcPaceBytes, minIntervalMs: config.engine.gcMinIntervalMs });

/** Read results kept for live fan-out and catch-up read-ahead. */
const READ_CACHE_ENTRIES = 64;
const READ_CACHE_BYTES = 16 * 1024 * 1024;

/** How a read shows records: as stored, or (JSON views) promoted to the current schema version. */
export type ReadView = "stored" | "current";

export interface StreamLookup {
  row: StreamRow | null;
  status: StreamStatus;
}

export interface EngineDeps {
  objects: ObjectStore;
  onWriterFailed: (message: string) => void;
}

export class Engine {
  readonly notifier = new Notifier();
  /**
   * Wakes `_details` / `_index_status` long-polls: any committed change to a stream's row
   * (appends, seals, uploads, publishes, profile and schema changes, deletion).
   */
  readonly descriptors = new Notifier();
  /** Object-store requests per stream and artifact (the store every component uses). */
  readonly objectRequests: CountingObjectStore;
  readonly access = new AccessTracker();
  readonly streams: StreamCache;
  readonly queue: WriteQueue;
  readonly tiering: Tiering;
  /**
   * Collections paced by bytes appended and by bytes read: a hint, and every second time a
   * full one (see gc-pacer.ts). A full collection held the event loop for 40-60 ms during
   * JSON ingest; every second one is enough to keep 1 GiB of appends under ~230 MB of RSS.
   */
  readonly gc: { appends: GcPacer; reads: GcPacer };
  private readonly reader: Reader;
  /** The serving thread's reads of payload files (its own inline batches included). */
  private readonly payloads: PayloadFileReader;
  private readonly housekeeping: Housekeeping;
  private readonly expiryOf: ExpiryOf = (row) => this.access.effectiveExpiresAt(row);
  readonly readCache = new ReadCache(READ_CACHE_ENTRIES, READ_CACHE_BYTES);
  private readonly readsInFlight = new Map<string, Promise<ReadResult>>();
  private readonly metas: StreamMetaCache;
  /** Promoted forms of stored results (which the read cache shares), per meta version. */
  private readonly promoted = new WeakMap<ReadResult, { version: number; result: ReadResult }>();
  private readonly writers: Writer[];
  private closing = false;
  /** JSON bodies this large are validated by the writer, during their payload sync (Infinity: never). */
  private readonly jsonDeferMinBytes: number;

  private constructor(
    readonly db: Database,
    private readonly config: Config,
    log: Logger,
    thread: Writer | null,
    objects: ObjectStore,
    /** Background WAL checkpoints; null when turned off (DS_SQLITE_CHECKPOINT_MS=0). */
    readonly checkpointer: Checkpointer | null,
  ) {
    this.streams = new StreamCache(db, config.engine.streamCacheEntries);
    this.payloads = new PayloadFileReader(payloadDirOf(config.dbPath));
    this.objectRequests = new CountingObjectStore(objects);
    this.gc = { appends: new GcPacer(gcPacing(config)), reads: new GcPacer(gcPacing(config)) };
    this.metas = new StreamMetaCache(db, config.engine.metaCacheEntries);
    // Whether payload files are on is decided once, here: the queue routes their records to
    // the inline writer, and only its pipeline validates JSON left unparsed.
    const { minBytes, fileMaxBytes, spareFiles } = config.walPayloads;
    const sink = payloadSink(db, this.payloads.dir, minBytes, fileMaxBytes);
    const inline = new InlineWriter(db, config.ingest.busyRetryMs, this.streams, { reader: this.payloads, keepSpares: spareFiles }, sink);
    this.queue = new WriteQueue(
      inline,
      thread,
      {
        lingerMs: config.ingest.flushDelayMs,
        maxBatchRequests: config.ingest.maxBatchRequests,
        maxBatchBytes: config.ingest.maxBatchBytes,
        maxQueueRequests: config.ingest.maxQueueRequests,
        maxQueueBytes: config.ingest.maxQueueBytes,
        offloadMinBytes: config.ingest.offloadMinBatchBytes,
        payloadRecordBytes: sink?.minBytes ?? 0,
        requestTimeoutMs: config.ingest.appendTimeoutMs,
      },
      {
        takeRenewals: () => (this.access.size === 0 ? null : [...this.access.drain()]),
        onCommitted: (effects) => this.onCommitted(effects),
        onBatchFailed: (message) => log.error({ message }, "write batch failed"),
      },
    );
    this.writers = thread ? [inline, thread] : [inline];
    this.jsonDeferMinBytes = sink?.minBytes ?? Number.POSITIVE_INFINITY;
    const segments = new SegmentStore(
      { root: config.root, cacheMaxBytes: config.tiering.segmentCacheMaxBytes, retry: retryPolicy(config) },
      this.objectRequests,
      log,
    );
    this.tiering = new Tiering(db, this.queue, this.streams, this.objectRequests, segments, this.payloads, config, log);
    this.reader = new Reader(db, (id) => this.streams.byStreamId(id), segments, this.payloads);
    this.housekeeping = new Housekeeping(
      db,
      this.queue,
      this.expiryOf,
      { ...config.housekeeping, payloadInlineAfterMs: config.walPayloads.inlineAfterMs },
      log,
    );
  }

  /** Builds the engine on a migrated database, with the writer thread unless it is turned off. */
  static async open(db: Database, config: Config, log: Logger, deps: EngineDeps): Promise<Engine> {
    removeInterruptedBuilds(config.root);
    const payloadFiles = reconcilePayloadFiles(db, payloadDirOf(config.dbPath), config.walPayloads.spareFiles);
    if (payloadFiles.removed.length > 0) log.info({ files: payloadFiles.removed }, "removed payload files no WAL row points into");
    if (payloadFiles.missing.length > 0) log.error({ files: payloadFiles.missing }, "payload files are missing: WAL rows pointing into them cannot be read");
    const thread =
      config.ingest.offloadMinBatchBytes > 0
        ? await ThreadWriter.start(
            {
              dbPath: config.dbPath,
              cacheBytes: config.sqlite.workerCacheBytes,
              walCheckpointBytes: config.sqlite.walCheckpointBytes,
              busyRetryMs: config.ingest.busyRetryMs,
              gc: gcPacing(config),
              payloadSpareFiles: config.walPayloads.spareFiles,
            },
            (message) => {
              log.fatal({ message }, "writer thread failed");
              deps.onWriterFailed(message);
            },
          )
        : null;
    const checkpointer =
      config.sqlite.checkpointIntervalMs > 0 ? await Checkpointer.start({ dbPath: config.dbPath, intervalMs: config.sqlite.checkpointIntervalMs }, log) : null;
    return new Engine(db, config, log, thread, deps.objects, checkpointer);
  }

  private onCommitted(effects: BatchEffects): void {
    this.streams.apply(effects);
    this.payloads.forget(effects.deadPayloadFiles);
    for (const id of effects.notify) this.notifier.notify(id);
    for (const row of effects.rows) this.descriptors.notify(row.id);
    for (const removed of effects.removed) this.descriptors.notify(removed.id);
    if (effects.purgeScheduled) this.housekeeping.kickPurger();
    this.tiering.observe(effects);
  }

  start(): void {
    this.housekeeping.start();
    this.tiering.start();
  }

  lookup(name: string, nowMs = Date.now()): StreamLookup {
    const row = this.streams.byStreamName(name);
    return { row, status: classifyStream(row, nowMs, this.expiryOf) };
  }

  async create(req: CreateRequest): Promise<CreateOutcome> {
    const fork = req.fork;
    if (fork && fork.subOffset > 0) {
      // The cut is read from the source's history first (it may be in segments).
      const source = this.lookup(fork.sourceName);
      if (source.row && source.status === "live") {
        const resolved = await resolveForkCut(this.reader, source.row, fork.offsetSeq, fork.subOffset);
        if (!resolved.ok) return { kind: "fork_position_invalid", message: resolved.message };
        return this.queue.submit({ op: "create", req: { ...req, fork: { ...fork, cut: resolved.cut } } });
      }
    }
    return this.queue.submit({ op: "create", req });
  }

  /**
   * A POST body as the stream's records (a body of another type than the stream's is not
   * parsed: the writer refuses it). On a JSON stream whose appends no profile or schema
   * looks at, a body of at least `jsonDeferMinBytes` is left for the writer to validate
   * while its payload file syncs (writer-pipeline.ts); the rest is checked here.
   */
  appendRecords(row: StreamRow, contentType: string | null, body: Uint8Array): PreparedRecords {
    if (body.byteLength === 0) return { ok: true, batch: NO_RECORDS };
    if (contentType === null || !isJsonType(row.content_type) || !isJsonType(contentType)) return { ok: true, batch: { chunks: [body], count: 1 } };
    if (body.byteLength >= this.jsonDeferMinBytes && !this.metas.get(row).parsesAppends) return { ok: true, batch: unparsedJsonRecords(body) };
    return prepareRecords(row.content_type, body, false);
  }

  append(req: AppendRequest): Promise<AppendOutcome> {
    this.gc.appends.note(batchBytes(req.records));
    return this.queue.submit({ op: "append", req });
  }

  delete(name: string): Promise<DeleteOutcome> {
    return this.queue.submit({ op: "delete", name });
  }

  /** Installs a profile document (already validated by its profile's zod schema). */
  setProfile(name: string, document: ProfileDocument): Promise<ProfileOutcome> {
    return this.queue.submit({ op: "profile", name, document });
  }

  updateSchema(name: string, update: SchemaUpdate): Promise<SchemaOutcome> {
    return this.queue.submit({ op: "schema", name, update });
  }

  /** Server-internal work (e.g. its own metrics stream): ahead of requests, outside their bounds. */
  submitInternal<C extends WriteCommand>(command: C): Promise<CommandResults[C["op"]]> {
    return this.queue.submitInternal(command);
  }

  /** The stream's profile and schema registry, as appends and reads use them. */
  meta(row: StreamRow): StreamMeta {
    return this.metas.get(row);
  }

  /**
   * Records after `afterSeq` (see ReadCache for what is shared between reads). The
   * `current` view promotes records of older schema versions; it throws PromotionError.
   */
  async read(row: StreamRow, afterSeq: number, key: Uint8Array | null = null, view: ReadView = "stored"): Promise<ReadResult> {
    const stored = await this.readStored(row, afterSeq, key);
    if (view === "stored") return stored;
    const meta = this.metas.get(row);
    if (!needsPromotion(stored, meta)) return stored;
    const cached = this.promoted.get(stored);
    if (cached && cached.version === meta.version) return cached.result;
    const result = promoteResult(stored, meta);
    this.promoted.set(stored, { version: meta.version, result });
    return result;
  }

  private async readStored(row: StreamRow, afterSeq: number, key: Uint8Array | null): Promise<ReadResult> {
    if (key !== null) return this.readFresh(row, afterSeq, key);
    const cacheKey = ReadCache.key(row.id, afterSeq);
    const cached = this.readCache.get(cacheKey, row.next_offset);
    if (cached) return cached;
    return this.readShared(row, afterSeq);
  }

  /**
   * Reads and caches `row`'s records after `afterSeq`, joining a read of the same range
   * and tail already under way: readers woken by one append all ask before the first read
   * has finished (one SQLite query per append instead of one per reader), and a catch-up
   * reader may ask while its read-ahead runs. Keyed by the tail too, so nobody is handed a
   * result older than the row it asked with.
   */
  private readShared(row: StreamRow, afterSeq: number): Promise<ReadResult> {
    const cacheKey = ReadCache.key(row.id, afterSeq);
    const inFlightKey = `${cacheKey}:${row.next_offset}`;
    const pending = this.readsInFlight.get(inFlightKey);
    if (pending) return pending;
    const read = this.readFresh(row, afterSeq, null)
      .then((result) => {
        this.readCache.put(cacheKey, result, row.next_offset);
        return result;
      })
      .finally(() => this.readsInFlight.delete(inFlightKey));
    this.readsInFlight.set(inFlightKey, read);
    return read;
  }

  private async readFresh(row: StreamRow, afterSeq: number, key: Uint8Array | null): Promise<ReadResult> {
    const result = await this.reader.read(row, afterSeq, this.config.read, key);
    this.gc.reads.note(result.bytes);
    return result;
  }

  /**
   * A catch-up reader that got a full chunk will ask for the next one: read it now, on the
   * next event-loop turn, so it is ready by the time the current chunk has been sent.
   */
  readAhead(row: StreamRow, result: ReadResult): void {
    if (result.upToDate || result.records === 0) return;
    const cacheKey = ReadCache.key(row.id, result.throughSeq);
    if (this.readCache.has(cacheKey)) return;
    setImmediate(() => {
      const current = this.streams.byStreamId(row.id);
      if (!current || this.closing || this.readCache.has(cacheKey)) return;
      void this.readShared(current, result.throughSeq).catch(() => {});
    });
  }

  /** Position just before the first record appended at or after `sinceMs`. */
  seekTime(row: StreamRow, sinceMs: number): Promise<number> {
    return this.reader.seekTime(row, sinceMs);
  }

  /** A read renews a sliding TTL; the renewal is stored with the next batch, or soon. */
  recordRead(row: StreamRow): void {
    if (this.access.touch(row, Date.now())) this.queue.requestFlush(this.config.housekeeping.renewalFlushMs);
  }

  expiresAt(row: StreamRow): number | null {
    return this.access.effectiveExpiresAt(row);
  }

  /** The stream's `_details` document (throws DescriptorError on a corrupt profile or registry). */
  details(row: StreamRow): Descriptor {
    return describeStream(this.descriptorSources, row, this.metas.get(row), this.expiresAt(row));
  }

  indexStatus(row: StreamRow): Descriptor {
    return describeIndexStatus(this.descriptorSources, row, this.metas.get(row));
  }

  private get descriptorSources(): DescriptorSources {
    const dbPath = this.config.dbPath;
    return {
      db: this.db,
      segments: this.tiering.segments,
      requests: this.objectRequests,
      sqliteBytes: () => sqliteFileBytes(dbPath),
    };
  }

  waitForChange(streamId: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    return this.notifier.wait(streamId, timeoutMs, signal);
  }

  /** Calls `listener` after every commit that changes the stream (see Notifier.subscribe). */
  onStreamChange(streamId: number, listener: (event: StreamEvent) => void): () => void {
    return this.notifier.subscribe(streamId, listener);
  }

  /** Live streams in name order, skipping `offset` of them. */
  list(limit: number, offset: number): StreamRow[] {
    const now = Date.now();
    return listStreamRowsPage(this.db, limit, offset, (row) => classifyStream(row, now, this.expiryOf) === "live");
  }

  sweepExpired(): Promise<number> {
    return this.housekeeping.sweepOnce();
  }

  /** Stops background work, commits everything queued, ends live reads, closes SQLite. */
  async close(): Promise<void> {
    this.closing = true;
    this.housekeeping.stop();
    await this.tiering.stop();
    // Waiters answer from their last read during the drain below, while SQLite is still open.
    this.notifier.close();
    this.descriptors.close();
    await this.queue.close();
    for (const writer of this.writers) await writer.close();
    await this.checkpointer?.close();
    this.payloads.close();
    this.db.close();
  }
}
