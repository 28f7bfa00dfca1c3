// Recent read results, bounded by entries and bytes. Two uses: many live readers woken at
// the same position by one append all ask for the same range (the fan-out reads SQLite
// once), and a catch-up reader's next chunk is read ahead while the current one is being
// sent (the SQLite read overlaps the network transfer).
//
// A result that stopped at a response limit covers an immutable range and stays valid; a
// result that reached the tail is valid only while the tail is where it was.
import type { ReadResult } from "./reader.ts";

interface Entry {
  result: ReadResult;
  /** `next_offset` of the stream when the result was read. */
  tailNext: number;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  get stats(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  static key(streamId: number, afterSeq: number): string {
    return `${streamId}:${afterSeq}`;
  }

  get(key: string, tailNext: number): ReadResult | null {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.result.upToDate && entry.tailNext !== tailNext) {
      this.remove(key, entry);
      return null;
    }
    return entry.result;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  put(key: string, result: ReadResult, tailNext: number): void {
    if (result.bytes > this.maxBytes / 4) return;
    const previous = this.entries.get(key);
    if (previous) this.remove(key, previous);
    this.entries.set(key, { result, tailNext });
    this.bytes += result.bytes;
    for (const [oldKey, oldEntry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.remove(oldKey, oldEntry);
    }
  }

  private remove(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.result.bytes;
  }
}
