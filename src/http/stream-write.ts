// PUT (create), POST (append and close) and DELETE on /v1/stream/{name}: parse, one engine
// call, map the outcome (spec 01 §7, §8, §13.2).
import type { AppendOutcome } from "../engine/append-checks.ts";
import { DEFAULT_CONTENT_TYPE, isJsonType } from "../engine/content-types.ts";
import type { CreateOutcome, ForkRequest } from "../engine/create.ts";
import { decodeOffset, encodeOffset } from "../engine/offsets.ts";
import { ingestRecords } from "../engine/ingest.ts";
import { prepareRecords, type RecordBatch } from "../engine/records.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import { readBody } from "./body.ts";
import { awaitWrite } from "./write-wait.ts";
import type { HttpDeps } from "./env.ts";
import { badRequest, DsError, missingStream, notFound } from "./errors.ts";
import { lookupLive } from "./stream-read.ts";
import {
  normalizeContentType,
  parseExpiry,
  parseProducer,
  parseStreamClosed,
  parseStreamSeq,
  parseStreamTimestamp,
  parseSubOffset,
} from "./headers.ts";
import { describeStream, H, setTail } from "./stream-headers.ts";
import { parseForkSource } from "./stream-path.ts";

const encoder = new TextEncoder();

export async function handlePut(req: Request, name: string, deps: HttpDeps): Promise<Response> {
  const h = req.headers;
  const close = parseStreamClosed(h.get("stream-closed"));
  const expiry = parseExpiry(h.get("stream-ttl"), h.get("stream-expires-at"));
  const fork = parseForkHeaders(h, deps.config.http.streamNameMaxBytes);
  const body = await readBody(req, deps.config.ingest.maxBodyBytes);
  const contentType = normalizeContentType(h.get("content-type"));

  // The initial body is prepared for the type the stream will have; a fork without a
  // Content-Type inherits its source's (re-checked inside the transaction).
  const recordsContentType =
    contentType ?? (fork ? (deps.engine.lookup(fork.sourceName).row?.content_type ?? DEFAULT_CONTENT_TYPE) : DEFAULT_CONTENT_TYPE);
  const prepared = prepareRecords(recordsContentType, body, true);
  if (!prepared.ok) throw badRequest(prepared.message);

  const outcome = await awaitWrite(
    deps.engine.create({
      name,
      contentType,
      recordsContentType,
      ttlSeconds: expiry.ttlSeconds,
      expiresAtMs: expiry.expiresAtMs,
      close,
      records: prepared.batch,
      fork,
    }),
  );
  return createResponse(outcome, req, deps);
}

function parseForkHeaders(h: Headers, nameMaxBytes: number): ForkRequest | null {
  const from = h.get("stream-forked-from");
  const offset = h.get("stream-fork-offset");
  const subHeader = h.get("stream-fork-sub-offset");
  if (from === null) {
    if (subHeader !== null) throw badRequest("Stream-Fork-Sub-Offset requires Stream-Forked-From");
    if (offset !== null) throw badRequest("Stream-Fork-Offset requires Stream-Forked-From");
    return null;
  }
  const subOffset = parseSubOffset(subHeader);
  let offsetSeq: number | null = null;
  if (offset !== null) {
    offsetSeq = offset === "-1" ? -1 : decodeOffset(offset);
    if (offsetSeq === null) throw badRequest("invalid Stream-Fork-Offset");
  }
  if (subOffset > 0 && offsetSeq === null) throw badRequest("Stream-Fork-Sub-Offset > 0 requires Stream-Fork-Offset");
  return { sourceName: parseForkSource(from, nameMaxBytes), offsetSeq, subOffset };
}

function createResponse(outcome: CreateOutcome, req: Request, deps: HttpDeps): Response {
  switch (outcome.kind) {
    case "created":
    case "exists": {
      const headers = new Headers();
      describeStream(headers, outcome.row, deps.engine.expiresAt(outcome.row));
      setTail(headers, outcome.row);
      if (outcome.kind === "created") {
        const url = new URL(req.url);
        headers.set("location", `${url.origin}${url.pathname}`);
      }
      return new Response(null, { status: outcome.kind === "created" ? 201 : 200, headers });
    }
    case "config_mismatch":
      throw new DsError(409, "stream_exists", "stream exists with a different configuration");
    case "soft_deleted":
      throw new DsError(409, "stream_soft_deleted", "stream was deleted and is still referenced by forks");
    case "fork_source_not_found":
      throw notFound("fork source stream not found");
    case "fork_source_soft_deleted":
      throw new DsError(409, "fork_source_deleted", "fork source was deleted");
    case "fork_content_type_mismatch":
      throw new DsError(409, "content_type_mismatch", "Content-Type differs from the fork source's");
    case "fork_position_invalid":
      throw badRequest(outcome.message);
    case "fork_source_changed":
      throw new DsError(409, "fork_source_changed", "fork source changed while the fork was created; retry");
  }
}

/** An append prepared under a profile or schema that then changed is prepared again, this many times at most. */
const APPEND_PREPARE_ATTEMPTS = 3;

export async function handlePost(req: Request, name: string, deps: HttpDeps): Promise<Response> {
  let row = lookupLive(name, deps);
  const h = req.headers;
  const producer = parseProducer(h.get("producer-id"), h.get("producer-epoch"), h.get("producer-seq"));
  const streamSeq = parseStreamSeq(h.get("stream-seq"));
  const timestampMs = parseStreamTimestamp(h.get("stream-timestamp"));
  const streamKey = h.get("stream-key");
  const body = await readBody(req, deps.config.ingest.maxBodyBytes);
  const close = parseStreamClosed(h.get("stream-closed"));
  if (body.byteLength === 0 && !close) throw badRequest("empty body: nothing to append");
  const contentType = normalizeContentType(h.get("content-type"));
  if (body.byteLength > 0 && contentType === null) throw badRequest("Content-Type is required with a body");

  for (let attempt = 1; ; attempt++) {
    const prepared = deps.engine.appendRecords(row, contentType, body);
    if (!prepared.ok) throw badRequest(prepared.message);
    const structured = structureRecords(row, contentType, prepared.batch, streamKey, deps);
    const outcome = await awaitWrite(
      deps.engine.append({
        name,
        contentType,
        records: structured.records,
        routingKey: structured.routingKey,
        close,
        producer,
        streamSeq,
        timestampMs,
        metaVersion: row.meta_version,
      }),
    );
    if (outcome.kind !== "meta_changed") return appendResponse(outcome, body.byteLength > 0);
    if (attempt >= APPEND_PREPARE_ATTEMPTS) throw new DsError(503, "unavailable", "the stream's profile or schema keeps changing; retry", { "retry-after": "1" });
    row = lookupLive(name, deps);
  }
}

/**
 * The records as the stream's profile and schema want them stored (stream-meta.ts says
 * whether they look at records at all), with their routing keys.
 */
function structureRecords(row: StreamRow, contentType: string | null, records: RecordBatch, streamKey: string | null, deps: HttpDeps) {
  const headerKey = streamKey === null ? null : encoder.encode(streamKey);
  // Another content type is refused by the writer (409) before these records matter.
  if (records.count === 0 || contentType !== row.content_type) return { records, routingKey: headerKey };
  const meta = deps.engine.meta(row);
  if (!meta.parsesAppends) return { records, routingKey: headerKey };
  const ingested = ingestRecords(meta, { contentType: row.content_type, records, headerKey: streamKey, nowMs: Date.now() });
  if (!ingested.ok) throw ingested.status === 400 ? badRequest(ingested.message) : new DsError(500, "internal", ingested.message);
  return { records: ingested.records, routingKey: ingested.routingKey };
}

function appendResponse(outcome: AppendOutcome, hadRecords: boolean): Response {
  switch (outcome.kind) {
    case "ok": {
      const headers = new Headers();
      headers.set(H.nextOffset, encodeOffset(outcome.tailSeq));
      if (outcome.closed) headers.set(H.closed, "true");
      if (outcome.producer) {
        headers.set(H.producerEpoch, String(outcome.producer.epoch));
        headers.set(H.producerSeq, String(outcome.producer.seq));
      }
      const wroteWithProducer = outcome.producer !== null && !outcome.duplicate && hadRecords;
      return new Response(null, { status: wroteWithProducer ? 200 : 204, headers });
    }
    case "not_found":
      throw notFound();
    case "soft_deleted":
      throw missingStream("soft_deleted");
    case "closed":
      throw new DsError(409, "stream_closed", "stream is closed", {
        [H.closed]: "true",
        [H.nextOffset]: encodeOffset(outcome.tailSeq),
      });
    case "content_type_mismatch":
      throw new DsError(409, "content_type_mismatch", `stream content type is ${outcome.streamType}`);
    case "stream_seq_conflict":
      throw new DsError(409, "stream_seq_conflict", "Stream-Seq must increase", {
        "stream-expected-seq": outcome.expected,
        "stream-received-seq": outcome.received,
      });
    case "producer_stale_epoch":
      throw new DsError(403, "producer_stale_epoch", "producer epoch is stale", {
        [H.producerEpoch]: String(outcome.currentEpoch),
      });
    case "producer_gap":
      throw new DsError(409, "producer_seq_gap", `expected Producer-Seq ${outcome.expected}`, {
        [H.producerExpectedSeq]: String(outcome.expected),
        [H.producerReceivedSeq]: String(outcome.received),
      });
    case "producer_epoch_seq":
      throw badRequest("a new Producer-Epoch must start at Producer-Seq 0");
    case "invalid_body":
      throw badRequest(outcome.message);
    case "meta_changed":
      throw new Error("meta_changed is retried by handlePost");
  }
}

export async function handleDelete(name: string, deps: HttpDeps): Promise<Response> {
  const outcome = await awaitWrite(deps.engine.delete(name));
  switch (outcome.kind) {
    case "deleted":
      return new Response(null, { status: 204 });
    case "not_found":
      throw notFound();
    case "soft_deleted":
      throw missingStream("soft_deleted");
  }
}


