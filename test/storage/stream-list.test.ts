// Goal: `GET /v1/streams` pages through every listed stream in name order, however many
// there are, skipping the ones its filter rejects before counting the offset, and never
// listing tombstones or internal streams.
// Method: `listStreamRowsPage` on an in-memory database holding more rows than one read takes.
import { expect, test } from "bun:test";
import { openDatabase } from "../../src/storage/sqlite/open.ts";
import { FLAG_DELETED, FLAG_TOUCH, insertStream, listStreamRowsPage, type NewStreamRow } from "../../src/storage/sqlite/streams.ts";

function streamRow(name: string, flags = 0): NewStreamRow {
  return {
    stream: name, created_at_ms: 0, updated_at_ms: 0, content_type: "application/octet-stream", profile: null,
    stream_seq: null, closed: 0, closed_producer_id: null, closed_producer_epoch: null, closed_producer_seq: null,
    ttl_seconds: null, expires_at_ms: null, epoch: 0, next_offset: 0, sealed_through: -1, uploaded_through: -1,
    uploaded_segment_count: 0, pending_rows: 0, pending_bytes: 0, logical_size_bytes: 0, wal_rows: 0, wal_bytes: 0,
    last_append_ms: 0, last_segment_cut_ms: 0, segment_in_progress: 0, stream_flags: flags, fork_source_id: null,
    fork_base_offset: 0, fork_offset: null, fork_sub_offset: 0, fork_refcount: 0, meta_version: 0,
  };
}

test("pages run across reads of the table, in name order, offset counted after the filter", () => {
  const db = openDatabase(":memory:");
  const names = Array.from({ length: 700 }, (_, i) => `s-${String(i).padStart(4, "0")}`);
  // Inserted out of order: the listing sorts by name, not by insertion.
  for (const name of [...names].reverse()) insertStream(db, streamRow(name));
  insertStream(db, streamRow("s-0100x", FLAG_DELETED));
  insertStream(db, streamRow("s-0200x", FLAG_TOUCH));
  const keep = (row: { stream: string }) => Number(row.stream.slice(2)) % 3 !== 0;
  const kept = names.filter((name) => keep({ stream: name }));

  expect(listStreamRowsPage(db, 1000, 0, keep).map((r) => r.stream)).toEqual(kept);
  expect(listStreamRowsPage(db, 50, 300, keep).map((r) => r.stream)).toEqual(kept.slice(300, 350));
  expect(listStreamRowsPage(db, 10, kept.length - 4, keep).map((r) => r.stream)).toEqual(kept.slice(-4));
  expect(listStreamRowsPage(db, 10, kept.length, keep)).toEqual([]);
  expect(listStreamRowsPage(db, 5, 0, () => false)).toEqual([]);
  db.close();
});
