// Query parameters of a stream GET (spec 01 §4.2): where to start, which mode, which view.
import { isJsonType } from "../engine/content-types.ts";
import { parseReadPosition, START_SEQ, type ReadPosition } from "../engine/offsets.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import { badRequest } from "./errors.ts";
import { parseLive, parseSince, parseTimeoutMs, type LiveMode } from "./headers.ts";

export interface ReadParams {
  /** Null when `offset` was absent (catch-up from the start, or from `since`). */
  position: ReadPosition | null;
  live: LiveMode;
  cursor: string | null;
  asJson: boolean;
  key: Uint8Array | null;
  sinceMs: number | null;
  timeoutMs: number | null;
}

const encoder = new TextEncoder();

export function parseReadParams(query: URLSearchParams, row: StreamRow, pathKey: string | null): ReadParams {
  const offsets = query.getAll("offset");
  if (offsets.length > 1) throw badRequest("offset given more than once");
  let position: ReadPosition | null = null;
  if (offsets.length === 1) {
    position = parseReadPosition(offsets[0]!);
    if (!position) throw badRequest("invalid offset");
  }
  const live = parseLive(query.get("live") ?? undefined);
  if (live !== "catch-up" && position === null) throw badRequest(`offset is required with live=${live}`);

  const format = query.get("format");
  if (format !== null && format !== "raw" && format !== "json") throw badRequest("invalid format: expected raw or json");
  if (format === "json" && !isJsonType(row.content_type)) throw badRequest("format=json needs an application/json stream");

  const key = pathKey ?? query.get("key");
  const since = query.get("since");
  const timeout = query.get("timeout_ms") ?? query.get("timeout");
  return {
    position,
    live,
    cursor: query.get("cursor"),
    asJson: format === null ? isJsonType(row.content_type) : format === "json",
    key: key === null ? null : encoder.encode(key),
    sinceMs: since === null ? null : parseSince(since),
    timeoutMs: timeout === null ? null : parseTimeoutMs(timeout),
  };
}

/** The position a read starts after, given the stream (`now` = the tail). */
export async function startSeq(params: ReadParams, row: StreamRow, seekTime: (sinceMs: number) => Promise<number>): Promise<number> {
  if (params.position === null) return params.sinceMs === null ? START_SEQ : seekTime(params.sinceMs);
  return params.position.kind === "now" ? row.next_offset - 1 : params.position.seq;
}
