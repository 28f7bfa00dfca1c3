// Opening the SQLite database: the durability pragmas of spec 02 §2.1, then migrations.
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";

export interface OpenOptions {
  /** Page cache budget in bytes; 0 keeps SQLite's default. */
  cacheBytes?: number;
  /** Apply migrations (the main connection does; the writer thread opens a migrated file). */
  migrate?: boolean;
}

export function openDatabase(path: string, options: OpenOptions = {}): Database {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { create: true, strict: true });
  // WAL + synchronous=FULL: a COMMIT returns only after the WAL frame is fsynced, which is
  // the acknowledgement point of every append (docs/architecture.md, "Append").
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("PRAGMA temp_store = MEMORY");
  if (options.cacheBytes && options.cacheBytes > 0) {
    db.exec(`PRAGMA cache_size = -${Math.max(1, Math.floor(options.cacheBytes / 1024))}`);
  }
  if (options.migrate !== false) migrate(db);
  return db;
}

function currentVersion(db: Database): number {
  const table = db
    .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_version'")
    .get();
  if (!table) return 0;
  const row = db.query<{ version: number }, []>("SELECT version FROM schema_version").get();
  return row?.version ?? 0;
}

function migrate(db: Database): void {
  const from = currentVersion(db);
  if (from > SCHEMA_VERSION) {
    throw new Error(`database schema version ${from} is newer than this server (${SCHEMA_VERSION})`);
  }
  for (const migration of MIGRATIONS) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      db.exec("DELETE FROM schema_version");
      db.query("INSERT INTO schema_version (version) VALUES (?)").run(migration.version);
    })();
  }
}
