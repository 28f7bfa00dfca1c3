// The `stream_profiles` and `schemas` tables: a stream incarnation's profile document and
// schema registry, stored as JSON text (the profile kind itself is `streams.profile`).
// Both are keyed by incarnation id and removed with the incarnation's purge.
import type { Database } from "bun:sqlite";

export function getProfileJson(db: Database, streamId: number): string | null {
  return db.query<{ profile_json: string }, [number]>("SELECT profile_json FROM stream_profiles WHERE stream_id = ?").get(streamId)?.profile_json ?? null;
}

/** Stores the document, or removes the row when `json` is null (kinds without configuration). */
export function putProfileJson(db: Database, streamId: number, json: string | null, nowMs: number): void {
  if (json === null) {
    db.query<never, [number]>("DELETE FROM stream_profiles WHERE stream_id = ?").run(streamId);
    return;
  }
  db.query<never, [number, string, number]>(
    `INSERT INTO stream_profiles (stream_id, profile_json, updated_at_ms) VALUES (?, ?, ?)
     ON CONFLICT (stream_id) DO UPDATE SET profile_json = excluded.profile_json, updated_at_ms = excluded.updated_at_ms`,
  ).run(streamId, json, nowMs);
}

export function getRegistryJson(db: Database, streamId: number): string | null {
  return db.query<{ registry_json: string }, [number]>("SELECT registry_json FROM schemas WHERE stream_id = ?").get(streamId)?.registry_json ?? null;
}

export function putRegistryJson(db: Database, streamId: number, json: string, nowMs: number): void {
  db.query<never, [number, string, number]>(
    `INSERT INTO schemas (stream_id, registry_json, updated_at_ms) VALUES (?, ?, ?)
     ON CONFLICT (stream_id) DO UPDATE SET registry_json = excluded.registry_json, updated_at_ms = excluded.updated_at_ms`,
  ).run(streamId, json, nowMs);
}

/** Removes both documents of a purged incarnation. */
export function deleteStreamMeta(db: Database, streamId: number): void {
  db.query<never, [number]>("DELETE FROM stream_profiles WHERE stream_id = ?").run(streamId);
  db.query<never, [number]>("DELETE FROM schemas WHERE stream_id = ?").run(streamId);
}
