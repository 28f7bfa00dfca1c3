// Goal: payload files give back exactly the bytes written for a row, and nothing else: every
// read checks the record's header, a file that was removed reads as gone (its row was
// collected meanwhile), a file started by a batch that rolled back does not stay, and an
// emptied file kept as a spare is written over only after the reuse delay, never showing
// its old records as anybody's.
// Method: the appender and the reader on a temporary directory.
import { afterEach, expect, test } from "bun:test";
import { existsSync, readdirSync, statSync, truncateSync } from "node:fs";
import {
  listPayloadFiles,
  PAYLOAD_HEADER_BYTES,
  PayloadAppender,
  PayloadCorruptError,
  PayloadFileReader,
  payloadFilePath,
  PayloadGoneError,
  removePayloadFiles,
  retirePayloadFiles,
  SPARE_REUSE_DELAY_MS,
  trimSpares,
} from "../../src/storage/payload-files.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function tempDir(): string {
  const dir = makeTempDir("ds-payloads-");
  dirs.push(dir);
  return `${dir}/payloads`;
}

const bytesOf = (length: number, fill: number) => new Uint8Array(length).fill(fill);

test("records read back byte for byte at the positions append returned; the file is exactly their size", () => {
  const dir = tempDir();
  const appender = new PayloadAppender(dir, 1 << 20);
  expect(appender.needsNewFile(10)).toBe(true);
  appender.startFile(7);
  const records = [
    { streamId: 3, seq: 0, payload: bytesOf(5000, 1) },
    { streamId: 3, seq: 1, payload: bytesOf(1, 2) },
    { streamId: 9, seq: 12_345_678_901, payload: crypto.getRandomValues(new Uint8Array(3000)) },
  ];
  const positions = appender.append(records);
  const more = appender.append([{ streamId: 3, seq: 2, payload: bytesOf(100, 4) }]);
  expect(positions[0]).toBe(0);
  expect(positions[1]).toBe(PAYLOAD_HEADER_BYTES + 5000);
  expect(more[0]).toBe(appender.position - PAYLOAD_HEADER_BYTES - 100);
  expect(statSync(payloadFilePath(dir, 7)).size).toBe(appender.position);
  appender.committed();
  appender.close();

  const reader = new PayloadFileReader(dir);
  records.forEach((r, i) => expect(reader.read(7, positions[i]!, r.payload.byteLength, r.streamId, r.seq)).toEqual(r.payload));
  expect(reader.read(7, more[0]!, 100, 3, 2)).toEqual(bytesOf(100, 4));
  reader.close();
  expect(listPayloadFiles(dir)).toEqual([7]);
});

test("a read with the wrong row, past the end, or of a removed file fails by name", () => {
  const dir = tempDir();
  const appender = new PayloadAppender(dir, 1 << 20);
  appender.startFile(1);
  const [at] = appender.append([{ streamId: 5, seq: 40, payload: bytesOf(64, 9) }]);
  appender.committed();
  appender.close();
  const reader = new PayloadFileReader(dir);
  expect(() => reader.read(1, at!, 64, 5, 41)).toThrow(PayloadCorruptError);
  expect(() => reader.read(1, at!, 64, 6, 40)).toThrow(PayloadCorruptError);
  expect(() => reader.read(1, at!, 65, 5, 40)).toThrow(PayloadCorruptError);
  truncateSync(payloadFilePath(dir, 1), 40);
  reader.forget([1]);
  expect(() => reader.read(1, at!, 64, 5, 40)).toThrow(PayloadCorruptError);
  removePayloadFiles(dir, [1]);
  reader.forget([1]);
  expect(() => reader.read(1, at!, 64, 5, 40)).toThrow(PayloadGoneError);
  expect(() => reader.read(2, 0, 1, 1, 1)).toThrow(PayloadGoneError);
});

test("a file started by a batch that rolled back is removed; records added to an older file stay unreferenced", () => {
  const dir = tempDir();
  const appender = new PayloadAppender(dir, 1 << 20);
  appender.startFile(1);
  appender.append([{ streamId: 1, seq: 0, payload: bytesOf(10, 1) }]);
  appender.rolledBack();
  expect(existsSync(payloadFilePath(dir, 1))).toBe(false);
  expect(appender.needsNewFile(1)).toBe(true);

  appender.startFile(2);
  appender.append([{ streamId: 1, seq: 0, payload: bytesOf(10, 1) }]);
  appender.committed();
  const before = appender.position;
  appender.append([{ streamId: 1, seq: 1, payload: bytesOf(10, 1) }]);
  appender.rolledBack();
  expect(existsSync(payloadFilePath(dir, 2))).toBe(true);
  expect(appender.fileId).toBe(2);
  expect(appender.position).toBeGreaterThan(before);
  appender.close();
});

test("a file takes records until the next batch would pass its size; a batch never spans two files", () => {
  const appender = new PayloadAppender(tempDir(), 1000);
  appender.startFile(1);
  expect(appender.needsNewFile(5000)).toBe(false); // an empty file takes any batch
  appender.append([{ streamId: 1, seq: 0, payload: bytesOf(600, 1) }]);
  expect(appender.needsNewFile(300)).toBe(false);
  expect(appender.needsNewFile(400)).toBe(true);
  appender.close();
});

test("more records than one writev call takes are all written", () => {
  const dir = tempDir();
  const appender = new PayloadAppender(dir, 1 << 30);
  appender.startFile(3);
  const records = Array.from({ length: 1500 }, (_, i) => ({ streamId: 2, seq: i, payload: bytesOf(1 + (i % 7), i % 251) }));
  const positions = appender.append(records);
  appender.committed();
  appender.close();
  const reader = new PayloadFileReader(dir, 2);
  for (const i of [0, 511, 512, 1023, 1024, 1499]) expect(reader.read(3, positions[i]!, records[i]!.payload.byteLength, 2, i)).toEqual(records[i]!.payload);
  reader.close();
});

test("emptied files become spares up to the limit; a spare is written over only after the delay", () => {
  const dir = tempDir();
  const appender = new PayloadAppender(dir, 1 << 20);
  for (const id of [1, 2, 3]) {
    appender.startFile(id);
    appender.append([{ streamId: 8, seq: id, payload: bytesOf(4000, id) }]);
    appender.committed();
  }
  appender.close();
  const reader = new PayloadFileReader(dir);
  expect(reader.read(1, 0, 4000, 8, 1)).toEqual(bytesOf(4000, 1)); // file 1 is now open in the reader
  retirePayloadFiles(dir, [1, 2, 3], 1, 10_000);
  expect(listPayloadFiles(dir)).toEqual([]);
  const spares = () => readdirSync(dir).filter((name) => name.startsWith("spare-")).length;
  expect(spares()).toBe(1);
  // A query that named file 1 before it was emptied now finds it gone.
  expect(() => new PayloadFileReader(dir).read(1, 0, 4000, 8, 1)).toThrow(PayloadGoneError);

  // Too soon: a new file. Later: the oldest spare, written over from the start.
  const next = new PayloadAppender(dir, 1 << 20);
  next.startFile(4, 10_000 + SPARE_REUSE_DELAY_MS - 1);
  expect(spares()).toBe(1);
  next.close();
  next.startFile(5, 10_000 + SPARE_REUSE_DELAY_MS);
  expect(spares()).toBe(0);
  const [at] = next.append([{ streamId: 9, seq: 0, payload: bytesOf(100, 7) }]);
  next.committed();
  expect(statSync(payloadFilePath(dir, 5)).size).toBe(PAYLOAD_HEADER_BYTES + 4000); // the spare's blocks, reused
  expect(new PayloadFileReader(dir).read(5, at!, 100, 9, 0)).toEqual(bytesOf(100, 7));
  // A reader still holding the old file open sees new bytes there, and refuses them by their header.
  expect(() => reader.read(1, 0, 4000, 8, 1)).toThrow(PayloadCorruptError);
  next.close();

  retirePayloadFiles(dir, [4, 5], 2, 20_000);
  expect(spares()).toBe(2);
  trimSpares(dir, 1);
  expect(spares()).toBe(1);
});
