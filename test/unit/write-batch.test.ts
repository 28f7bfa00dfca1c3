// Goal: an append whose records carry their own routing keys is stored as one WAL row per
// run of consecutive equal keys, at contiguous offsets, and keyed reads find each record.
// Method: run write batches on an in-memory database, then read the `wal` table.
import { expect, test } from "bun:test";
import type { AppendRequest } from "../../src/engine/append-checks.ts";
import { splitJsonValues } from "../../src/engine/json-split.ts";
import { PayloadFileReader } from "../../src/storage/payload-files.ts";
import { Reader } from "../../src/engine/reader.ts";
import { committedRowsFrom } from "../../src/engine/write-batch.ts";
import { executeBatch, type WriteCommand } from "../../src/engine/write-commands.ts";
import { openDatabase } from "../../src/storage/sqlite/open.ts";
import { getStreamByName } from "../../src/storage/sqlite/streams.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function setup() {
  const db = openDatabase(":memory:");
  const run = (commands: WriteCommand[]) => {
    const reply = executeBatch(db, commands, 0, committedRowsFrom(db));
    if (!reply.ok) throw new Error(reply.message);
    return reply;
  };
  run([{ op: "create", req: { name: "s", contentType: "application/json", recordsContentType: "application/json", ttlSeconds: null, expiresAtMs: null, close: false, records: { chunks: [], count: 0 }, fork: null } }]);
  return { db, run };
}

function append(records: AppendRequest["records"]): WriteCommand {
  return { op: "append", req: { name: "s", contentType: "application/json", records, routingKey: null, close: false, producer: null, streamSeq: null, timestampMs: null, metaVersion: 0 } };
}

test("consecutive records with equal keys share a row; a new key starts a new row", async () => {
  const { db, run } = setup();
  const a = enc("a");
  const b = enc("b\u0000x");
  run([append({ chunks: ["1", "2", "3", "4", "5"].map(enc), count: 5, keys: [a, enc("a"), b, null, null] })]);
  const rows = db.query<{ offset: number; record_count: number; payload: Uint8Array; routing_key: Uint8Array | null }, []>(
    "SELECT offset, record_count, payload, routing_key FROM wal ORDER BY offset",
  ).all();
  expect(rows.map((r) => [r.offset, r.record_count, dec(r.payload), r.routing_key === null ? null : dec(r.routing_key)])).toEqual([
    [0, 2, "1,2", "a"],
    [2, 1, "3", "b\u0000x"],
    [3, 2, "4,5", null],
  ]);
  const row = getStreamByName(db, "s")!;
  expect(row.next_offset).toBe(5);

  const reader = new Reader(db, () => null, null, new PayloadFileReader("/nonexistent"));
  const limits = { maxRecords: 100, maxBytes: 1 << 20, keyScanMaxOffsets: 1000 };
  const keyed = await reader.read(row, -1, limits, b);
  expect(keyed.chunks.flatMap((c) => splitJsonValues(c)).map(dec)).toEqual(["3"]);
  const all = await reader.read(row, -1, limits, null);
  expect(all.chunks.flatMap((c) => splitJsonValues(c)).map(dec)).toEqual(["1", "2", "3", "4", "5"]);
});
