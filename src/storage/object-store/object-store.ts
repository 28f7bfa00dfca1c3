// The object store contract every backend meets (local files, S3/R2, memory), and how each
// method fails. Bodies of any size move between files and the store as streams, so a
// segment is never held in memory whole.
export interface StoredObject {
  size: number;
  /** An opaque version tag of the object (its meaning differs between backends). */
  etag: string;
}

export interface ObjectStore {
  readonly kind: string;
  /** Stores bytes under `key`, replacing any object there. */
  put(key: string, body: Uint8Array): Promise<StoredObject>;
  /** Stores the file at `path` under `key`, streamed. */
  putFile(key: string, path: string): Promise<StoredObject>;
  /** The object's bytes, or `[start, end]` (inclusive) of them; null when missing. */
  get(key: string, range?: { start: number; end: number }): Promise<Uint8Array | null>;
  /** Streams the object into the file at `path` (written to a temp name, then renamed); false when missing. */
  getToFile(key: string, path: string): Promise<boolean>;
  head(key: string): Promise<StoredObject | null>;
  /** Every key under `prefix`, in lexicographic order (all pages). */
  list(prefix: string): Promise<string[]>;
  /** Removes the object; a missing one is not an error. */
  delete(key: string): Promise<void>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}
