// Where a fork with a sub-offset starts (spec 01 §12.1): the first `subOffset` bytes (or
// JSON messages) of the source's next append after the fork offset are kept. Resolved
// before the create is queued, because it may read sealed history from segments.
import type { StreamRow } from "../storage/sqlite/streams.ts";
import { isJsonType } from "./content-types.ts";
import type { ForkCut } from "./create.ts";
import type { Reader } from "./reader.ts";

export type ForkCutResult = { ok: true; cut: ForkCut } | { ok: false; message: string };

export async function resolveForkCut(reader: Reader, source: StreamRow, offsetSeq: number | null, subOffset: number): Promise<ForkCutResult> {
  const forkSeq = offsetSeq ?? source.next_offset - 1;
  if (forkSeq > source.next_offset - 1) return { ok: false, message: "fork offset is beyond the source tail" };
  const first = await reader.recordAt(source, forkSeq + 1);
  if (!first) return { ok: false, message: "no message follows the fork offset" };
  if (isJsonType(source.content_type)) {
    // The kept messages are inherited as they are: the fork's view ends inside that append.
    const available = await reader.appendLength(source, forkSeq + 1, subOffset);
    if (available < subOffset) return { ok: false, message: "fork sub-offset exceeds the messages of that append" };
    return { ok: true, cut: { sourceId: source.id, forkSeq, base: forkSeq + 1 + subOffset, keptPrefix: null } };
  }
  if (subOffset > first.payload.byteLength) return { ok: false, message: "fork sub-offset exceeds the bytes of that append" };
  const keptPrefix = { payload: first.payload.slice(0, subOffset), tsMs: first.tsMs };
  return { ok: true, cut: { sourceId: source.id, forkSeq, base: forkSeq + 1, keptPrefix } };
}
