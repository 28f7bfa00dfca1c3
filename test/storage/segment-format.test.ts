// Goal: segment files round-trip byte-exact through blocks and footer, refuse corruption,
// and support seeking by seq and skipping blocks by key.
import { afterEach, expect, test } from "bun:test";
import { writeFileSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { SegmentFile, SegmentWriter } from "../../src/storage/segment/file.ts";
import {
  blockMayHaveKey,
  decodeBlock,
  decodeBlockHeader,
  encodeBlock,
  firstBlockFrom,
  forEachRecord,
  SegmentFormatError,
  type SegmentRecord,
} from "../../src/storage/segment/format.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

const enc = (s: string) => new TextEncoder().encode(s);
let dir: string | null = null;
afterEach(() => {
  if (dir) removeDir(dir);
  dir = null;
});

function records(block: Uint8Array): SegmentRecord[] {
  const out: SegmentRecord[] = [];
  forEachRecord(decodeBlock(block).raw, (r) => {
    out.push({ tsMs: r.tsMs, key: r.key ? r.key.slice() : null, payload: r.payload.slice() });
  });
  return out;
}

test("a block round-trips every byte value, keys and append times", () => {
  const input: SegmentRecord[] = [
    { tsMs: 1_700_000_000_123, key: enc("tenant-a"), payload: Uint8Array.from({ length: 256 }, (_, i) => i) },
    { tsMs: 1_700_000_000_124, key: null, payload: new Uint8Array(0) },
    { tsMs: 1_700_000_000_124, key: new Uint8Array([0, 1, 0]), payload: enc("x") },
  ];
  expect(records(encodeBlock(input))).toEqual(input);
});

test("a flipped byte or a truncated block is refused", () => {
  const block = encodeBlock([{ tsMs: 1, key: null, payload: enc("hello world ".repeat(20)) }]);
  const flipped = block.slice();
  flipped[flipped.length - 3]! ^= 0x40;
  expect(() => decodeBlock(flipped)).toThrow(SegmentFormatError);
  expect(() => decodeBlock(block.subarray(0, block.length - 1))).toThrow(SegmentFormatError);
  const badMagic = block.slice();
  badMagic[0] = 0;
  expect(() => decodeBlock(badMagic)).toThrow("magic");
});

test("the key filter lets keyed reads skip blocks without the key", () => {
  const header = decodeBlockHeader(encodeBlock([{ tsMs: 1, key: enc("alpha"), payload: enc("a") }]));
  expect(blockMayHaveKey(header, enc("alpha"))).toBe(true);
  const misses = Array.from({ length: 100 }, (_, i) => enc(`other-${i}`)).filter((k) => blockMayHaveKey(header, k));
  expect(misses.length).toBeLessThan(10);
});

test("a segment file splits records into blocks, indexes them, and reads back byte-exact", async () => {
  dir = makeTempDir("ds-seg-");
  const path = join(dir, "0000000000000000.bin");
  const writer = await SegmentWriter.create(path, 1024);
  const written: Array<{ seq: number; payload: Uint8Array }> = [];
  for (let seq = 100; seq < 400; seq++) {
    const payload = crypto.getRandomValues(new Uint8Array(seq % 7 === 0 ? 3000 : 50));
    await writer.add(seq, { tsMs: 1_000 + seq, key: enc(`k${seq % 5}`), payload });
    written.push({ seq, payload });
  }
  const meta = await writer.finish();
  expect(existsSync(`${path}.tmp`)).toBe(false);
  expect(meta).toMatchObject({ firstSeq: 100, lastSeq: 399, recordCount: 300 });
  expect(meta.blocks.length).toBeGreaterThan(10);

  const file = SegmentFile.open(path);
  expect(file.blocks).toEqual(meta.blocks);
  const readBack: Array<{ seq: number; payload: Uint8Array }> = [];
  file.blocks.forEach((entry, i) => {
    forEachRecord(file.readBlock(i).raw, (r, index) => {
      readBack.push({ seq: entry.firstSeq + index, payload: r.payload.slice() });
    });
  });
  file.close();
  expect(readBack).toEqual(written);
  expect(firstBlockFrom(meta.blocks, 99)).toBe(0);
  expect(meta.blocks[firstBlockFrom(meta.blocks, 250)]!.firstSeq).toBeLessThanOrEqual(250);
  expect(firstBlockFrom(meta.blocks, 400)).toBe(meta.blocks.length);
});

test("a gap in seqs starts a new block at the next seq", async () => {
  dir = makeTempDir("ds-seg-");
  const path = join(dir, "gap.bin");
  const writer = await SegmentWriter.create(path, 1 << 20);
  for (const seq of [0, 1, 2, 10, 11]) await writer.add(seq, { tsMs: seq, key: null, payload: enc(String(seq)) });
  const meta = await writer.finish();
  expect(meta.blocks.map((b) => [b.firstSeq, b.recordCount])).toEqual([[0, 3], [10, 2]]);
  expect(firstBlockFrom(meta.blocks, 5)).toBe(1);
});

test("a file without its trailer is refused", async () => {
  dir = makeTempDir("ds-seg-");
  const path = join(dir, "cut.bin");
  const writer = await SegmentWriter.create(path, 1024);
  await writer.add(0, { tsMs: 0, key: null, payload: enc("x") });
  await writer.finish();
  const bytes = readFileSync(path);
  writeFileSync(path, bytes.subarray(0, bytes.length - 3));
  expect(() => SegmentFile.open(path)).toThrow(SegmentFormatError);
});

test("a row of several values is sealed as one record per value, across block boundaries", async () => {
  dir = makeTempDir("ds-seg-");
  const path = join(dir, "0.bin");
  const writer = await SegmentWriter.create(path, 64);
  const text = '{"n":1},{"n":22},"three",[4,4]';
  const bounds = new Uint32Array([0, 7, 8, 16, 17, 24, 25, 30]);
  writer.addRow(10, 1_700_000_000_000, enc("k"), enc(text), bounds, 4);
  writer.add(14, { tsMs: 1_700_000_000_001, key: null, payload: enc("tail") });
  const written = await writer.finish();
  expect([written.recordCount, written.firstSeq, written.lastSeq]).toEqual([5, 10, 14]);
  expect(written.blocks.length).toBeGreaterThan(1);
  const file = SegmentFile.open(path);
  const got: Array<[number, string, string | null]> = [];
  for (let b = 0; b < file.blocks.length; b++) {
    forEachRecord(file.readBlock(b).raw, (r, i) => {
      got.push([file.blocks[b]!.firstSeq + i, new TextDecoder().decode(r.payload), r.key ? new TextDecoder().decode(r.key) : null]);
    });
  }
  file.close();
  expect(got).toEqual([
    [10, '{"n":1}', "k"],
    [11, '{"n":22}', "k"],
    [12, '"three"', "k"],
    [13, "[4,4]", "k"],
    [14, "tail", null],
  ]);
});
