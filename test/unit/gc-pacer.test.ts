// The GC pacer collects after every `paceBytes` bytes, never more often than its interval,
// and not at all when pacing is off.
import { expect, test } from "bun:test";
import { GcPacer } from "../../src/engine/gc-pacer.ts";

function pacer(paceBytes: number, minIntervalMs: number, fullEvery = 1) {
  let now = 0;
  const collections: number[] = [];
  const kinds: boolean[] = [];
  const gc = new GcPacer({
    paceBytes,
    minIntervalMs,
    fullEvery,
    collect: (full) => {
      collections.push(now);
      kinds.push(full);
    },
    now: () => now,
  });
  return { gc, collections, kinds, advance: (ms: number) => (now += ms) };
}

test("collects once per paced amount of bytes", () => {
  const { gc, collections, advance } = pacer(100, 0);
  for (let i = 0; i < 10; i++) {
    advance(1);
    gc.note(30);
  }
  // 300 bytes in notes of 30: a collection at 120, 240 (the count restarts at each).
  expect(collections).toEqual([4, 8]);
});

test("never collects more often than the minimum interval; pending bytes wait for it", () => {
  const { gc, collections, advance } = pacer(10, 100);
  gc.note(50);
  advance(40);
  gc.note(50);
  advance(70);
  gc.note(1);
  expect(collections).toEqual([0, 110]);
});

test("pace 0 turns pacing off", () => {
  const { gc, collections } = pacer(0, 0);
  gc.note(1e12);
  expect(collections).toEqual([]);
});

test("every n-th collection is a full one, the others are hints", () => {
  const { gc, kinds } = pacer(10, 0, 3);
  for (let i = 0; i < 7; i++) gc.note(10);
  expect(kinds).toEqual([false, false, true, false, false, true, false]);
  expect(gc.stats).toEqual({ collections: 7, full: 2 });
});
