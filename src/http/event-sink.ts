// A streamed response body that respects backpressure: `write` resolves once the client is
// ready for more, so a slow SSE reader holds at most a few events in memory instead of
// everything the stream produces. When the client goes away, `closed` aborts and every
// write answers false, so the producer stops and releases what it holds.
const encoder = new TextEncoder();
/** Events queued ahead of the socket before a write waits. */
const QUEUED_EVENTS_MAX = 8;

export class EventSink {
  readonly body: ReadableStream<Uint8Array>;
  private readonly abort = new AbortController();
  private controller: ReadableStreamDefaultController<Uint8Array> | null = null;
  private resumeWriter: (() => void) | null = null;

  constructor(requestSignal: AbortSignal) {
    requestSignal.addEventListener("abort", () => this.stop(), { once: true });
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.controller = controller;
        },
        pull: () => this.resume(),
        cancel: () => this.stop(),
      },
      { highWaterMark: QUEUED_EVENTS_MAX },
    );
  }

  /** Aborts when the client disconnects (or the sink is closed). */
  get closed(): AbortSignal {
    return this.abort.signal;
  }

  write(text: string): Promise<boolean> {
    return this.writeBytes(encoder.encode(text));
  }

  /** Writes bytes the caller will not change again (they may be shared between sinks). */
  async writeBytes(bytes: Uint8Array): Promise<boolean> {
    if (this.abort.signal.aborted || !this.controller) return false;
    try {
      this.controller.enqueue(bytes);
    } catch {
      this.stop();
      return false;
    }
    if ((this.controller.desiredSize ?? 1) <= 0) {
      await new Promise<void>((resolve) => {
        this.resumeWriter = resolve;
      });
    }
    return !this.abort.signal.aborted;
  }

  /**
   * Queues bytes at once if the client keeps up (room below the high-water mark), without
   * waiting; false, and nothing queued, when the sink is closed or full.
   */
  offer(bytes: Uint8Array): boolean {
    if (this.abort.signal.aborted || !this.controller || (this.controller.desiredSize ?? 0) <= 0) return false;
    try {
      this.controller.enqueue(bytes);
      return true;
    } catch {
      this.stop();
      return false;
    }
  }

  /** Ends the response (after what was written has been sent). */
  end(): void {
    try {
      this.controller?.close();
    } catch {
      // already closed or cancelled by the client
    }
    this.stop();
  }

  private resume(): void {
    const resume = this.resumeWriter;
    this.resumeWriter = null;
    resume?.();
  }

  private stop(): void {
    this.abort.abort();
    this.resume();
  }
}
