// Goal: migrations apply in version order, tolerate gaps in the numbering, and a version
// that appears later (a branch merged after a higher version ran) is still applied once.
// Method: run `migrate` on in-memory databases with made-up migration lists.
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { migrate, openDatabase } from "../../src/storage/sqlite/open.ts";
import type { Migration } from "../../src/storage/sqlite/schema.ts";

const tables = (db: Database): string[] =>
  db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 't%' ORDER BY name").all().map((r) => r.name);
const version = (db: Database): number => db.query<{ version: number }, []>("SELECT version FROM schema_version").get()!.version;

const v1: Migration = { version: 1, sql: "CREATE TABLE t1 (x INTEGER)" };
const v2: Migration = { version: 2, sql: "CREATE TABLE t2 (x INTEGER)" };
const v3: Migration = { version: 3, sql: "CREATE TABLE t3 (x INTEGER)" };

test("a gap in the numbering is skipped", () => {
  const db = new Database(":memory:");
  migrate(db, [v1, v3]);
  expect(tables(db)).toEqual(["t1", "t3"]);
  expect(version(db)).toBe(3);
});

test("a lower version that appears after a higher one ran is applied, once", () => {
  const db = new Database(":memory:");
  migrate(db, [v1, v3]);
  migrate(db, [v1, v2, v3]);
  expect(tables(db)).toEqual(["t1", "t2", "t3"]);
  expect(version(db)).toBe(3);
  migrate(db, [v1, v2, v3]);
  expect(tables(db)).toEqual(["t1", "t2", "t3"]);
});

test("a database from before schema_migrations counts every version up to schema_version as applied", () => {
  const db = new Database(":memory:");
  db.exec("CREATE TABLE t1 (x INTEGER); CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1)");
  migrate(db, [v1, v3]);
  expect(tables(db)).toEqual(["t1", "t3"]);
});

test("a database newer than the server is refused", () => {
  const db = new Database(":memory:");
  migrate(db, [v1, v3]);
  expect(() => migrate(db, [v1])).toThrow("newer than this server");
});

test("the real schema migrates and has the profile and schema tables", () => {
  const db = openDatabase(":memory:");
  const names = db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type='table'").all().map((r) => r.name);
  expect(names).toEqual(expect.arrayContaining(["streams", "wal", "stream_profiles", "schemas", "schema_migrations"]));
  const columns = db.query<{ name: string }, []>("PRAGMA table_info(streams)").all().map((r) => r.name);
  expect(columns).toContain("meta_version");
});
