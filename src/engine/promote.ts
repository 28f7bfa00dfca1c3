// Read promotion (spec 03 §5.6.2): JSON reads return every record in the current schema
// version. Chunks written under an older version are parsed, passed through the lens
// chain and serialised again; chunks already current are returned as stored, so streams
// without lenses, and reads of recent records, cost nothing extra.
import { LensError, promoteRecord } from "../schema/lens.ts";
import { versionAt } from "../schema/registry.ts";
import { joinJsonValues, splitJsonValues } from "./json-split.ts";
import type { ReadResult } from "./reader.ts";
import type { StreamMeta } from "./stream-meta.ts";

/** A read that cannot be promoted: 400 for a lens that fails on a record, 500 for a missing lens. */
export class PromotionError extends Error {
  constructor(
    readonly status: 400 | 500,
    message: string,
  ) {
    super(message);
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function needsPromotion(result: ReadResult, meta: StreamMeta): boolean {
  return meta.registry !== null && meta.registry.currentVersion > 1 && result.starts.length > 0 && result.starts[0]! < meta.currentFromSeq;
}

function promoteChunk(chunk: Uint8Array, version: number, meta: StreamMeta): Uint8Array {
  const chain = meta.lensChain(version);
  if (!chain) throw new PromotionError(500, `missing lens from schema version ${version}`);
  return joinJsonValues(
    splitJsonValues(chunk).map((value) => {
      try {
        return encoder.encode(JSON.stringify(promoteRecord(JSON.parse(decoder.decode(value)), chain)));
      } catch (error) {
        if (error instanceof LensError) throw new PromotionError(400, error.message);
        throw error;
      }
    }),
  );
}

/** `result` with its old chunks promoted (a new result; the stored one may be shared). */
export function promoteResult(result: ReadResult, meta: StreamMeta): ReadResult {
  const registry = meta.registry!;
  const chunks = result.chunks.map((chunk, i) => {
    const version = versionAt(registry.boundaries, result.starts[i]!);
    return version === registry.currentVersion ? chunk : promoteChunk(chunk, version, meta);
  });
  return { ...result, chunks, bytes: chunks.reduce((n, c) => n + c.byteLength, 0) };
}
