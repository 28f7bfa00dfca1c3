// Opening the SQLite database: the durability pragmas of spec 02 §2.1, then migrations.
import { Database } from "bun:sqlite";
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { MIGRATIONS, type Migration } from "./schema.ts";

export interface OpenOptions {
  /** Page cache budget in bytes; 0 keeps SQLite's default. */
  cacheBytes?: number;
  /** Apply migrations (the main connection does; the writer thread opens a migrated file). */
  migrate?: boolean;
  /**
   * WAL size, in bytes, past which a committing connection checkpoints on its own (SQLite's
   * autocheckpoint); 0 keeps SQLite's default of 1000 pages. With the background
   * checkpointer running this is only a backstop: see checkpointer.ts.
   */
  walCheckpointBytes?: number;
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
  if (options.walCheckpointBytes && options.walCheckpointBytes > 0) {
    const pageSize = db.query<{ page_size: number }, []>("PRAGMA page_size").get()!.page_size;
    db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(1, Math.ceil(options.walCheckpointBytes / pageSize))}`);
    // After a checkpoint resets the WAL, the file is cut back to this size.
    db.exec(`PRAGMA journal_size_limit = ${options.walCheckpointBytes}`);
  }
  if (options.migrate !== false) migrate(db, MIGRATIONS);
  return db;
}

function tableExists(db: Database, name: string): boolean {
  return db.query<{ name: string }, [string]>("SELECT name FROM sqlite_master WHERE type='table' AND name=?").get(name) !== null;
}

/**
 * Versions already applied. `schema_migrations` lists each one; a database from before
 * that table existed applied every version up to `schema_version`.
 */
function appliedVersions(db: Database, migrations: readonly Migration[]): Set<number> {
  if (tableExists(db, "schema_migrations")) {
    return new Set(db.query<{ version: number }, []>("SELECT version FROM schema_migrations").all().map((r) => r.version));
  }
  const current = tableExists(db, "schema_version")
    ? (db.query<{ version: number }, []>("SELECT version FROM schema_version").get()?.version ?? 0)
    : 0;
  return new Set(migrations.filter((m) => m.version <= current).map((m) => m.version));
}

/** Applies, in version order, every migration not applied yet; gaps in the numbering are fine. */
export function migrate(db: Database, migrations: readonly Migration[]): void {
  const applied = appliedVersions(db, migrations);
  const newest = Math.max(0, ...applied);
  const known = Math.max(0, ...migrations.map((m) => m.version));
  if (newest > known) {
    throw new Error(`database schema version ${newest} is newer than this server (${known})`);
  }
  const pending = migrations.filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
  db.transaction(() => {
    db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)");
    for (const version of applied) db.query("INSERT OR IGNORE INTO schema_migrations (version) VALUES (?)").run(version);
  })();
  for (const migration of pending) {
    db.transaction(() => {
      db.exec(migration.sql);
      db.query("INSERT INTO schema_migrations (version) VALUES (?)").run(migration.version);
      db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
      db.exec("DELETE FROM schema_version");
      db.query("INSERT INTO schema_version (version) VALUES (?)").run(Math.max(migration.version, ...applied));
    })();
    applied.add(migration.version);
  }
}

/** Bytes of the database file and its WAL and shared-memory files, as on disk now. */
export function sqliteFileBytes(path: string): number {
  let total = 0;
  for (const suffix of ["", "-wal", "-shm"]) {
    try {
      total += statSync(`${path}${suffix}`).size;
    } catch {
      // not there (yet)
    }
  }
  return total;
}
