// Entry of the checkpoint thread: its own connection, copying committed WAL frames into the
// database file with PASSIVE checkpoints every `intervalMs`. A PASSIVE checkpoint takes no
// writer lock, so commits carry on meanwhile; see checkpointer.ts for why this runs here.
import type { Database } from "bun:sqlite";
import { openDatabase } from "./open.ts";

declare const self: Worker;

export type CheckpointThreadMessage = { type: "init"; dbPath: string; intervalMs: number } | { type: "close" };

export type CheckpointThreadReply =
  | { type: "ready" }
  | { type: "init-failed"; message: string }
  /** One checkpoint that copied frames: how many, and how long it took. */
  | { type: "checkpointed"; frames: number; ms: number }
  | { type: "checkpoint-failed"; message: string }
  | { type: "closed" };

/** The checkpoint needs no page cache of its own: it copies frames straight from the WAL. */
const CACHE_BYTES = 1024 * 1024;

let db: Database | null = null;
let timer: ReturnType<typeof setTimeout> | null = null;
/** Frames of the current WAL already copied (wal_checkpoint reports a running total). */
let backfilled = 0;

const post = (message: CheckpointThreadReply) => self.postMessage(message);

function checkpointOnce(): void {
  const started = performance.now();
  const result = db!.query<{ busy: number; log: number; checkpointed: number }, []>("PRAGMA wal_checkpoint(PASSIVE)").get();
  if (!result) return;
  // After a writer restarts the WAL, the totals start again from zero.
  const copied = result.checkpointed >= backfilled ? result.checkpointed - backfilled : result.checkpointed;
  backfilled = result.checkpointed;
  if (copied > 0) post({ type: "checkpointed", frames: copied, ms: performance.now() - started });
}

function schedule(intervalMs: number): void {
  timer = setTimeout(() => {
    try {
      checkpointOnce();
    } catch (error) {
      post({ type: "checkpoint-failed", message: error instanceof Error ? error.message : String(error) });
    }
    if (db) schedule(intervalMs);
  }, intervalMs);
}

self.onmessage = (event: MessageEvent<CheckpointThreadMessage>) => {
  const message = event.data;
  if (message.type === "init") {
    try {
      db = openDatabase(message.dbPath, { cacheBytes: CACHE_BYTES, migrate: false });
      schedule(message.intervalMs);
      post({ type: "ready" });
    } catch (error) {
      post({ type: "init-failed", message: error instanceof Error ? error.message : String(error) });
    }
    return;
  }
  if (timer) clearTimeout(timer);
  timer = null;
  db?.close();
  db = null;
  post({ type: "closed" });
};
