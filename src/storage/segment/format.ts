// The segment file format (spec 02 §6), as pure functions over bytes:
//
//   [block 0][block 1]…[block n-1][footer][trailer]
//   block   = 68-byte header + zstd frame of its records
//   header  = "DSB3" | raw length u32 | compressed length u32 | record count u32 |
//             Bloom256 key filter (32) | first append ns u64 | last append ns u64 |
//             CRC-32C of the compressed bytes u32
//   record  = append ns u64 | key length u32 | key | payload length u32 | payload
//   footer  = "DSF1" | version u32 (1) | block count u32 | per block: offset u64 |
//             first seq u64 | record count u32 | compressed length u32 | first ns u64 |
//             last ns u64
//   trailer = footer length u32 | "DSF1"
// All integers are big-endian. A block's checksum is checked when it is written (by
// decoding it back in tests) and again every time it is read.
import { bloomAdd, bloomMaybeHas } from "../../util/bloom256.ts";
import { crc32c } from "../../util/crc32c.ts";

export const BLOCK_HEADER_BYTES = 68;
export const FOOTER_ENTRY_BYTES = 40;
const TRAILER_BYTES = 8;
const BLOCK_MAGIC = 0x44534233; // "DSB3"
const FOOTER_MAGIC = 0x44534631; // "DSF1"
const FOOTER_VERSION = 1;
const NS_PER_MS = 1_000_000n;

export interface SegmentRecord {
  tsMs: number;
  key: Uint8Array | null;
  payload: Uint8Array;
}

export interface BlockIndexEntry {
  /** Byte offset of the block in the file. */
  offset: number;
  /** Seq of the block's first record. */
  firstSeq: number;
  recordCount: number;
  compressedBytes: number;
  firstTsMs: number;
  lastTsMs: number;
}

export interface BlockHeader {
  rawBytes: number;
  compressedBytes: number;
  recordCount: number;
  filter: Uint8Array;
  firstTsMs: number;
  lastTsMs: number;
  checksum: number;
}

export class SegmentFormatError extends Error {}

/** Bytes a record takes inside a block's raw payload. */
export function encodedRecordBytes(record: SegmentRecord): number {
  return 16 + (record.key?.byteLength ?? 0) + record.payload.byteLength;
}

/** A whole block (header + compressed records); records must be non-empty. */
export function encodeBlock(records: readonly SegmentRecord[]): Uint8Array {
  let rawBytes = 0;
  for (const record of records) rawBytes += encodedRecordBytes(record);
  const raw = new Uint8Array(rawBytes);
  const view = new DataView(raw.buffer);
  const filter = new Uint8Array(32);
  let at = 0;
  for (const record of records) {
    view.setBigUint64(at, BigInt(record.tsMs) * NS_PER_MS);
    const key = record.key ?? EMPTY;
    view.setUint32(at + 8, key.byteLength);
    raw.set(key, at + 12);
    at += 12 + key.byteLength;
    view.setUint32(at, record.payload.byteLength);
    raw.set(record.payload, at + 4);
    at += 4 + record.payload.byteLength;
    if (key.byteLength > 0) bloomAdd(filter, key);
  }
  return encodeBlockRaw(raw, records.length, filter, records[0]!.tsMs, records[records.length - 1]!.tsMs);
}

/**
 * A whole block from its records' raw bytes (already in the record layout above), their
 * count, key filter and first and last append times.
 */
export function encodeBlockRaw(raw: Uint8Array, recordCount: number, filter: Uint8Array, firstTsMs: number, lastTsMs: number): Uint8Array {
  const compressed = Bun.zstdCompressSync(raw);
  const block = new Uint8Array(BLOCK_HEADER_BYTES + compressed.byteLength);
  const header = new DataView(block.buffer);
  header.setUint32(0, BLOCK_MAGIC);
  header.setUint32(4, raw.byteLength);
  header.setUint32(8, compressed.byteLength);
  header.setUint32(12, recordCount);
  block.set(filter, 16);
  header.setBigUint64(48, BigInt(firstTsMs) * NS_PER_MS);
  header.setBigUint64(56, BigInt(lastTsMs) * NS_PER_MS);
  block.set(compressed, BLOCK_HEADER_BYTES);
  // Checksummed from the block's own copy: crc32c then only ever sees plain Uint8Arrays,
  // never zstd's Buffers, which keeps it optimized for the read path (see crc32c.ts).
  header.setUint32(64, crc32c(block.subarray(BLOCK_HEADER_BYTES)));
  return block;
}

const EMPTY = new Uint8Array(0);

export function decodeBlockHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.byteLength < BLOCK_HEADER_BYTES) throw new SegmentFormatError("block header truncated");
  const view = new DataView(bytes.buffer, bytes.byteOffset, BLOCK_HEADER_BYTES);
  if (view.getUint32(0) !== BLOCK_MAGIC) throw new SegmentFormatError("bad block magic");
  return {
    rawBytes: view.getUint32(4),
    compressedBytes: view.getUint32(8),
    recordCount: view.getUint32(12),
    filter: bytes.subarray(16, 48),
    firstTsMs: Number(view.getBigUint64(48) / NS_PER_MS),
    lastTsMs: Number(view.getBigUint64(56) / NS_PER_MS),
    checksum: view.getUint32(64),
  };
}

/** True when the block may hold records with `key` (its filter never misses one). */
export function blockMayHaveKey(header: BlockHeader, key: Uint8Array): boolean {
  return bloomMaybeHas(header.filter, key);
}

/** Verifies and decompresses a block (header + compressed bytes) into its raw records. */
export function decodeBlock(bytes: Uint8Array): { header: BlockHeader; raw: Uint8Array } {
  const header = decodeBlockHeader(bytes);
  const compressed = bytes.subarray(BLOCK_HEADER_BYTES, BLOCK_HEADER_BYTES + header.compressedBytes);
  if (compressed.byteLength !== header.compressedBytes) throw new SegmentFormatError("block truncated");
  if (crc32c(compressed) !== header.checksum) throw new SegmentFormatError("block checksum mismatch");
  const raw = Bun.zstdDecompressSync(compressed);
  if (raw.byteLength !== header.rawBytes) throw new SegmentFormatError("block length mismatch");
  return { header, raw };
}

/** Calls `visit` for each record of a decoded block, in order; payload and key share `raw`. */
export function forEachRecord(raw: Uint8Array, visit: (record: SegmentRecord, index: number) => boolean | void): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let at = 0;
  for (let index = 0; at < raw.byteLength; index++) {
    const tsMs = Number(view.getBigUint64(at) / NS_PER_MS);
    const keyLength = view.getUint32(at + 8);
    const key = keyLength > 0 ? raw.subarray(at + 12, at + 12 + keyLength) : null;
    at += 12 + keyLength;
    const payloadLength = view.getUint32(at);
    const payload = raw.subarray(at + 4, at + 4 + payloadLength);
    at += 4 + payloadLength;
    if (at > raw.byteLength) throw new SegmentFormatError("record runs past its block");
    if (visit({ tsMs, key, payload }, index) === false) return;
  }
}

export function encodeFooter(entries: readonly BlockIndexEntry[]): Uint8Array {
  const footerBytes = 12 + FOOTER_ENTRY_BYTES * entries.length;
  const out = new Uint8Array(footerBytes + TRAILER_BYTES);
  const view = new DataView(out.buffer);
  view.setUint32(0, FOOTER_MAGIC);
  view.setUint32(4, FOOTER_VERSION);
  view.setUint32(8, entries.length);
  entries.forEach((entry, i) => {
    const at = 12 + i * FOOTER_ENTRY_BYTES;
    view.setBigUint64(at, BigInt(entry.offset));
    view.setBigUint64(at + 8, BigInt(entry.firstSeq));
    view.setUint32(at + 16, entry.recordCount);
    view.setUint32(at + 20, entry.compressedBytes);
    view.setBigUint64(at + 24, BigInt(entry.firstTsMs) * NS_PER_MS);
    view.setBigUint64(at + 32, BigInt(entry.lastTsMs) * NS_PER_MS);
  });
  view.setUint32(footerBytes, footerBytes);
  view.setUint32(footerBytes + 4, FOOTER_MAGIC);
  return out;
}

/** Footer length from the file's last 8 bytes, or null when the trailer is missing. */
export function footerLengthFromTrailer(trailer: Uint8Array): number | null {
  if (trailer.byteLength !== TRAILER_BYTES) return null;
  const view = new DataView(trailer.buffer, trailer.byteOffset, TRAILER_BYTES);
  return view.getUint32(4) === FOOTER_MAGIC ? view.getUint32(0) : null;
}

export const SEGMENT_TRAILER_BYTES = TRAILER_BYTES;

export function decodeFooter(footer: Uint8Array): BlockIndexEntry[] {
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
  if (footer.byteLength < 12 || view.getUint32(0) !== FOOTER_MAGIC || view.getUint32(4) !== FOOTER_VERSION) {
    throw new SegmentFormatError("bad footer");
  }
  const count = view.getUint32(8);
  if (footer.byteLength !== 12 + count * FOOTER_ENTRY_BYTES) throw new SegmentFormatError("footer length mismatch");
  const entries: BlockIndexEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = 12 + i * FOOTER_ENTRY_BYTES;
    entries.push({
      offset: Number(view.getBigUint64(at)),
      firstSeq: Number(view.getBigUint64(at + 8)),
      recordCount: view.getUint32(at + 16),
      compressedBytes: view.getUint32(at + 20),
      firstTsMs: Number(view.getBigUint64(at + 24) / NS_PER_MS),
      lastTsMs: Number(view.getBigUint64(at + 32) / NS_PER_MS),
    });
  }
  return entries;
}

/**
 * Index of the first block a read from `seq` needs: the block holding it, else the first
 * block after it (a hole); `entries.length` when none.
 */
export function firstBlockFrom(entries: readonly BlockIndexEntry[], seq: number): number {
  let lo = 0;
  let hi = entries.length;
  // First block whose last seq is at or after `seq`.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const entry = entries[mid]!;
    if (entry.firstSeq + entry.recordCount - 1 < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
