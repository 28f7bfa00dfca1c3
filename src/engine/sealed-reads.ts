// Reading the part of a span that lives in segments (seqs up to the stream's
// `uploaded_through`): segment by segment, block by block, one decoded block in memory at
// a time. Keyed reads skip blocks whose key filter rules the key out.
import type { Database } from "bun:sqlite";
import { blockMayHaveKey, decodeBlockHeader, firstBlockFrom, forEachRecord } from "../storage/segment/format.ts";
import type { SegmentStore } from "../storage/segment-store.ts";
import { segmentForSeq } from "../storage/sqlite/segments.ts";
import type { ReadLimits, ReadResult } from "./reader.ts";

export interface SealedSpan {
  streamId: number;
  name: string;
  /** Inclusive seq range to read, all at or below the stream's `uploaded_through`. */
  from: number;
  to: number;
}

function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Appends records of the sealed span to `out`; true when a limit stopped the read. */
export async function scanSealed(
  db: Database,
  segments: SegmentStore,
  span: SealedSpan,
  out: ReadResult,
  limits: ReadLimits,
  key: Uint8Array | null,
): Promise<boolean> {
  let seq = span.from;
  let budget = key ? limits.keyScanMaxOffsets : Number.POSITIVE_INFINITY;
  while (seq <= span.to) {
    if (out.records >= limits.maxRecords || out.bytes >= limits.maxBytes || budget <= 0) return true;
    const segment = segmentForSeq(db, span.streamId, seq);
    if (!segment || segment.start_offset > span.to) break;
    const file = await segments.file(span.name, span.streamId, segment.segment_index);
    for (let b = firstBlockFrom(file.blocks, seq); b < file.blocks.length; b++) {
      const entry = file.blocks[b]!;
      if (entry.firstSeq > span.to) break;
      const blockEnd = Math.min(span.to, entry.firstSeq + entry.recordCount - 1);
      if (key && !blockMayHaveKey(decodeBlockHeader(file.readBlockHeaderBytes(b)), key)) {
        out.throughSeq = Math.max(out.throughSeq, blockEnd);
        budget -= entry.recordCount;
        if (budget <= 0) return true;
        continue;
      }
      let full = false;
      forEachRecord(file.readBlock(b).raw, (record, index) => {
        const recordSeq = entry.firstSeq + index;
        if (recordSeq < seq) return;
        if (recordSeq > span.to) return false;
        budget -= 1;
        if (key && !sameBytes(record.key, key)) {
          out.throughSeq = recordSeq;
          return budget > 0;
        }
        const bytes = record.payload.byteLength;
        if (out.records > 0 && (out.records >= limits.maxRecords || out.bytes + bytes > limits.maxBytes)) {
          full = true;
          return false;
        }
        out.chunks.push(record.payload);
        out.starts.push(recordSeq);
        out.records += 1;
        out.bytes += bytes;
        out.throughSeq = recordSeq;
        return budget > 0;
      });
      if (full || budget <= 0) return true;
      out.throughSeq = Math.max(out.throughSeq, blockEnd);
    }
    out.throughSeq = Math.max(out.throughSeq, Math.min(segment.end_offset, span.to));
    seq = Math.min(segment.end_offset, span.to) + 1;
  }
  out.throughSeq = Math.max(out.throughSeq, span.to);
  return false;
}

/** The record at `seq` in sealed storage, with its append time, or null. */
export async function sealedRecordAt(
  db: Database,
  segments: SegmentStore,
  streamId: number,
  name: string,
  seq: number,
): Promise<{ payload: Uint8Array; tsMs: number } | null> {
  const segment = segmentForSeq(db, streamId, seq);
  if (!segment || segment.start_offset > seq) return null;
  const file = await segments.file(name, streamId, segment.segment_index);
  const b = firstBlockFrom(file.blocks, seq);
  const entry = file.blocks[b];
  if (!entry || entry.firstSeq > seq) return null;
  let found: { payload: Uint8Array; tsMs: number } | null = null;
  forEachRecord(file.readBlock(b).raw, (record, index) => {
    if (entry.firstSeq + index !== seq) return;
    found = { payload: record.payload.slice(), tsMs: record.tsMs };
    return false;
  });
  return found;
}
