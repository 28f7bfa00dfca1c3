// A batch with payload files, in two stages (the inline writer's: writer.ts). Its large
// payloads are written to a payload file the moment it arrives, and their fdatasync runs
// off the thread; the batch's transaction runs once that sync is done, in arrival order.
// While the sync runs, the serving thread goes on serving; batches behind it wait their
// turn, so each sees the one before it.
//
// Commit order of a batch with payloads (docs/storage.md, "Append with payload files"):
//   1. its payloads are written at the end of the current payload file
//   2. the file is fdatasynced (off the thread)
//   3. the transaction inserts rows pointing to them: COMMIT POINT
// A crash before 3 leaves bytes no row points to; they go with their file.
//
// Large JSON bodies come here unvalidated (records.ts, `unparsedJsonRecords`): their
// stored form is written first, and they are validated while the sync runs. An invalid one
// is refused when its batch runs; its bytes stay unreferenced.
import type { PayloadAppender, PayloadRef } from "../storage/payload-files.ts";
import { crashPoint } from "../util/crash-point.ts";
import { finishJsonRecords, jsonStoredForm } from "./records.ts";
import type { BatchReply, WriteCommand } from "./write-commands.ts";

interface Entry {
  id: number;
  commands: WriteCommand[];
  /** Its payloads (if any) are durable, or their write failed. */
  ready: boolean;
  hasPayloads: boolean;
  failure: string | null;
}

export class WriterPipeline {
  private readonly entries: Entry[] = [];
  private drainWaiters: Array<() => void> = [];

  constructor(
    /** Runs a batch's transaction (executeBatch). */
    private readonly execute: (commands: WriteCommand[]) => BatchReply,
    private readonly answer: (id: number, reply: BatchReply) => void,
    /** Null: every payload stays inline. */
    private readonly appender: PayloadAppender | null,
    /** Payloads of at least this many bytes go to the payload file. */
    private readonly minBytes: number,
  ) {}

  submit(id: number, commands: WriteCommand[]): void {
    const entry: Entry = { id, commands, ready: true, hasPayloads: false, failure: null };
    this.entries.push(entry);
    try {
      const durable = this.writePayloads(commands);
      if (durable) {
        entry.ready = false;
        entry.hasPayloads = true;
        durable.then(
          () => this.settle(entry, null),
          (error: unknown) => this.settle(entry, error),
        );
      }
    } catch (error) {
      entry.failure = describe(error);
    }
    this.runReady();
  }

  /** Resolves once every batch submitted so far has been answered. */
  drained(): Promise<void> {
    if (this.entries.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private settle(entry: Entry, error: unknown): void {
    entry.ready = true;
    if (error) entry.failure = describe(error);
    this.runReady();
  }

  /** Commits, in arrival order, every batch at the head whose payloads are durable. */
  private runReady(): void {
    while (this.entries.length > 0 && this.entries[0]!.ready) {
      const entry = this.entries.shift()!;
      if (entry.failure) {
        // Nothing was committed; records already written stay unreferenced in their file.
        this.answer(entry.id, { ok: false, message: `payload file write failed: ${entry.failure}`, code: null });
        continue;
      }
      if (entry.hasPayloads) crashPoint("payload:after-sync");
      this.answer(entry.id, this.execute(entry.commands));
    }
    if (this.entries.length === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * Writes the payloads of at least `minBytes` of the batch's appends and creates, and sets
   * `refs` on their records; then validates the JSON bodies left unparsed, while the sync
   * runs. Returns when the payloads are durable (null: none to write). Records with keys of
   * their own are left inline: their rows are runs of records joined only when the batch runs.
   */
  private writePayloads(commands: readonly WriteCommand[]): Promise<void> | null {
    const payloads: Uint8Array[] = [];
    const targets: Array<{ refs: Array<PayloadRef | null>; index: number }> = [];
    for (const command of commands) {
      if (command.op !== "append" && command.op !== "create") continue;
      const records = command.req.records;
      if (records.keys || !this.appender) continue;
      for (let i = 0; i < records.chunks.length; i++) {
        const chunk = records.unparsed ? jsonStoredForm(records.chunks[i]!) : records.chunks[i]!;
        if (chunk.byteLength < this.minBytes || chunk.byteLength === 0) continue;
        records.refs ??= new Array<null>(records.chunks.length).fill(null);
        payloads.push(chunk);
        targets.push({ refs: records.refs, index: i });
      }
    }
    const written = payloads.length > 0 ? this.appender!.write(payloads) : null;
    if (written) for (let i = 0; i < targets.length; i++) targets[i]!.refs[targets[i]!.index] = written.refs[i]!;
    for (const command of commands) if (command.op === "append") finishJsonRecords(command.req.records);
    return written?.durable ?? null;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
