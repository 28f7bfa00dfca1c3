// Building one segment file from a stream's unsealed WAL rows (steps 1–2 of a seal; the
// commit is the caller's). Runs on a segmenter worker thread, or inline when there is none:
// it reads SQLite and writes a file, and touches nothing else.
import type { Database } from "bun:sqlite";
import type { PayloadFileReader } from "../../storage/payload-files.ts";
import { SegmentWriter } from "../../storage/segment/file.ts";
import { readWalRowsWithKeys } from "../../storage/sqlite/wal.ts";
import { decodeValueBounds, jsonValueBounds } from "../json-split.ts";

export interface BuildPlan {
  streamId: number;
  /** Final path of the segment file (written as `<path>.tmp`, then renamed). */
  path: string;
  /** First seq to seal (`sealed_through + 1`) and the last one that exists. */
  start: number;
  last: number;
  /** Stop after the row that takes WAL bytes or records to these. */
  bytesTarget: number;
  targetRows: number;
  maxRows: number;
  blockMaxBytes: number;
  /** JSON rows hold several messages: one record each. */
  json: boolean;
  /** Estimated bytes per record, to size WAL reads. */
  bytesPerRecord: number;
}

export interface BuildResult {
  /** Last seq in the segment. */
  endSeq: number;
  /** WAL payload bytes the segment covers. */
  walBytes: number;
  blockCount: number;
  recordCount: number;
  payloadBytes: number;
  sizeBytes: number;
  lastAppendMs: number;
}

const WAL_ROWS_PER_READ = 256;
/** A build reads about this many WAL bytes per query (fewer rows when they are large). */
const WAL_BYTES_PER_READ = 1024 * 1024;

/**
 * Writes the segment; null when there was nothing to seal or `stopping()` turned true. Reads
 * the WAL a page at a time and writes completed blocks and yields after each page.
 */
export async function buildSegment(db: Database, payloads: PayloadFileReader, plan: BuildPlan, stopping: () => boolean): Promise<BuildResult | null> {
  const writer = await SegmentWriter.create(plan.path, plan.blockMaxBytes);
  const rowsPerRead = Math.max(4, Math.min(WAL_ROWS_PER_READ, Math.floor(WAL_BYTES_PER_READ / Math.max(1, plan.bytesPerRecord))));
  let bounds = new Uint32Array(256);
  let cursor = plan.start;
  let walBytes = 0;
  let done = false;
  try {
    while (!done && cursor <= plan.last && !stopping()) {
      const walRows = readWalRowsWithKeys(db, payloads, plan.streamId, cursor, plan.last, rowsPerRead);
      if (walRows.length === 0) break; // a hole after a bootstrap: nothing more to seal
      for (const walRow of walRows) {
        const count = walRow.record_count;
        if (plan.json && count > 1) {
          if (bounds.length < 2 * count) bounds = new Uint32Array(2 * count);
          // The bounds stored with the row when it was validated on the way in, else a scan.
          const stored = walRow.value_bounds ? decodeValueBounds(walRow.value_bounds, bounds, walRow.payload.byteLength) : -1;
          const found = stored === count ? stored : jsonValueBounds(walRow.payload, bounds, 0, walRow.payload.byteLength);
          if (found !== count) throw new Error(`WAL row at ${walRow.offset} holds ${found} JSON values, expected ${count}`);
          writer.addRow(walRow.offset, walRow.ts_ms, walRow.routing_key, walRow.payload, bounds, count);
        } else {
          writer.addRow(walRow.offset, walRow.ts_ms, walRow.routing_key, walRow.payload, null, 1);
        }
        walBytes += walRow.payload.byteLength;
        cursor = walRow.offset + count;
        // Segments end on an append boundary, so no WAL row is ever half sealed.
        if (walBytes >= plan.bytesTarget || writer.records >= plan.targetRows || writer.records >= plan.maxRows) {
          done = true;
          break;
        }
      }
      await writer.flush();
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (writer.records === 0 || stopping()) {
      await writer.abort();
      return null;
    }
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const written = await writer.finish();
  return {
    endSeq: cursor - 1,
    walBytes,
    blockCount: written.blocks.length,
    recordCount: written.recordCount,
    payloadBytes: written.payloadBytes,
    sizeBytes: written.sizeBytes,
    lastAppendMs: written.lastTsMs,
  };
}
