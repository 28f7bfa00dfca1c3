// A store wrapper that injects faults: failed calls, slow calls, and torn uploads (a
// truncated object is left behind, then the call fails). Used by tests to show that
// ingest goes on, uploads complete in the end, and nothing acknowledged is lost.
import { readFile } from "node:fs/promises";
import type { ObjectStore, StoredObject } from "./object-store.ts";

export interface FaultOptions {
  /** Probability that a call fails (after any latency). */
  failureRate: number;
  /** Probability that a call is slow, and by how much. */
  slowRate: number;
  slowMs: number;
  /** Probability that a put leaves half the object behind and then fails. */
  tornUploadRate: number;
  random?: () => number;
  /** Only calls on matching keys (or list prefixes) are disturbed; all of them by default. */
  affects?: (key: string) => boolean;
}

export class InjectedFault extends Error {}

export class FaultInjectingStore implements ObjectStore {
  readonly kind: string;
  readonly counts = { calls: 0, failures: 0, slow: 0, torn: 0 };
  private readonly random: () => number;

  constructor(
    private readonly inner: ObjectStore,
    private readonly options: FaultOptions,
  ) {
    this.kind = `${inner.kind}+faults`;
    this.random = options.random ?? Math.random;
  }

  private async disturb(operation: string, key: string): Promise<void> {
    if (this.options.affects && !this.options.affects(key)) return;
    this.counts.calls++;
    if (this.random() < this.options.slowRate) {
      this.counts.slow++;
      await Bun.sleep(this.options.slowMs);
    }
    if (this.random() < this.options.failureRate) {
      this.counts.failures++;
      throw new InjectedFault(`injected ${operation} failure`);
    }
  }

  private async tear(key: string, body: Uint8Array): Promise<void> {
    if (this.options.affects && !this.options.affects(key)) return;
    if (this.random() >= this.options.tornUploadRate) return;
    this.counts.torn++;
    await this.inner.put(key, body.subarray(0, body.byteLength >> 1));
    throw new InjectedFault("injected torn upload");
  }

  async put(key: string, body: Uint8Array): Promise<StoredObject> {
    await this.disturb("put", key);
    await this.tear(key, body);
    return this.inner.put(key, body);
  }

  async putFile(key: string, path: string): Promise<StoredObject> {
    await this.disturb("put", key);
    if (this.options.tornUploadRate > 0) await this.tear(key, new Uint8Array(await readFile(path)));
    return this.inner.putFile(key, path);
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Uint8Array | null> {
    await this.disturb("get", key);
    return this.inner.get(key, range);
  }

  async getToFile(key: string, path: string): Promise<boolean> {
    await this.disturb("get", key);
    return this.inner.getToFile(key, path);
  }

  async head(key: string): Promise<StoredObject | null> {
    await this.disturb("head", key);
    return this.inner.head(key);
  }

  async list(prefix: string): Promise<string[]> {
    await this.disturb("list", prefix);
    return this.inner.list(prefix);
  }

  async delete(key: string): Promise<void> {
    await this.disturb("delete", key);
    return this.inner.delete(key);
  }
}
