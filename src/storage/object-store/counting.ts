// Counts object-store requests per stream and per kind of object (spec 04 §7
// `object_store_requests`), so an operator can see what each stream costs in requests.
// Node-local and in memory: the counts start at zero with the process.
import type { ObjectStore, StoredObject } from "./object-store.ts";

export const ARTIFACTS = ["manifest", "schema_registry", "segment", "unknown"] as const;
export type Artifact = (typeof ARTIFACTS)[number];

export interface RequestCounts {
  puts: number;
  gets: number;
  /** Ranged GETs: part of an object. */
  reads: number;
  heads: number;
  lists: number;
  deletes: number;
}

type Operation = keyof RequestCounts;

const zero = (): RequestCounts => ({ puts: 0, gets: 0, reads: 0, heads: 0, lists: 0, deletes: 0 });

/** The stream hash and kind of object a key names (`streams/<hash>/...`), if any. */
export function classifyKey(key: string): { hash: string; artifact: Artifact } | null {
  const match = /^streams\/([0-9a-f]{32})\/(.*)$/.exec(key);
  if (!match) return null;
  const rest = match[2]!;
  const artifact: Artifact =
    rest === "manifest.json" ? "manifest" : rest === "schema-registry.json" ? "schema_registry" : rest.startsWith("segments/") ? "segment" : "unknown";
  return { hash: match[1]!, artifact };
}

export class CountingObjectStore implements ObjectStore {
  readonly kind: string;
  private readonly byStream = new Map<string, Map<Artifact, RequestCounts>>();

  constructor(private readonly inner: ObjectStore) {
    this.kind = inner.kind;
  }

  /** Per artifact, the requests made for one stream (by its name hash). */
  countsFor(hash: string): ReadonlyMap<Artifact, RequestCounts> {
    return this.byStream.get(hash) ?? new Map();
  }

  private count(key: string, operation: Operation): void {
    const target = classifyKey(key);
    if (!target) return;
    let artifacts = this.byStream.get(target.hash);
    if (!artifacts) {
      artifacts = new Map();
      this.byStream.set(target.hash, artifacts);
    }
    let counts = artifacts.get(target.artifact);
    if (!counts) {
      counts = zero();
      artifacts.set(target.artifact, counts);
    }
    counts[operation] += 1;
  }

  put(key: string, body: Uint8Array): Promise<StoredObject> {
    this.count(key, "puts");
    return this.inner.put(key, body);
  }

  putFile(key: string, path: string): Promise<StoredObject> {
    this.count(key, "puts");
    return this.inner.putFile(key, path);
  }

  get(key: string, range?: { start: number; end: number }): Promise<Uint8Array | null> {
    this.count(key, range ? "reads" : "gets");
    return this.inner.get(key, range);
  }

  getToFile(key: string, path: string): Promise<boolean> {
    this.count(key, "gets");
    return this.inner.getToFile(key, path);
  }

  head(key: string): Promise<StoredObject | null> {
    this.count(key, "heads");
    return this.inner.head(key);
  }

  list(prefix: string): Promise<string[]> {
    this.count(prefix, "lists");
    return this.inner.list(prefix);
  }

  delete(key: string): Promise<void> {
    this.count(key, "deletes");
    return this.inner.delete(key);
  }

  localFile(key: string): string | null {
    return this.inner.localFile?.(key) ?? null;
  }
}

/** Sums per-artifact counts into the totals and breakdown `_details` reports. */
export function summarizeCounts(counts: ReadonlyMap<Artifact, RequestCounts>): RequestCounts & { by_artifact: Array<{ artifact: Artifact } & RequestCounts> } {
  const total = zero();
  const byArtifact: Array<{ artifact: Artifact } & RequestCounts> = [];
  for (const artifact of ARTIFACTS) {
    const counts_ = counts.get(artifact);
    if (!counts_) continue;
    byArtifact.push({ artifact, ...counts_ });
    for (const op of Object.keys(total) as Operation[]) total[op] += counts_[op];
  }
  return { ...total, by_artifact: byArtifact };
}
