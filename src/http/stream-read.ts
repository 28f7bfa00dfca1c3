// GET (catch-up) and HEAD on /v1/stream/{name} (spec 01 §9.1, §9.2, §13.1). Live modes are
// in stream-live.ts.
import { isJsonType } from "../engine/content-types.ts";
import type { ReadView } from "../engine/engine.ts";
import type { ReadResult } from "../engine/reader.ts";
import { encodeOffset } from "../engine/offsets.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import type { HttpDeps } from "./env.ts";
import { missingStream } from "./errors.ts";
import { responseBody } from "./read-body.ts";
import { parseReadParams, startSeq, type ReadParams } from "./read-params.ts";
import { describeStream, H, setTail } from "./stream-headers.ts";
import { handleLongPoll, handleSse } from "./stream-live.ts";

/** Catch-up data stays valid for a while; closure is found by reading on from the end. */
const CATCH_UP_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300";

export function lookupLive(name: string, deps: HttpDeps): StreamRow {
  const { row, status } = deps.engine.lookup(name);
  if (!row || status !== "live") throw missingStream(status === "live" ? "absent" : status);
  return row;
}

export function handleHead(name: string, deps: HttpDeps): Response {
  const row = lookupLive(name, deps);
  const headers = new Headers();
  describeStream(headers, row, deps.engine.expiresAt(row));
  setTail(headers, row);
  headers.set("cache-control", "no-store");
  return new Response(null, { status: 200, headers });
}

export function handleGet(req: Request, query: URLSearchParams, name: string, pathKey: string | null, deps: HttpDeps): Response | Promise<Response> {
  const row = lookupLive(name, deps);
  const params = parseReadParams(query, row, pathKey);
  deps.engine.recordRead(row);
  if (params.live === "long-poll") return handleLongPoll(req, row, params, deps);
  if (params.live === "sse") return handleSse(req, row, params, deps);
  return catchUp(req, row, params, deps);
}

async function catchUp(req: Request, row: StreamRow, params: ReadParams, deps: HttpDeps): Promise<Response> {
  if (params.position?.kind === "now") return tailResponse(row, params, deps);
  const after = await startSeq(params, row, (since) => deps.engine.seekTime(row, since));
  const result = await deps.engine.read(row, after, params.key, readView(params));
  if (params.key === null) deps.engine.readAhead(row, result);
  const headers = readHeaders(row, params, result, deps);
  const etag = etagOf(row, after, result, params);
  headers.set("etag", etag);
  headers.set("cache-control", CATCH_UP_CACHE_CONTROL);
  if (req.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
  return new Response(readResponseBody(result, params, row), { status: 200, headers });
}

/** `offset=now`: nothing, positioned at the tail; never cached. */
function tailResponse(row: StreamRow, params: ReadParams, deps: HttpDeps): Response {
  const headers = new Headers();
  describeStream(headers, row, deps.engine.expiresAt(row));
  setTail(headers, row);
  headers.set(H.upToDate, "true");
  headers.set(H.endOffset, encodeOffset(row.next_offset - 1));
  headers.set("cache-control", "no-store");
  return new Response(params.asJson ? "[]" : null, { status: 200, headers });
}

/** JSON views show every record in the current schema version; raw views show them as stored. */
export function readView(params: ReadParams): ReadView {
  return params.asJson ? "current" : "stored";
}

/** Headers of a response carrying `result` (catch-up and long-poll data). */
export function readHeaders(row: StreamRow, params: ReadParams, result: ReadResult, deps: HttpDeps): Headers {
  const headers = new Headers();
  describeStream(headers, row, deps.engine.expiresAt(row));
  headers.set(H.nextOffset, encodeOffset(result.throughSeq));
  headers.set(H.endOffset, encodeOffset(row.next_offset - 1));
  if (result.upToDate) {
    headers.set(H.upToDate, "true");
    if (row.closed) headers.set(H.closed, "true");
  }
  return headers;
}

export function readResponseBody(result: ReadResult, params: ReadParams, row: StreamRow): Uint8Array | ReadableStream<Uint8Array> {
  const shape = params.asJson ? "json-array" : isJsonType(row.content_type) ? "json-raw" : "raw";
  return responseBody(result.chunks, result.bytes, shape);
}

/**
 * Changes with the incarnation, the range, the view (format, key), the closure signal and,
 * for JSON views, the profile and schema (a new schema version changes promoted records).
 */
function etagOf(row: StreamRow, after: number, result: ReadResult, params: ReadParams): string {
  const closed = result.upToDate && row.closed ? ":c" : "";
  const key = params.key ? `:k${Bun.hash(params.key).toString(36)}` : "";
  const view = params.asJson ? `j${row.meta_version}` : "r";
  return `"${row.id}:${after + 1}:${result.throughSeq + 1}:${view}${key}${closed}"`;
}
