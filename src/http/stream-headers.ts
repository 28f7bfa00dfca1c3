// Response headers shared by the stream routes (spec 01 §4.3).
import { encodeOffset } from "../engine/offsets.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";

export const H = {
  nextOffset: "stream-next-offset",
  endOffset: "stream-end-offset",
  upToDate: "stream-up-to-date",
  closed: "stream-closed",
  cursor: "stream-cursor",
  ttl: "stream-ttl",
  expiresAt: "stream-expires-at",
  producerEpoch: "producer-epoch",
  producerSeq: "producer-seq",
  producerExpectedSeq: "producer-expected-seq",
  producerReceivedSeq: "producer-received-seq",
  sseEncoding: "stream-sse-data-encoding",
} as const;

/** Headers describing the stream itself: type, expiry and TTL. */
export function describeStream(headers: Headers, row: StreamRow, expiresAtMs: number | null): void {
  headers.set("content-type", row.content_type);
  if (row.ttl_seconds !== null) headers.set(H.ttl, String(row.ttl_seconds));
  if (expiresAtMs !== null) headers.set(H.expiresAt, new Date(expiresAtMs).toISOString());
}

export function setTail(headers: Headers, row: StreamRow): void {
  headers.set(H.nextOffset, encodeOffset(row.next_offset - 1));
  if (row.closed) headers.set(H.closed, "true");
}
