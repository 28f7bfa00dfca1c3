// Where a write batch runs. Small batches run inline on the event-loop thread: for them a
// COMMIT costs about one fsync, less than handing the batch to another thread and back.
// Batches carrying many bytes go to the writer thread, whose own connection pays the
// page writes and the fsync while the event loop keeps serving (docs/decisions.md).
// Batches commit one after another in queue order: the thread may hold a second batch
// behind the one it is committing, and an inline batch only runs when none is in flight
// (write-queue.ts).
import type { Database } from "bun:sqlite";
import type { CommittedRows, WriterPayloads } from "./write-batch.ts";
import { executeBatch, type BatchReply, type WriteCommand } from "./write-commands.ts";

export interface Writer {
  run(commands: WriteCommand[]): Promise<BatchReply>;
  close(): Promise<void>;
}

export class InlineWriter implements Writer {
  constructor(
    private readonly db: Database,
    private readonly busyRetryMs: number,
    private readonly committed: CommittedRows,
    /** No sink: payloads written here stay inline (a second fsync would cost small batches more). */
    private readonly payloads: WriterPayloads,
  ) {}

  run(commands: WriteCommand[]): Promise<BatchReply> {
    return Promise.resolve(executeBatch(this.db, commands, this.busyRetryMs, this.committed, this.payloads));
  }

  async close(): Promise<void> {}
}
