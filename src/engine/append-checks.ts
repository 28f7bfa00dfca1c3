// The checks of an append, in the order of spec 01 §8.1 steps 8–11, as a pure function of
// the stream row, the request and the producer's stored state.
import type { ProducerState } from "../storage/sqlite/producers.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";
import type { RecordBatch } from "./records.ts";
import { checkProducer, sameProducerTuple, type ProducerHeaders } from "./producers.ts";

export interface AppendRequest {
  name: string;
  /** Normalised request content type; null when the header was absent. */
  contentType: string | null;
  /** Records to store, already validated (JSON bodies flattened one level). */
  records: RecordBatch;
  routingKey: Uint8Array | null;
  close: boolean;
  producer: ProducerHeaders | null;
  streamSeq: string | null;
  /** Append-time hint from `Stream-Timestamp`, ms; null = now. */
  timestampMs: number | null;
  /**
   * The stream's `meta_version` the records were prepared under (profile hooks, schema
   * validation, routing keys). If the profile or schema changed since, they are refused
   * with `meta_changed` and the caller prepares them again.
   */
  metaVersion: number;
}

export type AppendOutcome =
  | {
      kind: "ok";
      tailSeq: number;
      closed: boolean;
      /** True when nothing was written because the request repeats an earlier one. */
      duplicate: boolean;
      producer: { epoch: number; seq: number } | null;
    }
  | { kind: "not_found" }
  | { kind: "soft_deleted" }
  | { kind: "closed"; tailSeq: number }
  | { kind: "content_type_mismatch"; streamType: string }
  | { kind: "stream_seq_conflict"; expected: string; received: string }
  | { kind: "producer_stale_epoch"; currentEpoch: number }
  | { kind: "producer_gap"; expected: number; received: number }
  | { kind: "producer_epoch_seq" }
  | { kind: "meta_changed" }
  /** The JSON body the writer validated was not valid (400); nothing was written. */
  | { kind: "invalid_body"; message: string };

export type AppendDecision =
  | { kind: "done"; outcome: AppendOutcome }
  | { kind: "write"; producerNext: ProducerState | null };

/** Decides an append against a live stream (existence and expiry are checked before). */
export function decideAppend(row: StreamRow, req: AppendRequest, producerState: ProducerState | null): AppendDecision {
  const tailSeq = row.next_offset - 1;
  const closeOnly = req.close && req.records.count === 0;

  if (row.closed) {
    const producer = req.producer;
    if (producer && sameProducerTuple(producer, row.closed_producer_id, row.closed_producer_epoch, row.closed_producer_seq)) {
      return done({ kind: "ok", tailSeq, closed: true, duplicate: true, producer: { epoch: producer.epoch, seq: producer.seq } });
    }
    if (closeOnly) return done({ kind: "ok", tailSeq, closed: true, duplicate: true, producer: null });
    return done({ kind: "closed", tailSeq });
  }

  if (!closeOnly && req.contentType !== row.content_type) {
    return done({ kind: "content_type_mismatch", streamType: row.content_type });
  }

  let producerNext: ProducerState | null = null;
  if (req.producer) {
    const decision = checkProducer(producerState, req.producer.epoch, req.producer.seq);
    switch (decision.kind) {
      case "stale_epoch":
        return done({ kind: "producer_stale_epoch", currentEpoch: decision.currentEpoch });
      case "epoch_seq":
        return done({ kind: "producer_epoch_seq" });
      case "gap":
        return done({ kind: "producer_gap", expected: decision.expected, received: decision.received });
      case "duplicate":
        return done({
          kind: "ok",
          tailSeq,
          closed: false,
          duplicate: true,
          producer: { epoch: req.producer.epoch, seq: decision.lastSeq },
        });
      case "accept":
        producerNext = decision.next;
    }
  }

  if (req.streamSeq !== null && row.stream_seq !== null && !(req.streamSeq > row.stream_seq)) {
    return done({ kind: "stream_seq_conflict", expected: row.stream_seq, received: req.streamSeq });
  }
  if (req.records.count > 0 && req.metaVersion !== row.meta_version) return done({ kind: "meta_changed" });
  return { kind: "write", producerNext };
}

function done(outcome: AppendOutcome): AppendDecision {
  return { kind: "done", outcome };
}
