// Where a write batch runs. Small batches run inline on the event-loop thread: for them a
// COMMIT costs about one fsync, less than handing the batch to another thread and back.
// So do batches holding records large enough for payload files: their payloads are written
// here and synced off the thread while this thread keeps serving (writer-pipeline.ts);
// only their COMMIT, a few small rows, holds the event loop. Batches of many small
// records' bytes, and bulk work, go to the writer thread, whose own connection pays the
// page writes and the fsync while the event loop keeps serving (docs/decisions.md).
// Batches commit one after another in queue order: the thread may hold a second batch
// behind the one it is committing, and an inline batch only runs when none is in flight
// (write-queue.ts).
import type { Database } from "bun:sqlite";
import { PayloadAppender } from "../storage/payload-files.ts";
import { nextPayloadFileId } from "../storage/sqlite/payload-files.ts";
import type { CommittedRows, WriterPayloads } from "./write-batch.ts";
import { executeBatch, type BatchReply, type WriteCommand } from "./write-commands.ts";
import { WriterPipeline } from "./writer-pipeline.ts";

export interface Writer {
  run(commands: WriteCommand[]): Promise<BatchReply>;
  close(): Promise<void>;
}

/** Where the inline writer puts payloads of at least `minBytes` (the only writer of payload files). */
export interface PayloadSink {
  appender: PayloadAppender;
  minBytes: number;
}

/** Payload files for the inline writer, numbered after every file SQLite knows; null when they are off. */
export function payloadSink(db: Database, dir: string, minBytes: number, fileMaxBytes: number): PayloadSink | null {
  if (minBytes <= 0) return null;
  let nextId = nextPayloadFileId(db);
  return { appender: new PayloadAppender(dir, fileMaxBytes, () => nextId++), minBytes };
}

export class InlineWriter implements Writer {
  private readonly pipeline: WriterPipeline | null;
  private readonly waiting = new Map<number, (reply: BatchReply) => void>();
  private nextId = 1;

  constructor(
    private readonly db: Database,
    private readonly busyRetryMs: number,
    private readonly committed: CommittedRows,
    private readonly payloads: WriterPayloads,
    /** Null: every payload stays inline in SQLite. */
    private readonly sink: PayloadSink | null = null,
  ) {
    this.pipeline = sink
      ? new WriterPipeline((commands) => this.execute(commands), (id, reply) => this.answer(id, reply), sink.appender, sink.minBytes)
      : null;
  }

  run(commands: WriteCommand[]): Promise<BatchReply> {
    if (!this.pipeline) return Promise.resolve(this.execute(commands));
    const id = this.nextId++;
    return new Promise<BatchReply>((resolve) => {
      this.waiting.set(id, resolve);
      this.pipeline!.submit(id, commands);
    });
  }

  async close(): Promise<void> {
    await this.pipeline?.drained();
    await this.sink?.appender.close();
  }

  private execute(commands: WriteCommand[]): BatchReply {
    return executeBatch(this.db, commands, this.busyRetryMs, this.committed, this.payloads);
  }

  private answer(id: number, reply: BatchReply): void {
    const resolve = this.waiting.get(id);
    this.waiting.delete(id);
    resolve?.(reply);
  }
}
