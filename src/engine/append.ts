// The append command: one POST, checked and written inside a group-commit transaction.
import { decideAppend, type AppendOutcome, type AppendRequest } from "./append-checks.ts";
import { finishJsonRecords } from "./records.ts";
import { renewedExpiry } from "./expiry.ts";
import { classifyStream } from "./stream-status.ts";
import type { WriteBatch } from "./write-batch.ts";

export function executeAppend(batch: WriteBatch, req: AppendRequest): AppendOutcome {
  const row = batch.stream(req.name);
  const status = classifyStream(row, batch.nowMs);
  if (status === "soft_deleted") return { kind: "soft_deleted" };
  if (!row || status !== "live") return { kind: "not_found" };
  // A body left for the writer (its payload pipeline validated it already, otherwise it is done here).
  finishJsonRecords(req.records);
  if (req.records.invalid !== undefined) return { kind: "invalid_body", message: req.records.invalid };

  // Every POST renews a sliding TTL, whatever its outcome (spec 01 §14).
  if (row.ttl_seconds !== null) {
    row.expires_at_ms = renewedExpiry(row, batch.nowMs);
    batch.touched(row);
  }

  const producerState = req.producer ? batch.producer(row, req.producer.id) : null;
  const decision = decideAppend(row, req, producerState);
  if (decision.kind === "done") return decision.outcome;

  if (req.records.count > 0) {
    // All records of one append share one append time, strictly later than the previous
    // append's: readers find append boundaries from it (fork sub-offsets).
    const tsMs = Math.max(req.timestampMs ?? batch.nowMs, row.last_append_ms + 1);
    batch.appendRecords(row, tsMs, req.records, req.routingKey);
    row.last_append_ms = tsMs;
  }
  if (req.producer && decision.producerNext) batch.setProducer(row, req.producer.id, decision.producerNext);
  if (req.streamSeq !== null) row.stream_seq = req.streamSeq;
  if (req.close) {
    row.closed = 1;
    row.closed_producer_id = req.producer?.id ?? null;
    row.closed_producer_epoch = req.producer?.epoch ?? null;
    row.closed_producer_seq = req.producer?.seq ?? null;
  }
  batch.touched(row);
  batch.notify(row.id);
  return {
    kind: "ok",
    tailSeq: row.next_offset - 1,
    closed: row.closed === 1,
    duplicate: false,
    producer: req.producer ? { epoch: req.producer.epoch, seq: req.producer.seq } : null,
  };
}
