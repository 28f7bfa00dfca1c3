// The serving side of the writer thread: posts batches, matches replies, and fails every
// waiter if the thread dies (nothing could commit after that).
import { encodeBatch } from "./batch-wire.ts";
import { startWorker } from "../util/start-worker.ts";
import type { BatchReply, WriteCommand } from "./write-commands.ts";
import type { Writer } from "./writer.ts";
import type { WriterThreadInit, WriterThreadMessage, WriterThreadReply } from "./writer-thread.ts";

export class ThreadWriter implements Writer {
  private nextId = 1;
  private readonly pending = new Map<number, (reply: BatchReply) => void>();
  private closedResolve: (() => void) | null = null;
  private failure: string | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly onFatal: (message: string) => void,
  ) {
    worker.addEventListener("message", (event: MessageEvent<WriterThreadReply>) => this.onMessage(event.data));
    worker.addEventListener("error", (event) => this.fail(`writer thread error: ${(event as ErrorEvent).message}`));
  }

  static async start(init: WriterThreadInit, onFatal: (message: string) => void): Promise<ThreadWriter> {
    const message: WriterThreadMessage = { type: "init", ...init };
    const worker = await startWorker(new URL("./writer-thread.ts", import.meta.url), message, "writer thread");
    return new ThreadWriter(worker, onFatal);
  }

  run(commands: WriteCommand[]): Promise<BatchReply> {
    if (this.failure) return Promise.resolve({ ok: false, message: this.failure, code: null });
    const id = this.nextId++;
    const batch = encodeBatch(commands);
    return new Promise<BatchReply>((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ type: "batch", id, batch } satisfies WriterThreadMessage, [batch.payload.buffer as ArrayBuffer]);
    });
  }

  private onMessage(message: WriterThreadReply): void {
    if (message.type === "reply") {
      const resolve = this.pending.get(message.id);
      this.pending.delete(message.id);
      resolve?.(JSON.parse(message.reply) as BatchReply);
    } else if (message.type === "closed") {
      this.closedResolve?.();
    }
  }

  private fail(message: string): void {
    if (this.failure) return;
    this.failure = message;
    for (const resolve of this.pending.values()) resolve({ ok: false, message, code: null });
    this.pending.clear();
    this.closedResolve?.();
    this.onFatal(message);
  }

  async close(): Promise<void> {
    if (!this.failure) {
      await new Promise<void>((resolve) => {
        this.closedResolve = resolve;
        this.worker.postMessage({ type: "close" } satisfies WriterThreadMessage);
      });
    }
    this.worker.terminate();
  }
}
