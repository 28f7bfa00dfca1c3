// How many WAL bytes a segment should take (spec 02 §5.2): the configured size, raised for
// streams that compress well so segments stay near the configured size on disk, at most 5x.
import type { Database } from "bun:sqlite";

const RATIO_SAMPLE_SEGMENTS = 8;
const MAX_BOOST = 5;

/** Pure: the byte target for a stream whose recent segments compressed to `ratio`. */
export function bytesTargetFor(segmentMaxBytes: number, ratio: number | null): number {
  if (ratio === null || ratio >= 0.5 || ratio <= 0) return segmentMaxBytes;
  const target = Math.ceil((0.5 * segmentMaxBytes) / ratio);
  return Math.min(MAX_BOOST * segmentMaxBytes, Math.max(segmentMaxBytes, target));
}

export function sealBytesTarget(db: Database, streamId: number, segmentMaxBytes: number): number {
  const row = db
    .query<{ size: number | null; payload: number | null }, [number, number]>(
      `SELECT SUM(size_bytes) AS size, SUM(payload_bytes) AS payload FROM
         (SELECT size_bytes, payload_bytes FROM segments WHERE stream_id = ? AND payload_bytes > 0 ORDER BY segment_index DESC LIMIT ?)`,
    )
    .get(streamId, RATIO_SAMPLE_SEGMENTS);
  const ratio = row?.size && row.payload ? row.size / row.payload : null;
  return bytesTargetFor(segmentMaxBytes, ratio);
}
