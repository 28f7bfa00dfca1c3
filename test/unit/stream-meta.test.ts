// Goal: a stream's profile and registry are loaded once per incarnation and meta_version:
// repeated appends reuse the entry, a profile or schema change (which bumps meta_version)
// loads the new state, and the cache stays within its bound.
// Method: run write batches on an in-memory database and ask the cache between them.
import { expect, test } from "bun:test";
import { StreamMetaCache } from "../../src/engine/stream-meta.ts";
import { committedRowsFrom } from "../../src/engine/write-batch.ts";
import { executeBatch, type WriteCommand } from "../../src/engine/write-commands.ts";
import { openDatabase } from "../../src/storage/sqlite/open.ts";
import { getStreamByName } from "../../src/storage/sqlite/streams.ts";

function setup() {
  const db = openDatabase(":memory:");
  const run = (command: WriteCommand) => {
    const reply = executeBatch(db, [command], 0, committedRowsFrom(db));
    if (!reply.ok) throw new Error(reply.message);
    return reply.results[0];
  };
  const create = (name: string) =>
    run({ op: "create", req: { name, contentType: "application/json", recordsContentType: "application/json", ttlSeconds: null, expiresAtMs: null, close: false, records: { chunks: [], count: 0 }, fork: null } });
  return { db, run, create, row: (name: string) => getStreamByName(db, name)! };
}

test("an entry is reused until the profile or schema changes", () => {
  const { db, run, create, row } = setup();
  create("s");
  const cache = new StreamMetaCache(db, 10);
  const first = cache.get(row("s"));
  expect(first.profile?.definition.kind).toBe("generic");
  expect(first.parsesAppends).toBe(false);
  expect(cache.get(row("s"))).toBe(first);

  run({ op: "profile", name: "s", document: { kind: "metrics" } });
  const second = cache.get(row("s"));
  expect(second).not.toBe(first);
  expect(second.profile?.definition.kind).toBe("metrics");
  expect(second.registry?.routingKey).toEqual({ jsonPointer: "/seriesKey", required: true });
  expect(second.parsesAppends).toBe(true);

  run({ op: "schema", name: "s", update: { routingKey: null } });
  expect(cache.get(row("s")).routingKey).toBeNull();
});

test("the cache holds at most its bound, dropping the least recently used", () => {
  const { db, create, row } = setup();
  for (const name of ["a", "b", "c"]) create(name);
  const cache = new StreamMetaCache(db, 2);
  const a = cache.get(row("a"));
  const b = cache.get(row("b"));
  expect(cache.get(row("a"))).toBe(a); // a is now the most recent
  cache.get(row("c")); // evicts b, the least recent
  expect(cache.get(row("a"))).toBe(a);
  expect(cache.get(row("b"))).not.toBe(b); // loaded again, evicting c
});
