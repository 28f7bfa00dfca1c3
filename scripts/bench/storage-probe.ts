// What this machine's disk allows, measured in the same run as the scenarios: SQLite in WAL
// mode with synchronous=FULL (the server's durability settings) on the benchmark's own data
// directory, with nothing else running. The append targets assume a disk that commits about
// 300,000 100-byte rows/s in 100-row transactions; on a disk whose fsync is several times
// slower the commit, not the HTTP path, bounds what any durable server can reach, and the
// ratios against the trivial server (which stores nothing) should be read with that figure.
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { rmSync } from "node:fs";

export interface StorageProbe {
  /** One-row transactions per second: the cost of one commit (one fsync) with nothing to batch. */
  singleRowCommitsPerSec: number;
  /** Rows per second in transactions of 16 rows, about the batches the append scenario forms. */
  rowsPerSecIn16RowTx: number;
  /** Rows per second in transactions of 100 rows: the figure the targets assume (~300,000). */
  rowsPerSecIn100RowTx: number;
  /**
   * 16-row transactions again, into a table indexed by (stream, offset) over 8 streams like
   * the server's WAL table: each commit then also writes one index page per stream.
   */
  rowsPerSecIn16RowTxIndexed: number;
}

const ROW = new Uint8Array(100).fill(0x61);

/** Commits transactions of `rowsPerTx` 100-byte rows for `durationMs`; returns rows/s and commits/s. */
function commitLoop(db: Database, rowsPerTx: number, durationMs: number): { rowsPerSec: number; commitsPerSec: number } {
  const insert = db.prepare("INSERT INTO probe (stream, offset, payload) VALUES (?, ?, ?)");
  const nextOffset = [0, 0, 0, 0, 0, 0, 0, 0];
  const transaction = db.transaction((count: number) => {
    for (let i = 0; i < count; i++) insert.run(i % 8, nextOffset[i % 8]!++, ROW);
  });
  const started = performance.now();
  let commits = 0;
  while (performance.now() - started < durationMs) {
    transaction(rowsPerTx);
    commits++;
  }
  const seconds = (performance.now() - started) / 1000;
  return { rowsPerSec: (commits * rowsPerTx) / seconds, commitsPerSec: commits / seconds };
}

function prefill(db: Database, rows: number): void {
  const insert = db.prepare("INSERT INTO probe (stream, offset, payload) VALUES (?, ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run(i % 8, -1 - Math.floor(i / 8), ROW);
  })();
}

/** Runs the probe in `dir` (a scratch database, removed afterwards); about `4 × durationMs`. */
export function probeStorage(dir: string, durationMs = 1500): StorageProbe {
  const path = join(dir, "storage-probe.sqlite");
  const db = new Database(path, { create: true });
  try {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("CREATE TABLE probe (id INTEGER PRIMARY KEY, stream INTEGER NOT NULL, offset INTEGER NOT NULL, payload BLOB NOT NULL)");
    const singleRowCommitsPerSec = commitLoop(db, 1, durationMs).commitsPerSec;
    const rowsPerSecIn16RowTx = commitLoop(db, 16, durationMs).rowsPerSec;
    const rowsPerSecIn100RowTx = commitLoop(db, 100, durationMs).rowsPerSec;
    db.exec("DELETE FROM probe");
    db.exec("CREATE UNIQUE INDEX probe_stream_offset ON probe (stream, offset)");
    prefill(db, 50_000); // enough rows that each stream's index entries fill pages of their own
    const rowsPerSecIn16RowTxIndexed = commitLoop(db, 16, durationMs).rowsPerSec;
    return { singleRowCommitsPerSec, rowsPerSecIn16RowTx, rowsPerSecIn100RowTx, rowsPerSecIn16RowTxIndexed };
  } finally {
    db.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
  }
}
