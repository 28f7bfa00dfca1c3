// Profile and schema changes as writer commands, so they are ordered with appends and
// committed atomically with them (spec 03 §2.2, §5.3).
//
// Commit order of a profile install (`executeSetProfile`):
//   1. the profile's preconditions against the row as this batch sees it
//   2. store the document (or drop it), and the profile's canonical registry if it has one
//   3. set `streams.profile`, bump `meta_version` (appends prepared before now retry), and
//      owe the bucket a manifest if it knows the stream (the manifest carries the profile)
//   4. COMMIT POINT: the batch's COMMIT; the stream cache then takes the row, and the
//      next request loads the new profile (stream-meta.ts)
// A schema update follows the same steps with the registry (`executeSchemaUpdate`).
import { DEFAULT_PROFILE, getProfile } from "../profiles/index.ts";
import type { ProfileDocument } from "../profiles/profile.ts";
import { storedProfileJson } from "../profiles/profile-resource.ts";
import { emptyRegistry, parseStoredRegistry, type SchemaRegistry } from "../schema/registry.ts";
import { applySchemaUpdate, type SchemaUpdate } from "../schema/schema-update.ts";
import { getRegistryJson, putProfileJson, putRegistryJson } from "../storage/sqlite/stream-meta.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import { classifyStream } from "./stream-status.ts";
import type { WriteBatch } from "./write-batch.ts";

type Missing = { kind: "not_found" } | { kind: "soft_deleted" };

export type ProfileOutcome = { kind: "ok"; document: ProfileDocument } | Missing | { kind: "refused"; message: string };

export type SchemaOutcome =
  | { kind: "ok"; registry: SchemaRegistry }
  | Missing
  | { kind: "refused"; status: 400 | 409; message: string }
  | { kind: "corrupt" };

function liveRow(batch: WriteBatch, name: string): { row: StreamRow } | Missing {
  const row = batch.stream(name);
  const status = classifyStream(row, batch.nowMs);
  if (status === "soft_deleted") return { kind: "soft_deleted" };
  return row && status === "live" ? { row } : { kind: "not_found" };
}

function metaChanged(batch: WriteBatch, row: StreamRow): void {
  row.meta_version += 1;
  batch.touched(row);
  // The manifest carries the profile: a stream the bucket knows is published again.
  batch.owePublishIfKnown(row.id);
}

/** `document` was validated by the profile's zod schema before it was queued. */
export function executeSetProfile(batch: WriteBatch, name: string, document: ProfileDocument): ProfileOutcome {
  const found = liveRow(batch, name);
  if (!("row" in found)) return found;
  const { row } = found;
  const definition = getProfile(document.kind);
  if (!definition) return { kind: "refused", message: `unknown profile kind ${document.kind}` };
  const refusal = definition.install(
    { streamName: row.stream, contentType: row.content_type, nextOffset: row.next_offset, currentKind: row.profile ?? DEFAULT_PROFILE.kind },
    document,
  );
  if (refusal !== null) return { kind: "refused", message: refusal };
  putProfileJson(batch.db, row.id, storedProfileJson(document), batch.nowMs);
  if (definition.defaultSchema) putRegistryJson(batch.db, row.id, JSON.stringify(definition.defaultSchema(row.stream)), batch.nowMs);
  row.profile = definition.kind;
  metaChanged(batch, row);
  return { kind: "ok", document };
}

export function executeSchemaUpdate(batch: WriteBatch, name: string, update: SchemaUpdate): SchemaOutcome {
  const found = liveRow(batch, name);
  if (!("row" in found)) return found;
  const { row } = found;
  const json = getRegistryJson(batch.db, row.id);
  const current = json === null ? emptyRegistry(row.stream) : parseStoredRegistry(json);
  if (!current) return { kind: "corrupt" };
  const result = applySchemaUpdate(current, update, row.next_offset);
  if (!result.ok) return { kind: "refused", status: result.status, message: result.message };
  putRegistryJson(batch.db, row.id, JSON.stringify(result.value), batch.nowMs);
  metaChanged(batch, row);
  return { kind: "ok", registry: result.value };
}
