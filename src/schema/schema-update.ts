// POST /_schema bodies (spec 03 §5.3, §5.4): parsing an update in the order the spec
// checks it, and applying it to the current registry: routing key or search block alone,
// a first schema, or the next version with its lens. Pure: the writer stores the result.
import { isPlainObject } from "../util/doc-issues.ts";
import { compileSchema } from "./json-schema.ts";
import { parseLens } from "./lens.ts";
import { proveLens } from "./lens-proof.ts";
import { REGISTRY_API_VERSION, type SchemaRegistry } from "./registry.ts";
import { parseRoutingKeyConfig, type RoutingKeyConfig } from "./routing-key.ts";
import { parseSearchConfig, type SearchConfig } from "./search-config.ts";

const UPDATE_KEYS = new Set(["apiVersion", "schema", "lens", "routingKey", "search"]);

/** A parsed update; `undefined` means the key was absent, `null` asks to remove. */
export interface SchemaUpdate {
  schema?: Record<string, unknown>;
  lens?: unknown;
  routingKey?: RoutingKeyConfig | null;
  search?: SearchConfig | null;
}

export type UpdateResult<T> = { ok: true; value: T } | { ok: false; status: 400 | 409; message: string };

const bad = (message: string): { ok: false; status: 400; message: string } => ({ ok: false, status: 400, message });

/** The update in `body` (request bytes as text), or the 400 the spec gives for it. */
export function parseSchemaUpdate(body: string): UpdateResult<SchemaUpdate> {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return bad("schema update must be valid JSON");
  }
  if (!isPlainObject(value)) return bad("schema update must be a JSON object");
  for (const key of Object.keys(value)) if (!UPDATE_KEYS.has(key)) return bad(`schemaUpdate.${key} is not supported`);
  if (value.apiVersion !== undefined && value.apiVersion !== REGISTRY_API_VERSION) return bad("invalid schema apiVersion");
  const has = (key: string) => Object.hasOwn(value, key);
  if (!has("schema") && !has("routingKey") && !has("search")) return bad("schema update must include schema, routingKey, or search");
  if (has("lens") && !has("schema")) return bad("schema update lens requires schema");
  if (has("schema") && value.routingKey === null) return bad("schema update routingKey must be an object when schema is provided");
  if (!has("schema") && has("routingKey") && has("search")) return bad("missing schema");

  const update: SchemaUpdate = {};
  if (has("schema")) {
    if (!isPlainObject(value.schema)) return bad("schema must be a JSON object");
    update.schema = value.schema;
  }
  if (has("lens")) update.lens = value.lens;
  if (has("routingKey")) {
    const parsed = parseRoutingKeyConfig(value.routingKey);
    if (!parsed.ok) return bad(parsed.message);
    update.routingKey = parsed.value;
  }
  if (has("search")) {
    if (value.search === null) update.search = null;
    else {
      const parsed = parseSearchConfig(value.search);
      if (!parsed.ok) return bad(parsed.message);
      update.search = parsed.value;
    }
  }
  return { ok: true, value: update };
}

/** The registry after `update`; `nextOffset` is where a new version's records start. */
export function applySchemaUpdate(current: SchemaRegistry, update: SchemaUpdate, nextOffset: number): UpdateResult<SchemaRegistry> {
  const next: SchemaRegistry = structuredClone(current);
  if (update.schema === undefined) {
    if (update.routingKey !== undefined) setOptional(next, "routingKey", update.routingKey);
    if (update.search !== undefined) {
      if (update.search !== null && current.currentVersion === 0) return bad("search config requires an installed schema version");
      setOptional(next, "search", update.search);
    }
    return { ok: true, value: next };
  }
  const compiled = compileSchema(update.schema);
  if (!compiled.ok) return bad(compiled.message);
  const first = current.currentVersion === 0;
  const evolved = first ? installFirst(next, update, nextOffset) : evolve(next, update, nextOffset);
  if (!evolved.ok) return evolved;
  // The first schema states the routing key in full (one set before is dropped unless
  // repeated); a later version keeps the previous one unless the update names another.
  if (first || update.routingKey !== undefined) setOptional(next, "routingKey", update.routingKey ?? null);
  if (update.search !== undefined) setOptional(next, "search", update.search);
  return { ok: true, value: next };
}

function installFirst(next: SchemaRegistry, update: SchemaUpdate, nextOffset: number): UpdateResult<null> {
  if (nextOffset !== 0) return bad("first schema requires empty stream");
  if (update.lens !== undefined) {
    // A lens into version 1 has nothing to promote; it is checked, then not kept.
    const lens = parseLens(update.lens);
    if (!lens.ok) return bad(lens.message);
    if (lens.lens.from !== 0 || lens.lens.to !== 1) return { ok: false, status: 409, message: "lens version mismatch" };
  }
  next.currentVersion = 1;
  next.boundaries = [{ offset: 0, version: 1 }];
  next.schemas = { "1": update.schema! };
  next.lenses = {};
  return { ok: true, value: null };
}

function evolve(next: SchemaRegistry, update: SchemaUpdate, nextOffset: number): UpdateResult<null> {
  const version = next.currentVersion;
  if (update.lens === undefined) return bad("lens required");
  const parsed = parseLens(update.lens);
  if (!parsed.ok) return bad(parsed.message);
  const lens = parsed.lens;
  if (lens.from !== version || lens.to !== version + 1) return { ok: false, status: 409, message: "lens version mismatch" };
  if (lens.schema !== next.schema) return bad("lens schema mismatch");
  const proof = proveLens(lens.ops, next.schemas[String(version)] ?? {}, update.schema!);
  if (!proof.ok) return bad(proof.message);
  next.currentVersion = version + 1;
  next.boundaries = [...next.boundaries, { offset: nextOffset, version: version + 1 }];
  next.schemas = { ...next.schemas, [String(version + 1)]: update.schema! };
  next.lenses = { ...next.lenses, [String(version)]: { ...lens, ops: proof.ops } };
  return { ok: true, value: null };
}

function setOptional<K extends "routingKey" | "search">(registry: SchemaRegistry, key: K, value: SchemaRegistry[K] | null): void {
  if (value === null || value === undefined) delete registry[key];
  else registry[key] = value;
}
