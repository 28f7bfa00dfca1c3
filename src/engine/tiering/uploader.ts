// The uploader: puts sealed segments into the object store, strictly in order per stream
// (bounded concurrency across streams, retries with backoff), then publishes a new manifest
// generation listing the uploaded prefix. Only once the manifest is stored does the writer
// advance `uploaded_through` and delete the WAL rows it covers.
//
// Commit order of an upload and publish (docs/storage.md, "Upload and publish"):
//   1. PUT streams/<hash>/segments/<index>.bin           crash → re-uploaded (same bytes)
//   2. writer marks the segment uploaded and records a publish as owed
//                                                        crash → a later tick publishes
//   3. PUT streams/<hash>/schema-registry.json when it changed, then
//      PUT streams/<hash>/manifest.json, generation g    crash → remote ahead of local:
//                                                          the next publish rewrites it
//   4. COMMIT POINT: one transaction stores g, advances `uploaded_through`, deletes the
//      first chunk of covered WAL rows (later chunks follow, one transaction each)
//   5. local files now covered move into the disk cache   crash → read from the local dir
//      (or go, when the store keeps the same bytes as files on this disk)
// A publish asked for while one runs for the same stream is coalesced into one follow-up.
// Deletions also record a publish as owed (so the tombstone reaches the bucket); the owed
// count is durable, and a commit subtracts only what its manifest covered.
import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import { DEFAULT_PROFILE } from "../../profiles/index.ts";
import { buildManifest } from "../../storage/manifest.ts";
import { sha256Hex, type ObjectStore } from "../../storage/object-store/object-store.ts";
import { localSegmentPath, manifestKey, schemaRegistryKey, segmentKey } from "../../storage/paths.ts";
import type { SegmentStore } from "../../storage/segment-store.ts";
import { getManifestRow, getSegmentMeta, pendingPublishes, pendingUploadCount, uploadedRunFrom, uploadHeads, type SegmentRow } from "../../storage/sqlite/segments.ts";
import { getProfileJson, getRegistryJson } from "../../storage/sqlite/stream-meta.ts";
import type { DeleteChunk } from "../../storage/sqlite/wal.ts";
import { crashPoint } from "../../util/crash-point.ts";
import { retry, type RetryPolicy } from "../../util/retry.ts";
import type { StreamCache } from "../stream-cache.ts";
import { isReleased } from "../tiering.ts";
import type { WriteQueue } from "../write-queue.ts";

export interface UploaderOptions {
  checkMs: number;
  concurrency: number;
  walGcChunk: DeleteChunk;
  retry: RetryPolicy;
  root: string;
}

const HEADS_PER_TICK = 1000;
const FAILURE_BACKOFF_MAX_MS = 60_000;

interface PublishState {
  again: boolean;
  done: Promise<void>;
}

export class Uploader {
  private timer: ReturnType<typeof setInterval> | null = null;
  private ticking: Promise<void> | null = null;
  private readonly publishes = new Map<number, PublishState>();
  private readonly failures = new Map<number, { count: number; retryAt: number }>();
  private readonly abort = new AbortController();
  readonly stats = { uploaded: 0, uploadedBytes: 0, published: 0, failed: 0 };

  constructor(
    private readonly db: Database,
    private readonly queue: WriteQueue,
    private readonly streams: StreamCache,
    private readonly objects: ObjectStore,
    private readonly segments: SegmentStore,
    private readonly options: UploaderOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.checkMs);
  }

  /** Runs an upload round now unless one is running (new seals call this). */
  kick(): void {
    if (this.ticking || this.abort.signal.aborted) return;
    this.ticking = this.uploadRound().finally(() => {
      this.ticking = null;
    });
  }

  private async uploadRound(): Promise<void> {
    const now = Date.now();
    const due = (streamId: number) => (this.failures.get(streamId)?.retryAt ?? 0) <= now;
    const heads = uploadHeads(this.db, HEADS_PER_TICK).filter((head) => due(head.stream_id));
    await this.inParallel(heads, (head) => this.uploadOne(head));
    // Publishes still owed: a crash after an upload, a failed publish, a deletion.
    const owed = pendingPublishes(this.db, HEADS_PER_TICK).filter((id) => due(id) && !this.publishes.has(id));
    await this.inParallel(owed, (id) => this.publish(id));
  }

  private async inParallel<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length && !this.abort.signal.aborted) await run(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, items.length) }, worker));
  }

  private async uploadOne(segment: SegmentRow): Promise<void> {
    const row = this.streams.byStreamId(segment.stream_id);
    if (!row || isReleased(row)) return;
    try {
      const key = segmentKey(row.stream, segment.segment_index);
      const path = localSegmentPath(this.options.root, row.id, segment.segment_index);
      const stored = await retry(this.options.retry, () => this.objects.putFile(key, path), this.abort.signal);
      crashPoint("upload:after-segment-put");
      await this.queue.submitInternal({ op: "mark-uploaded", req: { streamId: row.id, segmentIndex: segment.segment_index, etag: stored.etag } });
      this.stats.uploaded++;
      this.stats.uploadedBytes += stored.size;
      this.failures.delete(row.id);
      await this.publish(row.id);
    } catch (error) {
      this.failed(segment.stream_id, error, "segment upload failed");
    }
  }

  /** Publishes the stream's manifest; a call during a publish is folded into one more. */
  publish(streamId: number): Promise<void> {
    const running = this.publishes.get(streamId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const state: PublishState = { again: false, done: Promise.resolve() };
    state.done = (async () => {
      try {
        do {
          state.again = false;
          await this.publishOnce(streamId);
        } while (state.again && !this.abort.signal.aborted);
      } catch (error) {
        this.failed(streamId, error, "manifest publish failed");
      } finally {
        this.publishes.delete(streamId);
      }
    })();
    this.publishes.set(streamId, state);
    return state.done;
  }

  private async publishOnce(streamId: number): Promise<void> {
    const row = this.streams.byStreamId(streamId);
    if (!row) return;
    const previousPrefix = row.uploaded_segment_count;
    // A released stream's segment rows may be purged already: its tombstone keeps the last
    // published prefix (forks restored by bootstrap may still name those segments).
    const prefix = isReleased(row) ? previousPrefix : previousPrefix + uploadedRunFrom(this.db, streamId, previousPrefix);
    const meta = getSegmentMeta(this.db, streamId);
    const offsets = new DataView(meta.segment_offsets.buffer, meta.segment_offsets.byteOffset, meta.segment_offsets.byteLength);
    const uploadedThrough = prefix === 0 ? row.fork_base_offset - 1 : Number(offsets.getBigUint64((prefix - 1) * 8, true)) - 1;
    const published = getManifestRow(this.db, streamId);
    const generation = published.generation + 1;
    const source = row.fork_source_id === null ? null : this.streams.byStreamId(row.fork_source_id);
    const profileJson = getProfileJson(this.db, streamId);
    const manifest = buildManifest({
      row,
      forkSourceName: source?.stream ?? null,
      generation,
      prefix,
      meta,
      profileKind: row.profile ?? DEFAULT_PROFILE.kind,
      profileJson: profileJson === null ? null : (JSON.parse(profileJson) as unknown),
    });
    const registrySha256 = await this.uploadRegistry(row.stream, streamId, published.registry_sha256);
    const body = new TextEncoder().encode(JSON.stringify(manifest));
    const stored = await retry(this.options.retry, () => this.objects.put(manifestKey(row.stream), body), this.abort.signal);
    crashPoint("publish:after-manifest-put");
    let result = await this.queue.submitInternal({
      op: "commit-manifest",
      req: {
        streamId,
        generation,
        prefix,
        uploadedThrough,
        etag: stored.etag,
        sizeBytes: stored.size,
        gcChunk: this.options.walGcChunk,
        covered: published.publish_pending,
        registrySha256,
      },
    });
    crashPoint("publish:after-commit");
    this.stats.published++;
    for (let index = previousPrefix; index < prefix; index++) await this.segments.retire(row.stream, streamId, index);
    while (result.more && !this.abort.signal.aborted) {
      result = await this.queue.submitInternal({ op: "collect-wal", req: { streamId, chunk: this.options.walGcChunk } });
    }
  }

  /**
   * Puts the stream's schema registry before the manifest that goes with it, unless the
   * bucket has it already (or removes one a replaced incarnation left under the name);
   * returns the hash of the registry now in the bucket.
   */
  private async uploadRegistry(name: string, streamId: number, uploadedSha256: string | null): Promise<string | null> {
    const registry = getRegistryJson(this.db, streamId);
    if (registry === null) {
      if (uploadedSha256 !== null) await retry(this.options.retry, () => this.objects.delete(schemaRegistryKey(name)), this.abort.signal);
      return null;
    }
    const body = new TextEncoder().encode(registry);
    const sha256 = sha256Hex(body);
    if (sha256 === uploadedSha256) return sha256;
    await retry(this.options.retry, () => this.objects.put(schemaRegistryKey(name), body), this.abort.signal);
    return sha256;
  }

  private failed(streamId: number, error: unknown, message: string): void {
    if (this.abort.signal.aborted) return;
    this.stats.failed++;
    const count = (this.failures.get(streamId)?.count ?? 0) + 1;
    this.failures.set(streamId, { count, retryAt: Date.now() + Math.min(FAILURE_BACKOFF_MAX_MS, 500 * 2 ** (count - 1)) });
    this.log.warn({ err: error, streamId }, message);
  }

  /** Sealed segments not uploaded yet (the backlog an unreachable store builds up). */
  pendingSegments(): number {
    return pendingUploadCount(this.db);
  }

  /** Stops new work; in-flight calls end after their current attempt. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    await Promise.all([...this.publishes.values()].map((p) => p.done));
  }

  /** For tests and tools: upload and publish everything sealed so far (bounded wait). */
  async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.ticking;
      await Promise.all([...this.publishes.values()].map((p) => p.done));
      const idle = uploadHeads(this.db, 1).length === 0 && pendingPublishes(this.db, 1).length === 0;
      if (idle || Date.now() > deadline) return;
      this.kick();
      await Bun.sleep(5);
    }
  }
}
