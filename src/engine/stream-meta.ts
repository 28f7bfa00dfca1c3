// What a stream's profile and schema registry mean for appends and reads, loaded once and
// kept per incarnation: the profile with its document, the registry, the compiled
// validator of the current schema version and the lens chains that promote old records.
//
// An entry is valid while the row's `meta_version` is the one it was loaded at: every
// profile or schema change bumps it in the same transaction, and the stream cache takes
// the new row before any request is answered. So appends and reads never query SQLite
// for these, and a change is seen by the next request.
import type { Database } from "bun:sqlite";
import type { ValidateFunction } from "ajv";
import { readStoredProfile, type ResolvedProfile } from "../profiles/profile-resource.ts";
import { compileSchema } from "../schema/json-schema.ts";
import type { Lens } from "../schema/lens.ts";
import { emptyRegistry, parseStoredRegistry, type SchemaRegistry } from "../schema/registry.ts";
import type { RoutingKeyConfig } from "../schema/routing-key.ts";
import { getProfileJson, getRegistryJson } from "../storage/sqlite/stream-meta.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";

export class StreamMeta {
  private readonly chains = new Map<number, Lens[] | null>();
  private compiled: ValidateFunction | null | undefined;

  constructor(
    /** The row's `meta_version` this was loaded at. */
    readonly version: number,
    /** Null when the stored profile is not a valid one (requests answer 500). */
    readonly profile: ResolvedProfile | null,
    /** Null when the stored registry is not a valid one (requests answer 500). */
    readonly registry: SchemaRegistry | null,
  ) {}

  get routingKey(): RoutingKeyConfig | null {
    return this.registry?.routingKey ?? null;
  }

  /**
   * Appends must go through `ingestRecords`: an ingest hook, schema validation or
   * routing-key extraction applies, or what is stored is invalid (and appends answer 500
   * rather than skip rules that may exist).
   */
  get parsesAppends(): boolean {
    if (!this.profile || !this.registry) return true;
    return this.profile.definition.prepareRecord !== undefined || this.registry.currentVersion > 0 || this.registry.routingKey !== undefined;
  }

  /** The current version's validator, or null when no schema is installed. Compiled once. */
  validator(): ValidateFunction | null {
    if (this.compiled === undefined) {
      const registry = this.registry;
      const schema = registry && registry.currentVersion > 0 ? registry.schemas[String(registry.currentVersion)] : undefined;
      const compiled = schema === undefined ? null : compileSchema(schema);
      // A stored schema compiled when it was installed; if it no longer does, nothing validates against it.
      if (compiled && !compiled.ok) throw new Error(`stored schema does not compile: ${compiled.message}`);
      this.compiled = compiled ? compiled.validate : null;
    }
    return this.compiled;
  }

  /** Seq from which records are at the current version (earlier ones are promoted on read). */
  get currentFromSeq(): number {
    const boundaries = this.registry?.boundaries ?? [];
    return boundaries.length === 0 ? 0 : boundaries[boundaries.length - 1]!.offset;
  }

  /** Lenses from `version` to the current one, or null when one is missing. */
  lensChain(version: number): Lens[] | null {
    let chain = this.chains.get(version);
    if (chain === undefined) {
      chain = [];
      for (let v = version; v < (this.registry?.currentVersion ?? 0); v++) {
        const lens = this.registry?.lenses[String(v)];
        if (!lens) {
          chain = null;
          break;
        }
        chain.push(lens);
      }
      this.chains.set(version, chain);
    }
    return chain;
  }
}

export class StreamMetaCache {
  private readonly entries = new Map<number, StreamMeta>();

  constructor(
    private readonly db: Database,
    private readonly maxEntries: number,
  ) {}

  get(row: StreamRow): StreamMeta {
    const cached = this.entries.get(row.id);
    if (cached && cached.version === row.meta_version) {
      // Most recently used last: the oldest entry goes first when the cache is full.
      this.entries.delete(row.id);
      this.entries.set(row.id, cached);
      return cached;
    }
    const meta = loadStreamMeta(this.db, row);
    this.entries.delete(row.id);
    this.entries.set(row.id, meta);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as number);
    return meta;
  }
}

export function loadStreamMeta(db: Database, row: StreamRow): StreamMeta {
  const profile = readStoredProfile(row.profile, getProfileJson(db, row.id));
  const registryJson = getRegistryJson(db, row.id);
  const registry = registryJson === null ? emptyRegistry(row.stream) : parseStoredRegistry(registryJson);
  return new StreamMeta(row.meta_version, profile, registry);
}
