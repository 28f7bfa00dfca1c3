// Segment files on local disk: writing one (blocks as they fill, then the footer; temp file,
// fsync, rename, fsync of the directory) and reading blocks back by position. Writes are
// asynchronous, so building a segment never blocks request handling on disk I/O; reads
// hold one block at a time: a segment is never loaded whole.
import { closeSync, fsyncSync, fstatSync, openSync, readSync } from "node:fs";
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { BlockBuilder, nsHalves, RECORD_OVERHEAD_BYTES } from "./block-builder.ts";
import {
  decodeBlock,
  decodeFooter,
  encodeFooter,
  footerLengthFromTrailer,
  SEGMENT_TRAILER_BYTES,
  SegmentFormatError,
  BLOCK_HEADER_BYTES,
  type BlockIndexEntry,
  type SegmentRecord,
} from "./format.ts";

export interface WrittenSegment {
  blocks: BlockIndexEntry[];
  recordCount: number;
  payloadBytes: number;
  sizeBytes: number;
  firstSeq: number;
  lastSeq: number;
  lastTsMs: number;
}

/**
 * Builds one segment file: `create`, add records in seq order (`addRow`, `add`), `flush`
 * now and then to write the blocks completed so far, then `finish` or `abort`.
 */
export class SegmentWriter {
  private readonly builder: BlockBuilder;
  /** Encoded blocks not written yet, in order. */
  private ready: Uint8Array[] = [];
  /** File position after every block closed so far (written or ready). */
  private plannedEnd = 0;
  private position = 0;
  private readonly blocks: BlockIndexEntry[] = [];
  private recordCount = 0;
  private payloadBytes = 0;
  private firstSeq = -1;
  private lastSeq = -1;
  private lastTsMs = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly tmpPath: string,
    private readonly finalPath: string,
    private readonly blockMaxBytes: number,
  ) {
    this.builder = new BlockBuilder(blockMaxBytes + 1024);
  }

  static async create(finalPath: string, blockMaxBytes: number): Promise<SegmentWriter> {
    await mkdir(dirname(finalPath), { recursive: true });
    const tmpPath = `${finalPath}.tmp`;
    return new SegmentWriter(await open(tmpPath, "w"), tmpPath, finalPath, blockMaxBytes);
  }

  /**
   * Adds the `count` records of one WAL row, with seqs from `seq`, all appended at `tsMs`
   * with `key`: the whole payload when `bounds` is null (count 1), else the values at
   * `bounds` (start, end pairs). Seqs increase; gaps are allowed after a bootstrap.
   */
  addRow(seq: number, tsMs: number, key: Uint8Array | null, payload: Uint8Array, bounds: Uint32Array | null, count: number): void {
    const source = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    const ts = nsHalves(tsMs);
    const keyBytes = key?.byteLength ?? 0;
    for (let i = 0; i < count; i++) {
      const start = bounds ? bounds[2 * i]! : 0;
      const end = bounds ? bounds[2 * i + 1]! : payload.byteLength;
      const recordBytes = RECORD_OVERHEAD_BYTES + keyBytes + (end - start);
      const b = this.builder;
      // A record larger than a block forms a block of its own; blocks hold consecutive seqs.
      if (b.records > 0 && (b.bytes + recordBytes > this.blockMaxBytes || seq + i !== b.nextSeq)) this.closeBlock();
      b.append(seq + i, tsMs, ts.high, ts.low, key, source, start, end);
      this.payloadBytes += end - start;
    }
    if (this.firstSeq < 0) this.firstSeq = seq;
    this.lastSeq = seq + count - 1;
    this.lastTsMs = tsMs;
    this.recordCount += count;
  }

  /** Adds one record. */
  add(seq: number, record: SegmentRecord): void {
    this.addRow(seq, record.tsMs, record.key, record.payload, null, 1);
  }

  get records(): number {
    return this.recordCount;
  }

  private closeBlock(): void {
    if (this.builder.records === 0) return;
    const taken = this.builder.take();
    this.blocks.push({
      offset: this.plannedEnd,
      firstSeq: taken.firstSeq,
      recordCount: taken.recordCount,
      compressedBytes: taken.block.byteLength - BLOCK_HEADER_BYTES,
      firstTsMs: taken.firstTsMs,
      lastTsMs: taken.lastTsMs,
    });
    this.ready.push(taken.block);
    this.plannedEnd += taken.block.byteLength;
  }

  /** Writes the blocks completed so far (the one being filled stays in memory). */
  async flush(): Promise<void> {
    const ready = this.ready;
    this.ready = [];
    for (const block of ready) {
      await writeAll(this.handle, block, this.position);
      this.position += block.byteLength;
    }
  }

  /**
   * Commit order (docs/storage.md, "Seal"): 1. write the last block and the footer
   * 2. fsync 3. rename over the final name 4. fsync the directory. The caller records the
   * segment in SQLite after that; a crash before leaves a file the next build overwrites.
   */
  async finish(): Promise<WrittenSegment> {
    this.closeBlock();
    await this.flush();
    const footer = encodeFooter(this.blocks);
    await writeAll(this.handle, footer, this.position);
    this.position += footer.byteLength;
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tmpPath, this.finalPath);
    fsyncDirectory(dirname(this.finalPath));
    return {
      blocks: this.blocks,
      recordCount: this.recordCount,
      payloadBytes: this.payloadBytes,
      sizeBytes: this.position,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      lastTsMs: this.lastTsMs,
    };
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => {});
    await rm(this.tmpPath, { force: true });
  }
}

async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written, position + written);
    written += bytesWritten;
  }
}

export function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readExactly(fd: number, length: number, position: number): Uint8Array {
  return readExactlyInto(fd, new Uint8Array(length), position);
}

function readExactlyInto(fd: number, out: Uint8Array, position: number): Uint8Array {
  let read = 0;
  while (read < out.byteLength) {
    const n = readSync(fd, out, read, out.byteLength - read, position + read);
    if (n === 0) throw new SegmentFormatError("segment file truncated");
    read += n;
  }
  return out;
}

/** Compressed block bytes of the current `readBlock` call (reads are synchronous). */
let scratch = new Uint8Array(0);

/** An open segment file: its block index, and blocks read on demand. */
export class SegmentFile {
  private constructor(
    private readonly fd: number,
    readonly blocks: BlockIndexEntry[],
    readonly sizeBytes: number,
  ) {}

  static open(path: string): SegmentFile {
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const footerBytes = footerLengthFromTrailer(readExactly(fd, SEGMENT_TRAILER_BYTES, size - SEGMENT_TRAILER_BYTES));
      if (footerBytes === null || footerBytes + SEGMENT_TRAILER_BYTES > size) throw new SegmentFormatError(`no footer in ${path}`);
      const footer = readExactly(fd, footerBytes, size - SEGMENT_TRAILER_BYTES - footerBytes);
      return new SegmentFile(fd, decodeFooter(footer), size);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /**
   * Reads, verifies and decompresses block `i`. The compressed bytes go through one shared
   * scratch buffer (only the decompressed block outlives the call): reads then allocate
   * half as much, which keeps garbage, and so RSS, down under long catch-up reads.
   */
  readBlock(i: number): { raw: Uint8Array } {
    const entry = this.blocks[i]!;
    const length = BLOCK_HEADER_BYTES + entry.compressedBytes;
    if (scratch.byteLength < length) scratch = new Uint8Array(Math.max(length, scratch.byteLength * 2));
    // Only `raw` is handed out: the header's filter would point into the scratch buffer.
    return { raw: decodeBlock(readExactlyInto(this.fd, scratch.subarray(0, length), entry.offset)).raw };
  }

  /** Reads just the header of block `i` (for its key filter). */
  readBlockHeaderBytes(i: number): Uint8Array {
    return readExactly(this.fd, BLOCK_HEADER_BYTES, this.blocks[i]!.offset);
  }

  close(): void {
    closeSync(this.fd);
  }
}
