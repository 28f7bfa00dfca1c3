// Goal: idempotent-producer sequencing follows spec 01 §8.4 case by case.
import { expect, test } from "bun:test";
import { checkProducer } from "../../src/engine/producers.ts";

test("an unknown producer starts at seq 0 with any epoch", () => {
  expect(checkProducer(null, 7, 0)).toEqual({ kind: "accept", next: { epoch: 7, lastSeq: 0 } });
});

test("an unknown producer starting above 0 is a gap from 0", () => {
  expect(checkProducer(null, 0, 3)).toEqual({ kind: "gap", expected: 0, received: 3 });
});

test("a stale epoch is fenced with the current epoch", () => {
  expect(checkProducer({ epoch: 2, lastSeq: 5 }, 1, 6)).toEqual({ kind: "stale_epoch", currentEpoch: 2 });
});

test("a new epoch must restart at seq 0", () => {
  expect(checkProducer({ epoch: 0, lastSeq: 5 }, 1, 0)).toEqual({ kind: "accept", next: { epoch: 1, lastSeq: 0 } });
  expect(checkProducer({ epoch: 0, lastSeq: 5 }, 1, 1)).toEqual({ kind: "epoch_seq" });
});

test("repeats are duplicates reporting the highest accepted seq", () => {
  expect(checkProducer({ epoch: 0, lastSeq: 5 }, 0, 5)).toEqual({ kind: "duplicate", lastSeq: 5 });
  expect(checkProducer({ epoch: 0, lastSeq: 5 }, 0, 2)).toEqual({ kind: "duplicate", lastSeq: 5 });
});

test("the next seq is accepted and a skipped one is a gap", () => {
  expect(checkProducer({ epoch: 0, lastSeq: 5 }, 0, 6)).toEqual({ kind: "accept", next: { epoch: 0, lastSeq: 6 } });
  expect(checkProducer({ epoch: 0, lastSeq: 5 }, 0, 8)).toEqual({ kind: "gap", expected: 6, received: 8 });
});
