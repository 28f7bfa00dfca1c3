// What a stream row means to a request right now: live, expired, soft-deleted or absent.
import { FLAG_DELETED, type StreamRow } from "../storage/sqlite/streams.ts";

export type StreamStatus = "live" | "expired" | "soft_deleted" | "absent";

/** The deadline to judge expiry by (the reader side adds renewals not yet written). */
export type ExpiryOf = (row: StreamRow) => number | null;

export const storedExpiry: ExpiryOf = (row) => row.expires_at_ms;

export function classifyStream(row: StreamRow | null, nowMs: number, expiryOf: ExpiryOf = storedExpiry): StreamStatus {
  if (!row) return "absent";
  if ((row.stream_flags & FLAG_DELETED) !== 0) {
    // Deleted while forks still read through it: 410 until the last fork goes (spec 01 §12.3).
    return row.fork_refcount > 0 ? "soft_deleted" : "absent";
  }
  const expiresAt = expiryOf(row);
  if (expiresAt !== null && nowMs >= expiresAt) return "expired";
  return "live";
}

export function isDeleted(row: StreamRow): boolean {
  return (row.stream_flags & FLAG_DELETED) !== 0;
}
