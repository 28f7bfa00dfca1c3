// Idempotent-producer sequencing (spec 01 §8.4): a pure decision over the stored state.
import type { ProducerState } from "../storage/sqlite/producers.ts";

export interface ProducerHeaders {
  id: string;
  epoch: number;
  seq: number;
}

export type ProducerDecision =
  | { kind: "accept"; next: ProducerState }
  | { kind: "duplicate"; lastSeq: number }
  | { kind: "stale_epoch"; currentEpoch: number }
  | { kind: "gap"; expected: number; received: number }
  | { kind: "epoch_seq" };

export function checkProducer(state: ProducerState | null, epoch: number, seq: number): ProducerDecision {
  if (!state) {
    // A producer unknown to this stream must start at 0; anything else is a gap from 0.
    return seq === 0
      ? { kind: "accept", next: { epoch, lastSeq: 0 } }
      : { kind: "gap", expected: 0, received: seq };
  }
  if (epoch < state.epoch) return { kind: "stale_epoch", currentEpoch: state.epoch };
  if (epoch > state.epoch) {
    return seq === 0 ? { kind: "accept", next: { epoch, lastSeq: 0 } } : { kind: "epoch_seq" };
  }
  if (seq <= state.lastSeq) return { kind: "duplicate", lastSeq: state.lastSeq };
  if (seq === state.lastSeq + 1) return { kind: "accept", next: { epoch, lastSeq: seq } };
  return { kind: "gap", expected: state.lastSeq + 1, received: seq };
}

export function sameProducerTuple(
  headers: ProducerHeaders,
  id: string | null,
  epoch: number | null,
  seq: number | null,
): boolean {
  return id !== null && headers.id === id && headers.epoch === epoch && headers.seq === seq;
}
