// Live reads: long-poll and SSE (spec 01 §9.3, §10). Both read, and when at the tail wait
// on the notifier (never polling SQLite) until data, closure, timeout or disconnect.
import { sseEncoding } from "../engine/content-types.ts";
import type { Engine } from "../engine/engine.ts";
import type { WaitResult } from "../engine/notifier.ts";
import { connectionCursor, nextCursor } from "../engine/cursor.ts";
import { encodeOffset } from "../engine/offsets.ts";
import type { ReadResult } from "../engine/reader.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import type { HttpDeps } from "./env.ts";
import { missingStream } from "./errors.ts";
import { concatRecords, jsonArrayOf } from "./read-body.ts";
import { startSeq, type ReadParams } from "./read-params.ts";
import { EventSink } from "./event-sink.ts";
import { currentIncarnation, hasNewsAfter, SseFanout, streamMovedPast, type TailReader } from "./sse-fanout.ts";
import { formatSseEvent } from "./sse-format.ts";
import { H } from "./stream-headers.ts";
import { readHeaders, readResponseBody, readView } from "./stream-read.ts";

/** The current incarnation of the stream a live read follows, or null once it is gone. */
function refresh(row: StreamRow, deps: HttpDeps): StreamRow | null {
  return currentIncarnation(deps.engine, row.stream, row.id);
}

export async function handleLongPoll(req: Request, initial: StreamRow, params: ReadParams, deps: HttpDeps): Promise<Response> {
  const { longPollDefaultMs, longPollMaxMs } = deps.config.live;
  const deadline = Date.now() + Math.min(params.timeoutMs ?? longPollDefaultMs, longPollMaxMs);
  const after = await startSeq(params, initial, (since) => deps.engine.seekTime(initial, since));
  let row: StreamRow | null = initial;
  for (;;) {
    const result = await deps.engine.read(row, after, params.key, readView(params));
    if (result.records > 0) {
      const headers = readHeaders(row, params, result, deps);
      headers.set(H.cursor, nextCursor(Date.now(), params.cursor));
      headers.set("cache-control", "no-store");
      deps.engine.recordRead(row);
      return new Response(readResponseBody(result, params, row), { status: 200, headers });
    }
    const remaining = deadline - Date.now();
    if (row.closed || remaining <= 0 || deps.isClosing()) return noData(row, result, params);
    const woke = await deps.engine.waitForChange(row.id, remaining, req.signal);
    if (woke === "aborted") return noData(row, result, params);
    const next = refresh(row, deps);
    if (!next) {
      const { status } = deps.engine.lookup(row.stream);
      throw missingStream(status === "live" ? "absent" : status);
    }
    row = next;
  }
}

/** 204: nothing after the position (timeout), or the end of a closed stream. */
function noData(row: StreamRow, result: ReadResult, params: ReadParams): Response {
  const headers = new Headers();
  headers.set(H.nextOffset, encodeOffset(Math.max(result.throughSeq, row.next_offset - 1)));
  headers.set(H.endOffset, encodeOffset(row.next_offset - 1));
  headers.set(H.upToDate, "true");
  headers.set("cache-control", "no-store");
  if (row.closed) headers.set(H.closed, "true");
  else headers.set(H.cursor, nextCursor(Date.now(), params.cursor));
  return new Response(null, { status: 204, headers });
}

const utf8 = new TextDecoder();

export async function handleSse(req: Request, initial: StreamRow, params: ReadParams, deps: HttpDeps): Promise<Response> {
  const encoding = sseEncoding(initial.content_type);
  const start = await startSeq(params, initial, (s) => deps.engine.seekTime(initial, s));
  const headers = new Headers({
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    [H.nextOffset]: encodeOffset(start),
  });
  if (encoding === "base64") headers.set(H.sseEncoding, "base64");

  const sink = new EventSink(req.signal);
  void runSse(sink, initial, start, params, encoding, deps)
    // The response has started: a read that fails now (a lens that cannot promote a
    // record) can only end it; the client's reconnect gets the error as a status.
    .catch((error: unknown) => deps.log.warn({ err: error, stream: initial.stream }, "SSE read failed"))
    .finally(() => sink.end());
  return new Response(sink.body, { status: 200, headers });
}

async function runSse(
  sink: EventSink,
  initial: StreamRow,
  start: number,
  params: ReadParams,
  encoding: "json" | "text" | "base64",
  deps: HttpDeps,
): Promise<void> {
  const { sseKeepAliveMs, sseMaxConnectionMs } = deps.config.live;
  const endAt = Date.now() + sseMaxConnectionMs;
  const cursorAt = connectionCursor(params.cursor);
  // Readers without a key filter park in the stream's fan-out, which feeds them new data at
  // the tail without waking this loop (sse-fanout.ts); `tail.after` is where the client is.
  const tail: TailReader = {
    after: start,
    view: readView(params),
    deliver: (result) => {
      const bytes = eventBytes(result, encoding, controlEvent(result.throughSeq, cursorAt(Date.now()), true, false));
      if (!sink.offer(bytes)) return false;
      tail.after = result.throughSeq;
      return true;
    },
  };
  const fanout = params.key === null ? fanoutOf(deps.engine) : null;
  const waitAtTail = (row: StreamRow, waitMs: number): Promise<WaitResult> | WaitResult => {
    if (fanout) return fanout.park(row, tail, waitMs, sink.closed);
    // A keyed reader waits on its own, and must not miss a commit made since its last read either.
    if (streamMovedPast(deps.engine, row, tail.after)) return "changed";
    return deps.engine.waitForChange(row.id, waitMs, sink.closed);
  };
  let row: StreamRow | null = initial;
  const send = (event: string): Promise<boolean> => sink.write(event);
  while (row && !sink.closed.aborted) {
    const result = await deps.engine.read(row, tail.after, params.key, tail.view);
    tail.after = result.throughSeq;
    const finished = result.upToDate && row.closed === 1;
    const control = controlEvent(tail.after, cursorAt(Date.now()), result.upToDate, finished);
    // A data event and its control event go out as one write: one chunk for the socket and
    // the client instead of two, which halves the fan-out's cost per woken reader.
    const written = result.records > 0 ? sink.writeBytes(eventBytes(result, encoding, control)) : send(control);
    if (!(await written)) return;
    if (finished) return;
    if (!result.upToDate) continue;

    // At the tail: wait for a change, sending a keep-alive control event when idle.
    for (;;) {
      const remaining = endAt - Date.now();
      if (remaining <= 0 || deps.isClosing()) return;
      const waitMs = Math.min(sseKeepAliveMs, remaining);
      const woke = await waitAtTail(row, waitMs);
      if (woke === "aborted") return;
      row = refresh(row, deps);
      if (!row) return;
      if (woke === "changed" || hasNewsAfter(row, tail.after)) break;
      deps.engine.recordRead(row);
      if (!(await send(controlEvent(tail.after, cursorAt(Date.now()), true, false)))) return;
    }
    deps.engine.recordRead(row);
  }
}

const fanouts = new WeakMap<Engine, SseFanout>();

function fanoutOf(engine: Engine): SseFanout {
  let fanout = fanouts.get(engine);
  if (!fanout) {
    fanout = new SseFanout(engine);
    fanouts.set(engine, fanout);
  }
  return fanout;
}

/** Keep-alives and events at the tail repeat the same control event: the last one is kept. */
let lastControl = { key: "", event: "" };

/** A `control` event (spec 01 §10): the cursor while open, `streamClosed` once finished. */
function controlEvent(after: number, cursor: string, upToDate: boolean, finished: boolean): string {
  const key = `${after}:${cursor}:${upToDate}:${finished}`;
  if (lastControl.key === key) return lastControl.event;
  const control: Record<string, unknown> = { streamNextOffset: encodeOffset(after) };
  if (!finished) control.streamCursor = cursor;
  if (upToDate) control.upToDate = true;
  if (finished) control.streamClosed = true;
  lastControl = { key, event: formatSseEvent("control", JSON.stringify(control)) };
  return lastControl.event;
}

/**
 * Readers woken together share one read result (ReadCache), and so its data event and,
 * when their control events agree too (same position and cursor, the usual case), the
 * encoded bytes of both: one encoding per append instead of one per reader.
 */
interface SharedEvents {
  data: string;
  /** Encoded `data + control`, by control event; a few at most. */
  bytes: Map<string, Uint8Array>;
}
const sharedEvents = new WeakMap<ReadResult, SharedEvents>();
const SHARED_CONTROLS_MAX = 8;
const utf8Encoder = new TextEncoder();

function eventBytes(result: ReadResult, encoding: "json" | "text" | "base64", controlEvent: string): Uint8Array {
  let shared = sharedEvents.get(result);
  if (shared === undefined) {
    shared = { data: formatSseEvent("data", ssePayload(result, encoding)), bytes: new Map() };
    sharedEvents.set(result, shared);
  }
  let bytes = shared.bytes.get(controlEvent);
  if (bytes === undefined) {
    if (shared.bytes.size >= SHARED_CONTROLS_MAX) shared.bytes.clear();
    bytes = utf8Encoder.encode(shared.data + controlEvent);
    shared.bytes.set(controlEvent, bytes);
  }
  return bytes;
}

function ssePayload(result: ReadResult, encoding: "json" | "text" | "base64"): string {
  if (encoding === "json") return utf8.decode(jsonArrayOf(result.chunks, result.bytes));
  const bytes = concatRecords(result.chunks, result.bytes);
  return encoding === "text" ? utf8.decode(bytes) : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}
