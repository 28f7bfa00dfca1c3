// The serving side of a segmenter worker thread: starts it on first use, posts build plans,
// matches answers, and starts a new thread if the old one died (its builds fail and are
// retried by the segmenter's backoff; a build leaves nothing behind but a temporary file).
import type { BuildThreadMessage, BuildThreadReply } from "./build-thread.ts";
import type { BuildPlan, BuildResult } from "./segment-build.ts";
import { startWorker } from "../../util/start-worker.ts";

export interface BuildWorkerOptions {
  dbPath: string;
  cacheBytes: number;
  gc: { paceBytes: number; minIntervalMs: number };
}

interface Pending {
  resolve(result: BuildResult | null): void;
  reject(error: Error): void;
}

export class BuildWorker {
  private worker: Promise<Worker> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly options: BuildWorkerOptions) {}

  /** Builds posted and not answered yet. */
  get busy(): number {
    return this.pending.size;
  }

  build(plan: BuildPlan): Promise<BuildResult | null> {
    return this.started().then(
      (worker) =>
        new Promise<BuildResult | null>((resolve, reject) => {
          const id = this.nextId++;
          this.pending.set(id, { resolve, reject });
          worker.postMessage({ type: "build", id, plan } satisfies BuildThreadMessage);
        }),
    );
  }

  private started(): Promise<Worker> {
    this.worker ??= this.spawn().catch((error: unknown) => {
      this.worker = null;
      throw error;
    });
    return this.worker;
  }

  private async spawn(): Promise<Worker> {
    const init: BuildThreadMessage = { type: "init", ...this.options };
    const worker = await startWorker(new URL("./build-thread.ts", import.meta.url), init, "segmenter thread");
    worker.addEventListener("message", (event: MessageEvent<BuildThreadReply>) => this.onReply(event.data));
    worker.addEventListener("error", (event) => this.died(worker, (event as ErrorEvent).message));
    return worker;
  }

  private onReply(reply: BuildThreadReply): void {
    if (reply.type !== "built" && reply.type !== "build-failed") return;
    const pending = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    if (reply.type === "built") pending?.resolve(reply.result);
    else pending?.reject(new Error(reply.message));
  }

  private died(worker: Worker, message: string): void {
    worker.terminate();
    this.worker = null;
    for (const pending of this.pending.values()) pending.reject(new Error(`segmenter thread died: ${message}`));
    this.pending.clear();
  }

  /** Waits for the thread to close its connection, then ends it. */
  async close(): Promise<void> {
    const started = this.worker;
    this.worker = null;
    if (!started) return;
    const worker = await started.catch(() => null);
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      worker.addEventListener("message", (event: MessageEvent<BuildThreadReply>) => {
        if (event.data.type !== "closed") return;
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: "close" } satisfies BuildThreadMessage);
    });
    worker.terminate();
  }
}
