// Paces garbage collection by the bytes that pass through the server. Request bodies and
// read buffers live outside the JS heap, so JavaScriptCore, which collects as its heap
// grows, lets hundreds of MB of dead buffers pile up under a steady byte stream (measured
// with scripts/bench/memory.ts: peak RSS ~360 MB for 1 GiB of 64 KiB appends and reads,
// against a heap of a few tens of MB).
//
// After every `paceBytes` the pacer asks for a collection: a cheap hint (`Bun.gc(false)`)
// most times, a full synchronous one every `fullEvery`-th time. Full collections alone
// bounded memory best but halved catch-up reads from segments (each one also returns the
// freed pages, which the next reads fault in again); hints alone left the peak near 300 MB.
export interface GcPacerOptions {
  /** Bytes between collections; 0 turns pacing off. */
  paceBytes: number;
  /** No two collections closer than this. */
  minIntervalMs: number;
  /** Every n-th collection is a full one (1: all of them). */
  fullEvery?: number;
  collect?: (full: boolean) => void;
  now?: () => number;
}

const DEFAULT_FULL_EVERY = 2;

export class GcPacer {
  private pending = 0;
  private lastAt = Number.NEGATIVE_INFINITY;
  private count = 0;
  private readonly fullEvery: number;
  private readonly collect: (full: boolean) => void;
  private readonly now: () => number;
  readonly stats = { collections: 0, full: 0 };

  constructor(private readonly options: GcPacerOptions) {
    this.fullEvery = Math.max(1, options.fullEvery ?? DEFAULT_FULL_EVERY);
    this.collect = options.collect ?? ((full) => Bun.gc(full));
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
    this.count++;
    const full = this.count % this.fullEvery === 0;
    this.stats.collections++;
    if (full) this.stats.full++;
    this.collect(full);
  }
}
