// Sliding TTL bookkeeping: reads renew a TTL stream's expiry without a write per read.
//
// A GET only records the access time here; the writer folds pending renewals into the
// stream rows at the start of its next transaction (or after `flushDelayMs`). Every expiry
// decision goes through `effectiveExpiresAt`, which combines the stored deadline with a
// renewal that has not reached SQLite yet. A crash can lose renewals younger than the
// flush delay; the stream then expires up to that much earlier (docs/decisions.md).
import type { StreamRow } from "../storage/sqlite/streams.ts";

export class AccessTracker {
  private readonly pending = new Map<number, number>();

  /** Records a read of a TTL stream at `nowMs`; returns true when this is a new pending entry. */
  touch(row: StreamRow, nowMs: number): boolean {
    if (row.ttl_seconds === null) return false;
    const had = this.pending.has(row.id);
    const previous = this.pending.get(row.id) ?? 0;
    if (nowMs > previous) this.pending.set(row.id, nowMs);
    return !had;
  }

  effectiveExpiresAt(row: StreamRow): number | null {
    if (row.expires_at_ms === null) return null;
    const accessed = this.pending.get(row.id);
    if (accessed === undefined || row.ttl_seconds === null) return row.expires_at_ms;
    return Math.max(row.expires_at_ms, accessed + row.ttl_seconds * 1000);
  }

  isExpired(row: StreamRow, nowMs: number): boolean {
    const expiresAt = this.effectiveExpiresAt(row);
    return expiresAt !== null && nowMs >= expiresAt;
  }

  /** Hands pending renewals to the writer and forgets them. */
  drain(): Map<number, number> {
    const drained = new Map(this.pending);
    this.pending.clear();
    return drained;
  }

  get size(): number {
    return this.pending.size;
  }

  forget(streamId: number): void {
    this.pending.delete(streamId);
  }
}

/** Deadline after renewing a TTL stream at `nowMs`; unchanged for absolute expiry. */
export function renewedExpiry(row: StreamRow, nowMs: number): number | null {
  if (row.ttl_seconds === null) return row.expires_at_ms;
  return Math.max(row.expires_at_ms ?? 0, nowMs + row.ttl_seconds * 1000);
}
