// Tiered storage at run time: the segmenter and the uploader, fed by what each commit
// changed, over the segment store that reads serve from. In local mode both are built but
// never started (so stats and wiring look the same) and commits are not fed to them: the
// WAL keeps every record and no segment file is ever written.
import type { Database } from "bun:sqlite";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../../config.ts";
import type { ObjectStore } from "../../storage/object-store/object-store.ts";
import type { PayloadFileReader } from "../../storage/payload-files.ts";
import { SegmentStore } from "../../storage/segment-store.ts";
import type { RetryPolicy } from "../../util/retry.ts";
import type { StreamCache } from "../stream-cache.ts";
import type { BatchEffects } from "../write-batch.ts";
import type { WriteQueue } from "../write-queue.ts";
import { BuildWorker } from "./build-worker.ts";
import { buildSegment } from "./segment-build.ts";
import { Segmenter, type SegmentBuilder } from "./segmenter.ts";
import { Uploader } from "./uploader.ts";

export class Tiering {
  readonly segmenter: Segmenter;
  readonly uploader: Uploader;
  private readonly buildWorkers: BuildWorker[];
  private stopping = false;
  /** False in local mode. */
  readonly enabled: boolean;

  constructor(
    private readonly db: Database,
    queue: WriteQueue,
    streams: StreamCache,
    readonly objects: ObjectStore,
    readonly segments: SegmentStore,
    private readonly payloads: PayloadFileReader,
    config: Config,
    log: Logger,
  ) {
    const t = config.tiering;
    this.enabled = config.mode === "full";
    const gc = { paceBytes: config.engine.gcPaceBytes, minIntervalMs: config.engine.gcMinIntervalMs };
    this.buildWorkers = Array.from({ length: t.segmenterWorkers }, () => new BuildWorker({ dbPath: config.dbPath, cacheBytes: config.sqlite.workerCacheBytes, gc }));
    this.segmenter = new Segmenter(
      db,
      queue,
      {
        root: config.root,
        segmentMaxBytes: t.segmentMaxBytes,
        segmentTargetRows: t.segmentTargetRows,
        segmentMaxRows: t.segmentMaxRows,
        maxIntervalMs: t.segmentMaxIntervalMs,
        checkMs: t.segmentCheckMs,
        blockMaxBytes: t.blockMaxBytes,
        concurrency: Math.max(1, t.segmenterWorkers),
      },
      this.builder(db),
      log,
      () => this.uploader.kick(),
    );
    this.uploader = new Uploader(
      db,
      queue,
      streams,
      objects,
      segments,
      { checkMs: t.uploadCheckMs, concurrency: t.uploadConcurrency, walGcChunk: t.walGcChunk, retry: retryPolicy(config), root: config.root },
      log,
    );
  }

  /** Builds go to the least busy worker thread, or run inline when there is none. */
  private builder(db: Database): SegmentBuilder {
    if (this.buildWorkers.length === 0) return (plan) => buildSegment(db, this.payloads, plan, () => this.stopping);
    return (plan) => this.buildWorkers.reduce((idlest, worker) => (worker.busy < idlest.busy ? worker : idlest)).build(plan);
  }

  start(): void {
    if (!this.enabled) return;
    this.segmenter.start();
    this.uploader.start();
  }

  /** Learns what a commit changed: new unsealed records, deletions to publish, purged files. */
  observe(effects: BatchEffects): void {
    if (!this.enabled) return;
    for (const row of effects.rows) this.segmenter.observe(row);
    // Deletions reach the bucket at once (the upload tick would also find them).
    for (const id of effects.publishes) void this.uploader.publish(id);
    for (const id of effects.purged) void this.segments.removeIncarnation(id);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.segmenter.stop();
    for (const worker of this.buildWorkers) await worker.close();
    await this.uploader.stop();
    this.segments.close();
  }
}

export function retryPolicy(config: Config): RetryPolicy {
  const t = config.tiering;
  return { retries: t.objectStoreRetries, baseDelayMs: t.objectStoreRetryBaseMs, maxDelayMs: t.objectStoreRetryMaxMs, attemptTimeoutMs: t.objectStoreTimeoutMs };
}

/** Start-up: builds interrupted by a crash leave `.tmp` files; nothing refers to them. */
export function removeInterruptedBuilds(root: string): void {
  const dir = join(root, "local");
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) if (entry.isFile() && entry.name.endsWith(".tmp")) rmSync(join(entry.parentPath, entry.name), { force: true });
}
