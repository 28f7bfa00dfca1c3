// The object store of the local mode, which has none: records stay in the WAL, so nothing
// should ever reach a store, and a call that does is a bug worth failing loudly on.
import type { ObjectStore, StoredObject } from "./object-store.ts";

export class NoObjectStore implements ObjectStore {
  readonly kind = "none";

  private refuse(op: string, key: string): never {
    throw new Error(`no object store in local mode (${op} ${key})`);
  }

  async put(key: string): Promise<StoredObject> {
    return this.refuse("put", key);
  }

  async putFile(key: string): Promise<StoredObject> {
    return this.refuse("putFile", key);
  }

  async get(key: string): Promise<Uint8Array | null> {
    return this.refuse("get", key);
  }

  async getToFile(key: string): Promise<boolean> {
    return this.refuse("getToFile", key);
  }

  async head(key: string): Promise<StoredObject | null> {
    return this.refuse("head", key);
  }

  async list(prefix: string): Promise<string[]> {
    return this.refuse("list", prefix);
  }

  async delete(key: string): Promise<void> {
    return this.refuse("delete", key);
  }
}
