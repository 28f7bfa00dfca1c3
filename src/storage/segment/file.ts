// Segment files on local disk: writing one (blocks as they fill, then the footer; temp file,
// fsync, rename, fsync of the directory) and reading blocks back by position. Writes are
// asynchronous, so building a segment never blocks request handling on disk I/O; reads
// hold one block at a time: a segment is never loaded whole.
import { closeSync, fsyncSync, fstatSync, openSync, readSync } from "node:fs";
import { mkdir, open, rename, rm, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import {
  decodeBlock,
  decodeFooter,
  encodeBlock,
  encodedRecordBytes,
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

/** Builds one segment file: `create`, `add` records in seq order, then `finish` or `abort`. */
export class SegmentWriter {
  private pending: SegmentRecord[] = [];
  private pendingFirstSeq = 0;
  private pendingBytes = 0;
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
  ) {}

  static async create(finalPath: string, blockMaxBytes: number): Promise<SegmentWriter> {
    await mkdir(dirname(finalPath), { recursive: true });
    const tmpPath = `${finalPath}.tmp`;
    return new SegmentWriter(await open(tmpPath, "w"), tmpPath, finalPath, blockMaxBytes);
  }

  /** Adds the record with seq `seq` (seqs increase; gaps are allowed after a bootstrap). */
  async add(seq: number, record: SegmentRecord): Promise<void> {
    const bytes = encodedRecordBytes(record);
    // A record larger than a block forms a block of its own.
    if (this.pending.length > 0 && this.pendingBytes + bytes > this.blockMaxBytes) await this.flushBlock();
    // Blocks hold consecutive seqs only: a gap starts a new block.
    if (this.pending.length > 0 && seq !== this.pendingFirstSeq + this.pending.length) await this.flushBlock();
    if (this.pending.length === 0) this.pendingFirstSeq = seq;
    this.pending.push(record);
    this.pendingBytes += bytes;
    if (this.firstSeq < 0) this.firstSeq = seq;
    this.lastSeq = seq;
    this.lastTsMs = record.tsMs;
    this.recordCount += 1;
    this.payloadBytes += record.payload.byteLength;
  }

  get records(): number {
    return this.recordCount;
  }

  private async flushBlock(): Promise<void> {
    if (this.pending.length === 0) return;
    const block = encodeBlock(this.pending);
    await writeAll(this.handle, block, this.position);
    this.blocks.push({
      offset: this.position,
      firstSeq: this.pendingFirstSeq,
      recordCount: this.pending.length,
      compressedBytes: block.byteLength - BLOCK_HEADER_BYTES,
      firstTsMs: this.pending[0]!.tsMs,
      lastTsMs: this.pending[this.pending.length - 1]!.tsMs,
    });
    this.position += block.byteLength;
    this.pending = [];
    this.pendingBytes = 0;
  }

  /**
   * Commit order (docs/storage.md, "Seal"): 1. write the last block and the footer
   * 2. fsync 3. rename over the final name 4. fsync the directory. The caller records the
   * segment in SQLite after that; a crash before leaves a file the next build overwrites.
   */
  async finish(): Promise<WrittenSegment> {
    await this.flushBlock();
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
  const out = new Uint8Array(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, out, read, length - read, position + read);
    if (n === 0) throw new SegmentFormatError("segment file truncated");
    read += n;
  }
  return out;
}

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

  /** Reads, verifies and decompresses block `i`. */
  readBlock(i: number): { raw: Uint8Array } & ReturnType<typeof decodeBlock> {
    const entry = this.blocks[i]!;
    return decodeBlock(readExactly(this.fd, BLOCK_HEADER_BYTES + entry.compressedBytes, entry.offset));
  }

  /** Reads just the header of block `i` (for its key filter). */
  readBlockHeaderBytes(i: number): Uint8Array {
    return readExactly(this.fd, BLOCK_HEADER_BYTES, this.blocks[i]!.offset);
  }

  close(): void {
    closeSync(this.fd);
  }
}
