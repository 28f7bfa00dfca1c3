// Finding a segment's bytes for a read: the local file written at seal (until its upload is
// published), else the bounded disk cache, else the store's own file when the store is on
// this disk, else a download from the object store into the cache. Open files are kept in a small LRU so repeated reads skip the footer; a file is
// never read whole.
import { existsSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { retry, type RetryPolicy } from "../util/retry.ts";
import type { ObjectStore } from "./object-store/object-store.ts";
import { cachedSegmentDir, cachedSegmentPath, localSegmentDir, localSegmentPath, segmentKey } from "./paths.ts";
import { SegmentFile } from "./segment/file.ts";

const OPEN_FILES_MAX = 64;

/** Segment files kept after upload, least recently used first out. */
class DiskCache {
  private readonly entries = new Map<string, number>();
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  /** Rebuilds the index from the files on disk, oldest first. */
  load(dir: string): void {
    if (!existsSync(dir)) return;
    const files: Array<{ path: string; size: number; mtime: number }> = [];
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith(".bin")) continue;
      const path = join(entry.parentPath, entry.name);
      const info = statSync(path);
      files.push({ path, size: info.size, mtime: info.mtimeMs });
    }
    for (const file of files.sort((a, b) => a.mtime - b.mtime)) this.admit(file.path, file.size);
  }

  admit(path: string, size: number): void {
    this.forget(path);
    this.entries.set(path, size);
    this.total += size;
    // Evict oldest first; an open descriptor keeps an unlinked file readable meanwhile.
    for (const [oldPath, oldSize] of this.entries) {
      if (this.total <= this.maxBytes || oldPath === path) break;
      this.entries.delete(oldPath);
      this.total -= oldSize;
      try {
        unlinkSync(oldPath);
      } catch {
        // already gone
      }
    }
  }

  touch(path: string): void {
    const size = this.entries.get(path);
    if (size === undefined) return;
    this.entries.delete(path);
    this.entries.set(path, size);
  }

  forget(path: string): void {
    const size = this.entries.get(path);
    if (size === undefined) return;
    this.entries.delete(path);
    this.total -= size;
  }

  /** Bytes of the cached files under `dir` (one stream's); walks the index. */
  bytesUnder(dir: string): number {
    let total = 0;
    for (const [path, size] of this.entries) if (path.startsWith(dir)) total += size;
    return total;
  }

  forgetUnder(dir: string): void {
    for (const path of [...this.entries.keys()]) if (path.startsWith(dir)) this.forget(path);
  }
}

export interface SegmentStoreOptions {
  root: string;
  cacheMaxBytes: number;
  retry: RetryPolicy;
}

export class SegmentStore {
  private readonly openFiles = new Map<string, SegmentFile>();
  private readonly downloads = new Map<string, Promise<void>>();
  private readonly cache: DiskCache;
  readonly stats = { downloads: 0, downloadedBytes: 0, cacheHits: 0, localHits: 0, storeFileHits: 0 };

  constructor(
    private readonly options: SegmentStoreOptions,
    private readonly objects: ObjectStore,
    private readonly log: Logger,
  ) {
    this.cache = new DiskCache(options.cacheMaxBytes);
    this.cache.load(join(options.root, "cache", "segments"));
  }

  get cachedBytes(): number {
    return this.cache.bytes;
  }

  /** Disk-cache bytes held for one incarnation. */
  cachedBytesOf(streamId: number): number {
    return this.cache.bytesUnder(`${cachedSegmentDir(this.options.root, streamId)}/`);
  }

  get openFileCount(): number {
    return this.openFiles.size;
  }

  /** The segment's file, opened (and downloaded first when it is only in the bucket). */
  async file(name: string, streamId: number, index: number): Promise<SegmentFile> {
    const key = `${streamId}:${index}`;
    const open = this.openFiles.get(key);
    if (open) {
      this.openFiles.delete(key);
      this.openFiles.set(key, open);
      return open;
    }
    const path = await this.locate(name, streamId, index);
    const file = SegmentFile.open(path);
    this.openFiles.set(key, file);
    if (this.openFiles.size > OPEN_FILES_MAX) {
      const [oldestKey, oldest] = this.openFiles.entries().next().value as [string, SegmentFile];
      this.openFiles.delete(oldestKey);
      oldest.close();
    }
    return file;
  }

  private async locate(name: string, streamId: number, index: number): Promise<string> {
    const local = localSegmentPath(this.options.root, streamId, index);
    if (existsSync(local)) {
      this.stats.localHits++;
      return local;
    }
    const cached = cachedSegmentPath(this.options.root, streamId, index);
    if (existsSync(cached)) {
      this.stats.cacheHits++;
      this.cache.touch(cached);
      return cached;
    }
    const inPlace = this.objects.localFile?.(segmentKey(name, index));
    if (inPlace) {
      this.stats.storeFileHits++;
      return inPlace;
    }
    let download = this.downloads.get(cached);
    if (!download) {
      download = this.download(segmentKey(name, index), cached).finally(() => this.downloads.delete(cached));
      this.downloads.set(cached, download);
    }
    await download;
    return cached;
  }

  private async download(key: string, path: string): Promise<void> {
    const found = await retry(this.options.retry, () => this.objects.getToFile(key, path));
    if (!found) throw new Error(`segment object ${key} is missing from the object store`);
    const size = statSync(path).size;
    this.stats.downloads++;
    this.stats.downloadedBytes += size;
    this.cache.admit(path, size);
  }

  /**
   * After its upload is published, a local segment file moves into the cache, or goes when
   * there is no cache or the store keeps the same bytes as a file on this disk.
   */
  async retire(name: string, streamId: number, index: number): Promise<void> {
    const local = localSegmentPath(this.options.root, streamId, index);
    if (!existsSync(local)) return;
    if (this.options.cacheMaxBytes <= 0 || this.objects.localFile?.(segmentKey(name, index))) {
      await rm(local, { force: true });
      return;
    }
    const cached = cachedSegmentPath(this.options.root, streamId, index);
    await rm(cached, { force: true });
    await mkdir(cachedSegmentDir(this.options.root, streamId), { recursive: true });
    await rename(local, cached);
    this.cache.admit(cached, statSync(cached).size);
  }

  /** Drops every file of a purged incarnation. */
  async removeIncarnation(streamId: number): Promise<void> {
    for (const [key, file] of [...this.openFiles]) {
      if (!key.startsWith(`${streamId}:`)) continue;
      this.openFiles.delete(key);
      file.close();
    }
    const cacheDir = cachedSegmentDir(this.options.root, streamId);
    this.cache.forgetUnder(cacheDir);
    await rm(cacheDir, { recursive: true, force: true });
    await rm(localSegmentDir(this.options.root, streamId), { recursive: true, force: true });
    this.log.debug({ streamId }, "removed segment files of a purged stream");
  }

  close(): void {
    for (const file of this.openFiles.values()) file.close();
    this.openFiles.clear();
  }
}
