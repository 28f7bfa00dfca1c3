// Reading a stream's records: the view of a stream is its own records plus, for a fork, the
// inherited prefix of its source's view (recursively). Reads are bounded by record count,
// bytes and (for keyed reads) scanned offsets, and never hold more than one response.
import type { Database } from "bun:sqlite";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import { getWalRecord, readWalRange, readWalRangeByKey, type WalRecord } from "../storage/sqlite/wal.ts";

export interface ReadLimits {
  maxRecords: number;
  maxBytes: number;
  /** Keyed reads examine at most this many offsets per response (a scan cursor advances). */
  keyScanMaxOffsets: number;
}

export interface ReadResult {
  records: Uint8Array[];
  bytes: number;
  /** Position after the last offset examined: the `Stream-Next-Offset` of the response. */
  throughSeq: number;
  /** The read examined everything up to the tail it saw. */
  upToDate: boolean;
}

/** A run of seqs [from, to] stored under one stream incarnation. */
export interface ViewSpan {
  streamId: number;
  from: number;
  to: number;
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
    if (to >= lo) spans.push({ streamId: current.id, from: lo, to });
    if (current.fork_source_id === null) break;
    hi = Math.min(hi, lo - 1);
    if (hi < 0) break;
    current = rowById(current.fork_source_id);
  }
  return spans.reverse();
}

const KEY_SCAN_WINDOW = 4096;
const FIRST_FETCH_ROWS = 32;

export class Reader {
  constructor(
    private readonly db: Database,
    private readonly rowById: RowById,
  ) {}

  /** Records after position `afterSeq`, within `limits`. */
  read(row: StreamRow, afterSeq: number, limits: ReadLimits, key: Uint8Array | null = null): ReadResult {
    const tail = row.next_offset - 1;
    const out: ReadResult = { records: [], bytes: 0, throughSeq: afterSeq, upToDate: afterSeq >= tail };
    if (afterSeq >= tail) return out;
    const averageBytes = row.wal_rows > 0 ? row.wal_bytes / row.wal_rows : 0;
    for (const span of viewSpans(row, this.rowById)) {
      if (span.to <= out.throughSeq) continue;
      const full = key ? this.scanKeyed(span, out, limits, key) : this.scan(span, out, limits, averageBytes);
      if (full) break;
    }
    out.upToDate = out.throughSeq >= tail;
    return out;
  }

  /** Appends records of one span; true when a limit stopped the read. */
  private scan(span: ViewSpan, out: ReadResult, limits: ReadLimits, averageBytes: number): boolean {
    let from = Math.max(span.from, out.throughSeq + 1);
    while (from <= span.to) {
      if (out.records.length >= limits.maxRecords || out.bytes >= limits.maxBytes) return true;
      const fetchRows = this.nextFetchSize(out, limits, averageBytes);
      const rows = readWalRange(this.db, span.streamId, from, span.to, fetchRows);
      if (rows.length === 0) {
        // A hole (records no longer in the WAL): skip to the span end.
        out.throughSeq = span.to;
        return false;
      }
      for (const rec of rows) {
        if (this.limitReached(out, limits, rec.payload.byteLength)) return true;
        this.take(out, rec);
      }
      from = out.throughSeq + 1;
      if (rows.length < fetchRows) out.throughSeq = span.to;
    }
    return false;
  }

  private scanKeyed(span: ViewSpan, out: ReadResult, limits: ReadLimits, key: Uint8Array): boolean {
    let from = Math.max(span.from, out.throughSeq + 1);
    let budget = limits.keyScanMaxOffsets;
    while (from <= span.to) {
      if (budget <= 0) return true;
      const windowEnd = Math.min(span.to, from + Math.min(KEY_SCAN_WINDOW, budget) - 1);
      const fetchRows = limits.maxRecords - out.records.length;
      const rows = readWalRangeByKey(this.db, span.streamId, from, windowEnd, key, fetchRows);
      for (const rec of rows) {
        if (this.limitReached(out, limits, rec.payload.byteLength)) return true;
        this.take(out, rec);
      }
      if (rows.length === fetchRows && out.records.length >= limits.maxRecords) return true;
      out.throughSeq = windowEnd;
      budget -= windowEnd - from + 1;
      from = windowEnd + 1;
    }
    return false;
  }

  private take(out: ReadResult, rec: WalRecord): void {
    out.records.push(rec.payload);
    out.bytes += rec.payload.byteLength;
    out.throughSeq = rec.offset;
  }

  /** A response always carries at least one whole record, and then stays within the limits. */
  private limitReached(out: ReadResult, limits: ReadLimits, nextBytes: number): boolean {
    if (out.records.length === 0) return false;
    return out.records.length >= limits.maxRecords || out.bytes + nextBytes > limits.maxBytes;
  }

  /**
   * How many rows to fetch next: as many as the byte budget should hold, judged by the
   * records read so far, else by the stream's average record size. Fetching rows the
   * budget then drops would copy large payloads for nothing.
   */
  private nextFetchSize(out: ReadResult, limits: ReadLimits, streamAverageBytes: number): number {
    const remainingRecords = limits.maxRecords - out.records.length;
    const average = out.records.length > 0 ? out.bytes / out.records.length : streamAverageBytes;
    if (average <= 0) return Math.min(remainingRecords, FIRST_FETCH_ROWS);
    const byBytes = Math.floor((limits.maxBytes - out.bytes) / average);
    return Math.max(1, Math.min(remainingRecords, byBytes));
  }

  /** The record at `seq` in `row`'s view, or null. */
  recordAt(row: StreamRow, seq: number): WalRecord | null {
    for (const span of viewSpans(row, this.rowById)) {
      if (seq >= span.from && seq <= span.to) return getWalRecord(this.db, span.streamId, seq);
    }
    return null;
  }

  /**
   * Number of records (at most `max`) from `seq` on that belong to the same append. All records of one
   * append share one append time, and append times strictly increase per stream.
   */
  appendLength(row: StreamRow, seq: number, max: number): number {
    const first = this.recordAt(row, seq);
    if (!first) return 0;
    let n = 1;
    while (n < max) {
      const next = this.recordAt(row, seq + n);
      if (!next || next.ts_ms !== first.ts_ms) return n;
      n += 1;
    }
    return n;
  }

  /** Position just before the first record appended at or after `sinceMs` (binary search). */
  seekTime(row: StreamRow, sinceMs: number): number {
    let lo = 0;
    let hi = row.next_offset; // first seq whose record is at/after since; `next_offset` = none
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const rec = this.recordAt(row, mid);
      if (!rec || rec.ts_ms < sinceMs) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
