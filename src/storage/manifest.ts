// The manifest of a stream (spec 02 §8): everything bootstrap needs to rebuild it from the
// bucket. Pure: building from rows, and parsing back with validation.
import { z } from "zod";
import { encodeOffset } from "../engine/offsets.ts";
import type { StreamRow } from "./sqlite/streams.ts";
import type { SegmentMeta } from "./sqlite/segments.ts";

export interface ManifestInput {
  row: StreamRow;
  forkSourceName: string | null;
  generation: number;
  /** Length of the uploaded segment prefix the manifest publishes. */
  prefix: number;
  meta: SegmentMeta;
  /** The stream's profile kind (the default kind when none was declared). */
  profileKind: string;
  /** The stored profile document, or null for kinds without configuration. */
  profileJson: unknown;
}

function prefixArray(bytes: Uint8Array, width: number, count: number): string {
  return Buffer.from(Bun.zstdCompressSync(bytes.subarray(0, width * count))).toString("base64");
}

export function buildManifest(input: ManifestInput): Record<string, unknown> {
  const { row, prefix, meta } = input;
  return {
    name: row.stream,
    created_at: new Date(row.created_at_ms).toISOString(),
    expires_at: row.expires_at_ms === null ? null : new Date(row.expires_at_ms).toISOString(),
    content_type: row.content_type,
    profile: input.profileKind,
    profile_json: input.profileJson ?? null,
    stream_seq: row.stream_seq,
    closed: row.closed,
    closed_producer_id: row.closed_producer_id,
    closed_producer_epoch: row.closed_producer_epoch,
    closed_producer_seq: row.closed_producer_seq,
    ttl_seconds: row.ttl_seconds,
    stream_flags: row.stream_flags,
    generation: input.generation,
    epoch: row.epoch,
    next_offset: row.next_offset,
    next_offset_encoded: encodeOffset(row.next_offset - 1),
    logical_size_bytes: String(row.logical_size_bytes),
    segment_count: prefix,
    uploaded_through: prefix,
    active_file_offset: row.next_offset,
    last_committed_ts: row.last_append_ms * 1_000_000,
    zstd_dict: "",
    segment_offsets: prefixArray(meta.segment_offsets, 8, prefix),
    segment_blocks: prefixArray(meta.segment_blocks, 4, prefix),
    segment_last_ts: prefixArray(meta.segment_last_ts, 8, prefix),
    indexed_through: 0,
    index_secret: "",
    active_runs: [],
    retired_runs: [],
    secondary_indexes: {},
    lexicon_indexes: [],
    search_companions: null,
    // Forks (not in upstream manifests): how this stream reads through its source.
    fork_source: input.forkSourceName,
    fork_base_offset: row.fork_base_offset,
    fork_offset: row.fork_offset,
    fork_sub_offset: row.fork_sub_offset,
    fork_refcount: row.fork_refcount,
  };
}

const manifestSchema = z.object({
  name: z.string().min(1),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  content_type: z.string(),
  profile: z.string(),
  profile_json: z.unknown(),
  stream_seq: z.string().nullable(),
  closed: z.number().int(),
  closed_producer_id: z.string().nullable(),
  closed_producer_epoch: z.number().nullable(),
  closed_producer_seq: z.number().nullable(),
  ttl_seconds: z.number().nullable(),
  stream_flags: z.number().int(),
  generation: z.number().int(),
  epoch: z.number().int(),
  next_offset: z.number().int(),
  logical_size_bytes: z.string(),
  segment_count: z.number().int(),
  uploaded_through: z.number().int(),
  last_committed_ts: z.number(),
  segment_offsets: z.string(),
  segment_blocks: z.string(),
  segment_last_ts: z.string(),
  fork_source: z.string().nullable().default(null),
  fork_base_offset: z.number().int().default(0),
  fork_offset: z.number().int().nullable().default(null),
  fork_sub_offset: z.number().int().default(0),
  fork_refcount: z.number().int().default(0),
});

export type Manifest = z.infer<typeof manifestSchema> & {
  /** Decoded arrays: per segment, end offset + 1, block count, last append ms. */
  segments: Array<{ endExclusive: number; blocks: number; lastAppendMs: number }>;
};

export class ManifestError extends Error {}

function decodeArray(base64: string, width: number, count: number, name: string): DataView {
  const bytes = base64 === "" ? new Uint8Array(0) : Bun.zstdDecompressSync(Buffer.from(base64, "base64"));
  if (bytes.byteLength !== width * count) throw new ManifestError(`${name} holds ${bytes.byteLength / width} entries, expected ${count}`);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseManifest(text: string): Manifest {
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new ManifestError(`invalid manifest: ${parsed.error.issues[0]?.message}`);
  const m = parsed.data;
  const offsets = decodeArray(m.segment_offsets, 8, m.segment_count, "segment_offsets");
  const blocks = decodeArray(m.segment_blocks, 4, m.segment_count, "segment_blocks");
  const lastTs = decodeArray(m.segment_last_ts, 8, m.segment_count, "segment_last_ts");
  const segments = Array.from({ length: m.segment_count }, (_, i) => ({
    endExclusive: Number(offsets.getBigUint64(i * 8, true)),
    blocks: blocks.getUint32(i * 4, true),
    lastAppendMs: Number(lastTs.getBigUint64(i * 8, true) / 1_000_000n),
  }));
  return { ...m, segments };
}
