// One block under construction: records are copied straight into its raw bytes in the
// record layout of format.ts (append ns, key, payload), by offset from their WAL row. A
// JSON row of a hundred messages is sealed without a single per-message view or BigInt:
// both showed up as the main costs of sealing (~2 µs per message before, measured with
// 100-message rows), enough to take a quarter of JSON ingest throughput.
import { bloomAdd } from "../../util/bloom256.ts";
import { encodeBlockRaw } from "./format.ts";

/** Header bytes of a record in a block's raw bytes: ns u64, key length u32, payload length u32. */
export const RECORD_OVERHEAD_BYTES = 16;

export class BlockBuilder {
  private raw: Buffer;
  private view: DataView;
  private length = 0;
  private count = 0;
  private firstSeq = 0;
  private firstTsMs = 0;
  private lastTsMs = 0;
  private filter = new Uint8Array(32);

  constructor(initialBytes: number) {
    this.raw = Buffer.allocUnsafe(Math.max(1024, initialBytes));
    this.view = new DataView(this.raw.buffer, this.raw.byteOffset, this.raw.byteLength);
  }

  get records(): number {
    return this.count;
  }

  get bytes(): number {
    return this.length;
  }

  /** The seq the next record must have to join this block. */
  get nextSeq(): number {
    return this.firstSeq + this.count;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.raw.byteLength) return;
    const grown = Buffer.allocUnsafe(Math.max(this.length + bytes, this.raw.byteLength * 2));
    this.raw.copy(grown, 0, 0, this.length);
    this.raw = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /**
   * Appends one record: `source[start, end)` as payload, appended at `tsMs` (whose ns value
   * the caller split into `tsHigh`/`tsLow` once per row), with `key` (null for none).
   */
  append(seq: number, tsMs: number, tsHigh: number, tsLow: number, key: Uint8Array | null, source: Buffer, start: number, end: number): void {
    const keyLength = key?.byteLength ?? 0;
    this.reserve(RECORD_OVERHEAD_BYTES + keyLength + (end - start));
    if (this.count === 0) {
      this.firstSeq = seq;
      this.firstTsMs = tsMs;
    }
    let at = this.length;
    this.view.setUint32(at, tsHigh);
    this.view.setUint32(at + 4, tsLow);
    this.view.setUint32(at + 8, keyLength);
    at += 12;
    if (key && keyLength > 0) {
      this.raw.set(key, at);
      at += keyLength;
      bloomAdd(this.filter, key);
    }
    this.view.setUint32(at, end - start);
    source.copy(this.raw, at + 4, start, end);
    this.length = at + 4 + (end - start);
    this.count += 1;
    this.lastTsMs = tsMs;
  }

  /** Encodes the block (header + zstd frame) and starts over empty. */
  take(): { block: Uint8Array; firstSeq: number; recordCount: number; firstTsMs: number; lastTsMs: number } {
    const block = encodeBlockRaw(this.raw.subarray(0, this.length), this.count, this.filter, this.firstTsMs, this.lastTsMs);
    const taken = { block, firstSeq: this.firstSeq, recordCount: this.count, firstTsMs: this.firstTsMs, lastTsMs: this.lastTsMs };
    this.length = 0;
    this.count = 0;
    this.filter = new Uint8Array(32);
    return taken;
  }
}

/** An append time in ns as two big-endian u32 halves (computed once per WAL row). */
export function nsHalves(tsMs: number): { high: number; low: number } {
  const ns = BigInt(tsMs) * 1_000_000n;
  return { high: Number(ns >> 32n), low: Number(ns & 0xffffffffn) };
}
