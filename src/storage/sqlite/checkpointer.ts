// Background WAL checkpoints. SQLite's default autocheckpoint runs inside the COMMIT of
// whichever connection crosses 1000 WAL pages: that commit then copies ~4 MiB into the
// database file and fsyncs it before the batch's appends are answered, which on the JSON
// ingest benchmark cost about a fifth of the writer's throughput and put 15-30 ms spikes
// into the append p99. Here a thread of its own checkpoints every `intervalMs` with PASSIVE
// checkpoints, which never take the writer lock, so commits only fsync their own WAL
// frames. The writers keep an autocheckpoint at `walCheckpointBytes` as a backstop: if this
// thread falls behind (a long reader pins the WAL) or dies, the WAL stays bounded anyway.
//
// Crash safety is SQLite's own: a checkpoint copies frames that are already committed and
// synced, and the WAL is only restarted once they are in the synced database file.
import type { Logger } from "pino";
import { startWorker } from "../../util/start-worker.ts";
import type { CheckpointThreadMessage, CheckpointThreadReply } from "./checkpoint-thread.ts";

export interface CheckpointerOptions {
  dbPath: string;
  intervalMs: number;
}

export class Checkpointer {
  /** Totals since start, for /metrics. */
  readonly stats = { checkpoints: 0, frames: 0, ms: 0, failures: 0 };
  private closedResolve: (() => void) | null = null;
  private alive = true;

  private constructor(
    private readonly worker: Worker,
    private readonly log: Logger,
  ) {
    worker.addEventListener("message", (event: MessageEvent<CheckpointThreadReply>) => this.onMessage(event.data));
    worker.addEventListener("error", (event) => this.died((event as ErrorEvent).message));
  }

  static async start(options: CheckpointerOptions, log: Logger): Promise<Checkpointer> {
    const message: CheckpointThreadMessage = { type: "init", dbPath: options.dbPath, intervalMs: options.intervalMs };
    const worker = await startWorker(new URL("./checkpoint-thread.ts", import.meta.url), message, "checkpoint thread");
    return new Checkpointer(worker, log);
  }

  private onMessage(message: CheckpointThreadReply): void {
    switch (message.type) {
      case "checkpointed":
        this.stats.checkpoints += 1;
        this.stats.frames += message.frames;
        this.stats.ms += message.ms;
        return;
      case "checkpoint-failed":
        this.stats.failures += 1;
        this.log.warn({ message: message.message }, "background WAL checkpoint failed; writers checkpoint at the backstop size");
        return;
      case "closed":
        this.closedResolve?.();
        return;
    }
  }

  private died(message: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.log.error({ message }, "checkpoint thread died; writers checkpoint at the backstop size");
    this.closedResolve?.();
  }

  async close(): Promise<void> {
    if (this.alive) {
      await new Promise<void>((resolve) => {
        this.closedResolve = resolve;
        this.worker.postMessage({ type: "close" } satisfies CheckpointThreadMessage);
      });
    }
    this.alive = false;
    this.worker.terminate();
  }
}
