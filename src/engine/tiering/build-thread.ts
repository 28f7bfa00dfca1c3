// Entry of a segmenter worker thread: its own read connection to the database; builds one
// segment file per message and answers with what it wrote. Sealing (reading WAL rows,
// splitting JSON messages, compressing blocks) then runs beside request handling instead
// of on the event loop: on the JSON ingest benchmark it took about a quarter of the
// serving thread when it ran there.
import type { Database } from "bun:sqlite";
import { PayloadFileReader, payloadDirOf } from "../../storage/payload-files.ts";
import { openDatabase } from "../../storage/sqlite/open.ts";
import { GcPacer } from "../gc-pacer.ts";
import { buildSegment, type BuildPlan, type BuildResult } from "./segment-build.ts";

declare const self: Worker;

export type BuildThreadMessage =
  | { type: "init"; dbPath: string; cacheBytes: number; gc: { paceBytes: number; minIntervalMs: number } }
  | { type: "build"; id: number; plan: BuildPlan }
  | { type: "close" };

export type BuildThreadReply =
  | { type: "ready" }
  | { type: "init-failed"; message: string }
  | { type: "built"; id: number; result: BuildResult | null }
  | { type: "build-failed"; id: number; message: string }
  | { type: "closed" };

let db: Database | null = null;
let payloadDir = "";
let stopping = false;
let gc = new GcPacer({ paceBytes: 0, minIntervalMs: 0 });

const post = (message: BuildThreadReply) => self.postMessage(message);

self.onmessage = async (event: MessageEvent<BuildThreadMessage>) => {
  const message = event.data;
  switch (message.type) {
    case "init":
      try {
        db = openDatabase(message.dbPath, { cacheBytes: message.cacheBytes, migrate: false });
        payloadDir = payloadDirOf(message.dbPath);
        gc = new GcPacer({ ...message.gc, fullEvery: 1 });
        post({ type: "ready" });
      } catch (error) {
        post({ type: "init-failed", message: error instanceof Error ? error.message : String(error) });
      }
      return;
    case "build": {
      // A reader per build: no payload file stays open here after its rows were collected.
      const payloads = new PayloadFileReader(payloadDir);
      try {
        const result = await buildSegment(db!, payloads, message.plan, () => stopping);
        post({ type: "built", id: message.id, result });
        // Every WAL page read became garbage in this thread's own heap.
        if (result) gc.note(result.walBytes);
      } catch (error) {
        post({ type: "build-failed", id: message.id, message: error instanceof Error ? error.message : String(error) });
      } finally {
        payloads.close();
      }
      return;
    }
    case "close":
      stopping = true;
      db?.close();
      db = null;
      post({ type: "closed" });
      return;
  }
};
