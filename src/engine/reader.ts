// Reading a stream's records: the view of a stream is its own records plus, for a fork, the
// inherited prefix of its source's view (recursively). Reads are bounded by record count,
// bytes and (for keyed reads) scanned offsets, and never hold more than one response.
//
// Results are chunks in the stored form: one record each, or on JSON streams one or more
// comma-separated messages (one WAL row of an append, or the part of it a read needs).
import type { Database } from "bun:sqlite";
import type { PayloadFileReader } from "../storage/payload-files.ts";
import type { SegmentStore } from "../storage/segment-store.ts";
import { getUploadedThrough, type StreamRow } from "../storage/sqlite/streams.ts";
import { getWalRowHolding, readWalRows, readWalRowsByKey, walRowStartAtOrBefore, type WalRow } from "../storage/sqlite/wal.ts";
import { isJsonType } from "./content-types.ts";
import { joinJsonValues, splitJsonValues } from "./json-split.ts";
import { scanSealed, sealedRecordAt } from "./sealed-reads.ts";

export interface ReadLimits {
  maxRecords: number;
  maxBytes: number;
  /** Keyed reads examine at most this many offsets per response (a scan cursor advances). */
  keyScanMaxOffsets: number;
}

export interface ReadResult {
  /** Stored chunks in order: a record, or on JSON streams comma-separated messages. */
  chunks: Uint8Array[];
  /** Seq of each chunk's first record (a chunk lies within one append). */
  starts: number[];
  /** Records in `chunks`. */
  records: number;
  /** Bytes in `chunks`. */
  bytes: number;
  /** Position after the last offset examined: the `Stream-Next-Offset` of the response. */
  throughSeq: number;
  /** The read examined everything up to the tail it saw. */
  upToDate: boolean;
}

/** A run of seqs [from, to] stored under one stream incarnation. */
export interface ViewSpan {
  streamId: number;
  name: string;
  from: number;
  to: number;
  /** Seqs up to this one are read from segments, the rest from the WAL. */
  uploadedThrough: number;
}

export type RowById = (id: number) => StreamRow | null;

/** Spans in ascending seq order that make up `row`'s view, [0, tail]. */
export function viewSpans(row: StreamRow, rowById: RowById): ViewSpan[] {
  const spans: ViewSpan[] = [];
  let current: StreamRow | null = row;
  let hi = row.next_offset - 1;
  while (current) {
    const lo = current.fork_source_id === null ? 0 : current.fork_base_offset;
    const to = Math.min(hi, current.next_offset - 1);
    if (to >= lo) spans.push({ streamId: current.id, name: current.stream, from: lo, to, uploadedThrough: current.uploaded_through });
    if (current.fork_source_id === null) break;
    hi = Math.min(hi, lo - 1);
    if (hi < 0) break;
    current = rowById(current.fork_source_id);
  }
  return spans.reverse();
}

const KEY_SCAN_WINDOW = 4096;
/** A read retried this often still returns; records only move to segments once per publish. */
const MAX_READ_ATTEMPTS = 3;
const FIRST_FETCH_ROWS = 32;

/** The records [first, last] of a row: the whole payload, or a slice of its messages. */
function recordsOf(row: WalRow, first: number, last: number): Uint8Array {
  if (first === row.offset && last === row.offset + row.record_count - 1) return row.payload;
  const values = splitJsonValues(row.payload);
  return joinJsonValues(values.slice(first - row.offset, last - row.offset + 1));
}

export class Reader {
  constructor(
    private readonly db: Database,
    private readonly rowById: RowById,
    private readonly segments: SegmentStore | null,
    private readonly payloads: PayloadFileReader,
  ) {}

  /**
   * Records after position `afterSeq`, within `limits`.
   *
   * `row` comes from the stream cache, which learns of a commit only when its writer
   * answers; a commit on the writer thread that published segments and deleted the WAL rows
   * they cover is visible in SQLite a moment before that. A read in that moment would look
   * for those records in the WAL and skip them. So after reading from the WAL, the read
   * checks the committed `uploaded_through` (read after its WAL queries, it covers any
   * deletion they saw) and, if it moved, reads again with the newer value.
   */
  async read(row: StreamRow, afterSeq: number, limits: ReadLimits, key: Uint8Array | null = null): Promise<ReadResult> {
    let spans = viewSpans(row, this.rowById);
    for (let attempt = 1; ; attempt++) {
      const { out, walSpans } = await this.readSpans(row, spans, afterSeq, limits, key);
      const moved = this.publishedSince(walSpans);
      if (!moved || attempt >= MAX_READ_ATTEMPTS) return out;
      spans = spans.map((span) => ({ ...span, uploadedThrough: Math.max(span.uploadedThrough, moved.get(span.streamId) ?? -1) }));
    }
  }

  /** Streams among `spans` whose committed `uploaded_through` is past the one the read used. */
  private publishedSince(spans: ViewSpan[]): Map<number, number> | null {
    let moved: Map<number, number> | null = null;
    for (const span of spans) {
      const committed = getUploadedThrough(this.db, span.streamId);
      if (committed !== null && committed > span.uploadedThrough) (moved ??= new Map()).set(span.streamId, committed);
    }
    return moved;
  }

  private async readSpans(
    row: StreamRow,
    spans: ViewSpan[],
    afterSeq: number,
    limits: ReadLimits,
    key: Uint8Array | null,
  ): Promise<{ out: ReadResult; walSpans: ViewSpan[] }> {
    const tail = row.next_offset - 1;
    const out: ReadResult = { chunks: [], starts: [], records: 0, bytes: 0, throughSeq: afterSeq, upToDate: afterSeq >= tail };
    const walSpans: ViewSpan[] = [];
    if (afterSeq >= tail) return { out, walSpans };
    const packed = isJsonType(row.content_type);
    const averageRowBytes = row.wal_rows > 0 ? row.wal_bytes / row.wal_rows : 0;
    for (const span of spans) {
      if (span.to <= out.throughSeq) continue;
      const sealedTo = Math.min(span.to, span.uploadedThrough);
      const sealedFrom = Math.max(span.from, out.throughSeq + 1);
      if (this.segments && sealedFrom <= sealedTo) {
        const sealed = { streamId: span.streamId, name: span.name, from: sealedFrom, to: sealedTo };
        if (await scanSealed(this.db, this.segments, sealed, out, limits, key)) break;
      }
      if (span.to <= out.throughSeq) continue;
      walSpans.push(span);
      const full = key
        ? this.scanKeyed(span, out, limits, key, packed)
        : this.scan(span, out, limits, packed, packed ? 0 : averageRowBytes);
      if (full) break;
    }
    out.upToDate = out.throughSeq >= tail;
    return { out, walSpans };
  }

  /** First row offset to fetch for a read starting at `cursor` (a row may begin before it). */
  private fetchStart(streamId: number, cursor: number, packed: boolean): number {
    if (!packed) return cursor;
    return walRowStartAtOrBefore(this.db, streamId, cursor) ?? cursor;
  }

  /** Appends records of one span; true when a limit stopped the read. */
  private scan(span: ViewSpan, out: ReadResult, limits: ReadLimits, packed: boolean, averageRowBytes: number): boolean {
    let cursor = Math.max(span.from, out.throughSeq + 1);
    let from = this.fetchStart(span.streamId, cursor, packed);
    while (cursor <= span.to) {
      if (out.records >= limits.maxRecords || out.bytes >= limits.maxBytes) return true;
      const fetchRows = this.nextFetchSize(out, limits, averageRowBytes);
      const rows = readWalRows(this.db, this.payloads, span.streamId, from, span.to, fetchRows);
      for (const walRow of rows) {
        if (!this.take(out, walRow, cursor, span.to, limits)) return true;
        cursor = out.throughSeq + 1;
      }
      if (rows.length < fetchRows) {
        // Everything left in the span was read (or is a hole: records no longer in the WAL).
        out.throughSeq = span.to;
        return false;
      }
      const last = rows[rows.length - 1]!;
      from = last.offset + last.record_count;
    }
    return false;
  }

  private scanKeyed(span: ViewSpan, out: ReadResult, limits: ReadLimits, key: Uint8Array, packed: boolean): boolean {
    let cursor = Math.max(span.from, out.throughSeq + 1);
    let from = this.fetchStart(span.streamId, cursor, packed);
    let budget = limits.keyScanMaxOffsets;
    while (cursor <= span.to) {
      if (budget <= 0 || out.records >= limits.maxRecords || out.bytes >= limits.maxBytes) return true;
      const windowEnd = Math.min(span.to, cursor + Math.min(KEY_SCAN_WINDOW, budget) - 1);
      budget -= windowEnd - cursor + 1;
      const rows = readWalRowsByKey(this.db, this.payloads, span.streamId, from, windowEnd, key, limits.maxRecords - out.records);
      for (const walRow of rows) {
        if (!this.take(out, walRow, cursor, span.to, limits)) return true;
        cursor = out.throughSeq + 1;
      }
      // The window is examined: the scan position moves past it even when nothing matched.
      out.throughSeq = Math.max(out.throughSeq, windowEnd);
      cursor = out.throughSeq + 1;
      from = cursor;
    }
    return false;
  }

  /**
   * Takes the part of `walRow` in [cursor, spanEnd] that fits the limits; false when the
   * limits stop the read. A response always carries at least one record; after that it
   * takes whole rows only, so one append's messages stay together where they can.
   */
  private take(out: ReadResult, walRow: WalRow, cursor: number, spanEnd: number, limits: ReadLimits): boolean {
    const first = Math.max(walRow.offset, cursor);
    let last = Math.min(walRow.offset + walRow.record_count - 1, spanEnd);
    if (first > last) return true;
    let chunk = recordsOf(walRow, first, last);
    const fits = out.records + (last - first + 1) <= limits.maxRecords && out.bytes + chunk.byteLength <= limits.maxBytes;
    if (!fits && (out.records > 0 || first === last)) {
      if (out.records > 0) return false;
      // A single record larger than the limits still goes out whole, alone.
    } else if (!fits) {
      // Nothing taken yet: as many of the row's messages as fit, at least one.
      const values = splitJsonValues(chunk);
      let count = 0;
      let bytes = 0;
      while (count < values.length && count < limits.maxRecords && (count === 0 || bytes + values[count]!.byteLength + 1 <= limits.maxBytes)) {
        bytes += values[count]!.byteLength + (count > 0 ? 1 : 0);
        count += 1;
      }
      last = first + count - 1;
      chunk = joinJsonValues(values.slice(0, count));
    }
    out.chunks.push(chunk);
    out.starts.push(first);
    out.records += last - first + 1;
    out.bytes += chunk.byteLength;
    out.throughSeq = last;
    return last === Math.min(walRow.offset + walRow.record_count - 1, spanEnd);
  }

  /**
   * How many rows to fetch next: as many as the byte budget should hold, judged by the
   * rows read so far, else by the stream's average record size. Fetching rows the
   * budget then drops would copy large payloads for nothing.
   */
  private nextFetchSize(out: ReadResult, limits: ReadLimits, streamAverageBytes: number): number {
    const remainingRecords = limits.maxRecords - out.records;
    const average = out.chunks.length > 0 ? out.bytes / out.chunks.length : streamAverageBytes;
    if (average <= 0) return Math.min(remainingRecords, FIRST_FETCH_ROWS);
    const byBytes = Math.floor((limits.maxBytes - out.bytes) / average);
    return Math.max(1, Math.min(remainingRecords, byBytes));
  }

  /** The record at `seq` in `row`'s view, with its append time, or null. */
  async recordAt(row: StreamRow, seq: number): Promise<{ payload: Uint8Array; tsMs: number } | null> {
    const span = this.spanHolding(row, seq);
    if (!span) return null;
    if (seq <= span.uploadedThrough && this.segments) return sealedRecordAt(this.db, this.segments, span.streamId, span.name, seq);
    const walRow = getWalRowHolding(this.db, this.payloads, span.streamId, seq);
    if (walRow) return { payload: recordsOf(walRow, seq, seq), tsMs: walRow.ts_ms };
    // Published and collected from the WAL since the cached row was current (see `read`).
    const committed = getUploadedThrough(this.db, span.streamId);
    if (committed !== null && seq <= committed && this.segments) return sealedRecordAt(this.db, this.segments, span.streamId, span.name, seq);
    return null;
  }

  /**
   * Records (at most `max`) from `seq` to the end of the append holding it, within the
   * view. All records of one append share one append time, and append times strictly
   * increase per stream (one WAL row holds one append; segments keep the times).
   */
  async appendLength(row: StreamRow, seq: number, max: number): Promise<number> {
    const first = await this.recordAt(row, seq);
    if (!first) return 0;
    let n = 1;
    while (n < max) {
      const next = await this.recordAt(row, seq + n);
      if (!next || next.tsMs !== first.tsMs) break;
      n += 1;
    }
    return n;
  }

  private spanHolding(row: StreamRow, seq: number): ViewSpan | null {
    for (const span of viewSpans(row, this.rowById)) if (seq >= span.from && seq <= span.to) return span;
    return null;
  }

  /** Position just before the first record appended at or after `sinceMs` (binary search). */
  async seekTime(row: StreamRow, sinceMs: number): Promise<number> {
    let lo = 0;
    let hi = row.next_offset; // first seq whose record is at/after since; `next_offset` = none
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const found = await this.recordAt(row, mid);
      if (!found || found.tsMs < sinceMs) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
