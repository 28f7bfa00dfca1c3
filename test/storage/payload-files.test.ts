// Goal: payload files give back exactly the bytes written for a record, and nothing else:
// every read checks the record's header (its own file and position), a file that was
// removed reads as gone (its row was collected meanwhile), a batch never spans two files,
// and an emptied file kept as a spare is written over only after the reuse delay, never
// showing its old records as anybody's.
// Method: the appender and the reader on a temporary directory.
import { afterEach, expect, test } from "bun:test";
import { readdirSync, statSync, truncateSync } from "node:fs";
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

/** An appender handing out ids from `first` on. */
function appenderIn(dir: string, fileBytesMax: number, first = 1): PayloadAppender {
  let next = first;
  return new PayloadAppender(dir, fileBytesMax, () => next++);
}

const bytesOf = (length: number, fill: number) => new Uint8Array(length).fill(fill);

test("records read back byte for byte where write put them, once durable; the file is exactly their size", async () => {
  const dir = tempDir();
  const appender = appenderIn(dir, 1 << 20, 7);
  const payloads = [bytesOf(5000, 1), bytesOf(1, 2), crypto.getRandomValues(new Uint8Array(3000))];
  const first = appender.write(payloads);
  const second = appender.write([bytesOf(100, 4)]);
  await Promise.all([first.durable, second.durable]);
  expect(first.refs.map((r) => r.file)).toEqual([7, 7, 7]);
  expect(first.refs.map((r) => r.position)).toEqual([0, PAYLOAD_HEADER_BYTES + 5000, 2 * PAYLOAD_HEADER_BYTES + 5001]);
  expect(second.refs[0]!.position).toBe(3 * PAYLOAD_HEADER_BYTES + 8001);
  expect(statSync(payloadFilePath(dir, 7)).size).toBe(4 * PAYLOAD_HEADER_BYTES + 8101);
  await appender.close();

  const reader = new PayloadFileReader(dir);
  payloads.forEach((p, i) => expect(reader.read(7, first.refs[i]!.position, p.byteLength)).toEqual(p));
  expect(reader.read(7, second.refs[0]!.position, 100)).toEqual(bytesOf(100, 4));
  reader.close();
  expect(listPayloadFiles(dir)).toEqual([7]);
});

test("a read at the wrong place, past the end, or of a removed file fails by name", async () => {
  const dir = tempDir();
  const appender = appenderIn(dir, 1 << 20);
  const { refs, durable } = appender.write([bytesOf(64, 9), bytesOf(64, 8)]);
  await durable;
  await appender.close();
  const reader = new PayloadFileReader(dir);
  expect(() => reader.read(1, refs[0]!.position + 1, 64)).toThrow(PayloadCorruptError);
  expect(() => reader.read(1, refs[1]!.position, 65)).toThrow(PayloadCorruptError); // past the end
  expect(reader.read(1, refs[1]!.position, 64)).toEqual(bytesOf(64, 8));
  truncateSync(payloadFilePath(dir, 1), 40);
  reader.forget([1]);
  expect(() => reader.read(1, refs[1]!.position, 64)).toThrow(PayloadCorruptError);
  removePayloadFiles(dir, [1]);
  reader.forget([1]);
  expect(() => reader.read(1, refs[0]!.position, 64)).toThrow(PayloadGoneError);
  expect(() => reader.read(2, 0, 1)).toThrow(PayloadGoneError);
});

test("a file takes writes until the next would pass its size; one write never spans two files", async () => {
  const dir = tempDir();
  const appender = appenderIn(dir, 1000);
  const a = appender.write([bytesOf(5000, 1)]); // an empty file takes any write
  const b = appender.write([bytesOf(600, 2)]);
  const c = appender.write([bytesOf(200, 3), bytesOf(100, 4)]);
  const d = appender.write([bytesOf(700, 5)]);
  await Promise.all([a.durable, b.durable, c.durable, d.durable]);
  expect([a, b, c, d].map((w) => w.refs.map((r) => r.file))).toEqual([[1], [2], [2, 2], [3]]);
  await appender.close();
  const reader = new PayloadFileReader(dir);
  expect(reader.read(2, c.refs[1]!.position, 100)).toEqual(bytesOf(100, 4));
  reader.close();
});

test("more payloads than one writev call takes are all written", async () => {
  const dir = tempDir();
  const appender = appenderIn(dir, 1 << 30, 3);
  const payloads = Array.from({ length: 1500 }, (_, i) => bytesOf(1 + (i % 7), i % 251));
  const { refs, durable } = appender.write(payloads);
  await durable;
  await appender.close();
  const reader = new PayloadFileReader(dir, 2);
  for (const i of [0, 511, 512, 1023, 1024, 1499]) expect(reader.read(3, refs[i]!.position, payloads[i]!.byteLength)).toEqual(payloads[i]!);
  reader.close();
});

test("emptied files become spares up to the limit; a spare is written over only after the delay", async () => {
  const dir = tempDir();
  const appender = appenderIn(dir, 1000);
  for (let i = 1; i <= 3; i++) await appender.write([bytesOf(4000, i)]).durable;
  await appender.close();
  const reader = new PayloadFileReader(dir);
  expect(reader.read(1, 0, 4000)).toEqual(bytesOf(4000, 1)); // file 1 is now open in the reader
  retirePayloadFiles(dir, [1, 2, 3], 1, 10_000);
  expect(listPayloadFiles(dir)).toEqual([]);
  const spares = () => readdirSync(dir).filter((name) => name.startsWith("spare-")).length;
  expect(spares()).toBe(1);
  // A query that named file 1 before it was emptied now finds it gone.
  expect(() => new PayloadFileReader(dir).read(1, 0, 4000)).toThrow(PayloadGoneError);

  // Too soon: a new file. Later: the spare, written over from the start.
  const next = appenderIn(dir, 1000, 4);
  await next.write([bytesOf(990, 0)], 10_000 + SPARE_REUSE_DELAY_MS - 1).durable;
  expect(spares()).toBe(1);
  const reused = next.write([bytesOf(100, 7)], 10_000 + SPARE_REUSE_DELAY_MS);
  await reused.durable;
  expect(reused.refs[0]!.file).toBe(5);
  expect(spares()).toBe(0);
  expect(statSync(payloadFilePath(dir, 5)).size).toBe(PAYLOAD_HEADER_BYTES + 4000); // the spare's blocks, reused
  expect(new PayloadFileReader(dir).read(5, 0, 100)).toEqual(bytesOf(100, 7));
  // A reader still holding the old file open sees the new record there, and refuses it as file 1's.
  expect(() => reader.read(1, 0, 4000)).toThrow(PayloadCorruptError);
  await next.close();

  retirePayloadFiles(dir, [4, 5], 2, 20_000);
  expect(spares()).toBe(2);
  trimSpares(dir, 1);
  expect(spares()).toBe(1);
});
