// The schema registry document of a stream (spec 03 §5.1): versions of its JSON Schema,
// the offsets where each version starts, lenses between versions, routing-key extraction
// and the `search` block. Types plus the pure lookups readers and writers need.
import type { Lens } from "./lens.ts";
import type { RoutingKeyConfig } from "./routing-key.ts";
import type { SearchConfig } from "./search-config.ts";

export const REGISTRY_API_VERSION = "durable.streams/schema-registry/v1";

/** `offset` is the first seq written under `version`. */
export interface Boundary {
  offset: number;
  version: number;
}

export interface SchemaRegistry {
  apiVersion: typeof REGISTRY_API_VERSION;
  /** The registry's name: the stream's name when it was first installed. */
  schema: string;
  /** 0 = no schema installed. */
  currentVersion: number;
  routingKey?: RoutingKeyConfig;
  search?: SearchConfig;
  boundaries: Boundary[];
  /** JSON Schema per version, keyed by the version number as a string. */
  schemas: Record<string, Record<string, unknown>>;
  /** Lens from version N to N+1, keyed by N. */
  lenses: Record<string, Lens>;
}

/** What a stream without a stored registry reads as. */
export function emptyRegistry(streamName: string): SchemaRegistry {
  return { apiVersion: REGISTRY_API_VERSION, schema: streamName, currentVersion: 0, boundaries: [], schemas: {}, lenses: {} };
}

/** The document in the key order of spec 03 §5.1, optional keys only when set. */
export function registryDocument(registry: SchemaRegistry): SchemaRegistry {
  const out: SchemaRegistry = { apiVersion: REGISTRY_API_VERSION, schema: registry.schema, currentVersion: registry.currentVersion } as SchemaRegistry;
  if (registry.routingKey) out.routingKey = registry.routingKey;
  if (registry.search) out.search = registry.search;
  out.boundaries = registry.boundaries;
  out.schemas = registry.schemas;
  out.lenses = registry.lenses;
  return out;
}

/** A stored registry, or null when the text is not one (the caller answers 500). */
export function parseStoredRegistry(json: string): SchemaRegistry | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const r = value as Partial<SchemaRegistry> | null;
  const valid =
    r !== null && typeof r === "object" && r.apiVersion === REGISTRY_API_VERSION && typeof r.schema === "string" &&
    Number.isSafeInteger(r.currentVersion) && Array.isArray(r.boundaries) && typeof r.schemas === "object" && r.schemas !== null &&
    typeof r.lenses === "object" && r.lenses !== null;
  return valid ? (r as SchemaRegistry) : null;
}

/** The schema version records at `seq` were written under: the last boundary at or before it (0 if none). */
export function versionAt(boundaries: readonly Boundary[], seq: number): number {
  let version = 0;
  for (const boundary of boundaries) {
    if (boundary.offset > seq) break;
    version = boundary.version;
  }
  return version;
}
