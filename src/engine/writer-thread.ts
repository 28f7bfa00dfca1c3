// Entry of the writer thread: its own connection to the (already migrated) database; runs
// each batch in one transaction, in arrival order, and answers with the reply as JSON (a
// reply holds no bytes). It writes no payload files (batches with such records run inline:
// writer.ts), but reads them to move old files' last rows inline, and retires emptied ones.
import type { Database } from "bun:sqlite";
import { PayloadFileReader, payloadDirOf } from "../storage/payload-files.ts";
import { openDatabase } from "../storage/sqlite/open.ts";
import { decodeBatch, type WireBatch } from "./batch-wire.ts";
import { GcPacer } from "./gc-pacer.ts";
import { committedRowsFrom, type WriterPayloads } from "./write-batch.ts";
import { executeBatch } from "./write-commands.ts";

declare const self: Worker;

export interface WriterThreadInit {
  dbPath: string;
  cacheBytes: number;
  walCheckpointBytes: number;
  busyRetryMs: number;
  gc: { paceBytes: number; minIntervalMs: number };
  /** Emptied payload files kept to be written over. */
  payloadSpareFiles: number;
}

export type WriterThreadMessage =
  | ({ type: "init" } & WriterThreadInit)
  | { type: "batch"; id: number; batch: WireBatch }
  | { type: "close" };

export type WriterThreadReply =
  | { type: "ready" }
  | { type: "init-failed"; message: string }
  | { type: "reply"; id: number; reply: string }
  | { type: "closed" };

let db: Database | null = null;
let busyRetryMs = 5000;
let payloads: WriterPayloads | null = null;
// This thread has its own heap: the batches' payload buffers die here, so it paces its own
// collections (the main thread's do not reach this heap).
let gc = new GcPacer({ paceBytes: 0, minIntervalMs: 0 });

function post(message: WriterThreadReply): void {
  self.postMessage(message);
}

self.onmessage = (event: MessageEvent<WriterThreadMessage>) => {
  const message = event.data;
  switch (message.type) {
    case "init":
      try {
        db = openDatabase(message.dbPath, { cacheBytes: message.cacheBytes, walCheckpointBytes: message.walCheckpointBytes, migrate: false });
        busyRetryMs = message.busyRetryMs;
        payloads = { reader: new PayloadFileReader(payloadDirOf(message.dbPath)), keepSpares: message.payloadSpareFiles };
        gc = new GcPacer({ ...message.gc, fullEvery: 1 });
        post({ type: "ready" });
      } catch (error) {
        post({ type: "init-failed", message: error instanceof Error ? error.message : String(error) });
      }
      return;
    case "batch": {
      // Rows come from SQLite each batch: inline batches on the other connection change them too.
      const reply = executeBatch(db!, decodeBatch(message.batch), busyRetryMs, committedRowsFrom(db!), payloads);
      post({ type: "reply", id: message.id, reply: JSON.stringify(reply) });
      gc.note(message.batch.payload.byteLength);
      return;
    }
    case "close":
      payloads?.reader.close();
      payloads = null;
      db?.close();
      db = null;
      post({ type: "closed" });
      return;
  }
};
