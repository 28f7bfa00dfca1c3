// What a stream row means to a request right now: live, expired, soft-deleted or absent.
import { FLAG_DELETED, type StreamRow } from "../storage/sqlite/streams.ts";
import type { AccessTracker } from "./expiry.ts";

export type StreamStatus = "live" | "expired" | "soft_deleted" | "absent";

export function classifyStream(row: StreamRow | null, nowMs: number, access: AccessTracker): StreamStatus {
  if (!row) return "absent";
  if ((row.stream_flags & FLAG_DELETED) !== 0) {
    // Deleted while forks still read through it: 410 until the last fork goes (spec 01 §12.3).
    return row.fork_refcount > 0 ? "soft_deleted" : "absent";
  }
  if (access.isExpired(row, nowMs)) return "expired";
  return "live";
}

export function isDeleted(row: StreamRow): boolean {
  return (row.stream_flags & FLAG_DELETED) !== 0;
}

/** Seq of the last record (the tail position); -1 for an empty stream. */
export function tailSeq(row: StreamRow): number {
  return row.next_offset - 1;
}
