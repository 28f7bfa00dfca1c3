// Entry of the writer thread: its own connection to the (already migrated) database; runs
// each batch in one transaction, in arrival order, after writing its large payloads to a
// payload file (writer-pipeline.ts), and answers with the reply as JSON (a reply holds no
// bytes).
import type { Database } from "bun:sqlite";
import { PayloadAppender, PayloadFileReader, payloadDirOf } from "../storage/payload-files.ts";
import { openDatabase } from "../storage/sqlite/open.ts";
import { nextPayloadFileId } from "../storage/sqlite/payload-files.ts";
import { decodeBatch, type WireBatch } from "./batch-wire.ts";
import { GcPacer } from "./gc-pacer.ts";
import { committedRowsFrom, type WriterPayloads } from "./write-batch.ts";
import { executeBatch } from "./write-commands.ts";
import { WriterPipeline } from "./writer-pipeline.ts";

declare const self: Worker;

export interface WriterThreadInit {
  dbPath: string;
  cacheBytes: number;
  walCheckpointBytes: number;
  busyRetryMs: number;
  gc: { paceBytes: number; minIntervalMs: number };
  /** Payloads of at least this many bytes go to payload files (0: none), files of about `payloadFileMaxBytes`. */
  payloadMinBytes: number;
  payloadFileMaxBytes: number;
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
let appender: PayloadAppender | null = null;
let pipeline: WriterPipeline | null = null;
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
        const dir = payloadDirOf(message.dbPath);
        const writerPayloads: WriterPayloads = { reader: new PayloadFileReader(dir), keepSpares: message.payloadSpareFiles };
        payloads = writerPayloads;
        let nextFileId = nextPayloadFileId(db);
        appender = message.payloadMinBytes > 0 ? new PayloadAppender(dir, message.payloadFileMaxBytes, () => nextFileId++) : null;
        const connection = db;
        pipeline = new WriterPipeline(
          // Rows come from SQLite each batch: inline batches on the other connection change them too.
          (commands) => executeBatch(connection, commands, busyRetryMs, committedRowsFrom(connection), writerPayloads),
          (id, reply) => post({ type: "reply", id, reply: JSON.stringify(reply) }),
          appender,
          message.payloadMinBytes,
        );
        gc = new GcPacer({ ...message.gc, fullEvery: 1 });
        post({ type: "ready" });
      } catch (error) {
        post({ type: "init-failed", message: error instanceof Error ? error.message : String(error) });
      }
      return;
    case "batch":
      pipeline!.submit(message.id, decodeBatch(message.batch));
      gc.note(message.batch.payload.byteLength);
      return;
    case "close":
      void closeAll().then(() => post({ type: "closed" }));
      return;
  }
};

/** Answers every batch still waiting for its payloads, then lets go of the files and the database. */
async function closeAll(): Promise<void> {
  await pipeline?.drained();
  await appender?.close();
  payloads?.reader.close();
  payloads = null;
  appender = null;
  pipeline = null;
  db?.close();
  db = null;
}
