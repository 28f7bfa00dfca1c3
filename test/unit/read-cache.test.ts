// Goal: cached read results are served only while they are still what a fresh read
// would return, and the cache stays within its bounds.
import { expect, test } from "bun:test";
import type { ReadResult } from "../../src/engine/reader.ts";
import { ReadCache } from "../../src/engine/read-cache.ts";

const result = (bytes: number, upToDate: boolean): ReadResult => ({
  chunks: [new Uint8Array(bytes)],
  starts: [9],
  records: 1,
  bytes,
  throughSeq: 9,
  upToDate,
});

test("a result that stopped at a limit stays valid as the stream grows", () => {
  const cache = new ReadCache(8, 1024);
  cache.put("1:4", result(10, false), 20);
  expect(cache.get("1:4", 25)).not.toBeNull();
});

test("a result that reached the tail is dropped once the tail moves", () => {
  const cache = new ReadCache(8, 1024);
  cache.put("1:4", result(10, true), 20);
  expect(cache.get("1:4", 20)).not.toBeNull();
  expect(cache.get("1:4", 21)).toBeNull();
  expect(cache.has("1:4")).toBe(false);
});

test("entries and bytes stay within bounds, oldest evicted first", () => {
  const cache = new ReadCache(2, 100);
  cache.put("a", result(10, false), 1);
  cache.put("b", result(10, false), 1);
  cache.put("c", result(10, false), 1);
  expect(cache.has("a")).toBe(false);
  expect(cache.has("b") && cache.has("c")).toBe(true);
  cache.put("d", result(25, false), 1);
  cache.put("e", result(25, false), 1);
  expect(cache.has("c")).toBe(false);
  cache.put("huge", result(60, false), 1); // over a quarter of the budget: not kept
  expect(cache.has("huge")).toBe(false);
});
