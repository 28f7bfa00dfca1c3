// An in-process object store for tests: a Map, lost with the process.
import { readFile, writeFile, rename, mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { sha256Hex, type ObjectStore, type StoredObject } from "./object-store.ts";

export class MemoryObjectStore implements ObjectStore {
  readonly kind = "memory";
  private readonly objects = new Map<string, { bytes: Uint8Array; etag: string }>();

  async put(key: string, body: Uint8Array): Promise<StoredObject> {
    const bytes = body.slice();
    const etag = sha256Hex(bytes);
    this.objects.set(key, { bytes, etag });
    return { size: bytes.byteLength, etag };
  }

  async putFile(key: string, path: string): Promise<StoredObject> {
    return this.put(key, new Uint8Array(await readFile(path)));
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Uint8Array | null> {
    const object = this.objects.get(key);
    if (!object) return null;
    return range ? object.bytes.slice(range.start, range.end + 1) : object.bytes.slice();
  }

  async getToFile(key: string, path: string): Promise<boolean> {
    const object = this.objects.get(key);
    if (!object) return false;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, object.bytes);
    await rename(`${path}.tmp`, path);
    return true;
  }

  async head(key: string): Promise<StoredObject | null> {
    const object = this.objects.get(key);
    return object ? { size: object.bytes.byteLength, etag: object.etag } : null;
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  /** For tests that corrupt or inspect objects directly. */
  raw(): Map<string, { bytes: Uint8Array; etag: string }> {
    return this.objects;
  }
}
