// Paces garbage collection by the bytes that pass through the server. Request bodies and
// read buffers live outside the JS heap, so JavaScriptCore, which collects as its heap
// grows, lets hundreds of MB of dead buffers pile up under a steady byte stream (measured
// with scripts/bench/memory.ts: peak RSS 360 MB for 1 GiB of 64 KiB appends and reads,
// against a heap of a few tens of MB). Forcing a collection after every `paceBytes`, at most
// once per `minIntervalMs`, bounds that pile for the price of a short pause.
export interface GcPacerOptions {
  /** Bytes between forced collections; 0 turns pacing off. */
  paceBytes: number;
  minIntervalMs: number;
  collect?: () => void;
  now?: () => number;
}

export class GcPacer {
  private pending = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  private readonly collect: () => void;
  private readonly now: () => number;
  readonly stats = { collections: 0 };

  constructor(private readonly options: GcPacerOptions) {
    this.collect = options.collect ?? (() => Bun.gc(true));
    this.now = options.now ?? (() => performance.now());
  }

  /** Counts bytes received or sent; may collect garbage now. */
  note(bytes: number): void {
    if (this.options.paceBytes <= 0) return;
    this.pending += bytes;
    if (this.pending < this.options.paceBytes) return;
    const now = this.now();
    if (now - this.lastAt < this.options.minIntervalMs) return;
    this.pending = 0;
    this.lastAt = now;
    this.stats.collections++;
    this.collect();
  }
}
