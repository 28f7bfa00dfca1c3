// Goal: every object store backend meets the same contract (spec 02 §14): put/get/range,
// streamed file upload and download, head, paged list, delete, missing objects as null.
// Method: one suite of cases, run against the local, memory and S3 (s3rver) stores.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LocalObjectStore } from "../../src/storage/object-store/local.ts";
import { MemoryObjectStore } from "../../src/storage/object-store/memory.ts";
import type { ObjectStore } from "../../src/storage/object-store/object-store.ts";
import { S3ObjectStore } from "../../src/storage/object-store/s3.ts";
import { startS3rver, type S3Fixture } from "../support/s3rver.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

setDefaultTimeout(30_000);

const enc = (s: string) => new TextEncoder().encode(s);
let scratch: string;
let s3: S3Fixture;
const localRoot = makeTempDir("ds-objects-");

beforeAll(async () => {
  scratch = makeTempDir("ds-scratch-");
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3.close();
  removeDir(scratch);
  removeDir(localRoot);
});

const backends: Array<[string, () => ObjectStore]> = [
  ["local", () => new LocalObjectStore(localRoot)],
  ["memory", () => new MemoryObjectStore()],
  [
    "s3",
    () =>
      new S3ObjectStore({
        bucket: s3.bucket,
        accountId: "x",
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        endpoint: s3.endpoint,
        region: "auto",
      }),
  ],
];

test("local store: reads racing with deletes answer as missing, never with an error", async () => {
  const store = new LocalObjectStore(localRoot);
  const outcomes = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const key = `race/${i % 4}.bin`;
    await store.put(key, enc(`v${i}`));
    const [head, body, copied] = await Promise.all([
      store.head(key),
      store.get(key),
      store.getToFile(key, join(scratch, `race-${i % 4}`)),
      store.delete(key),
    ]);
    outcomes.add(`${head === null}:${body === null}:${copied}`);
    if (body !== null) expect(new TextDecoder().decode(body)).toBe(`v${i}`);
  }
  // Whatever the interleaving, every read answered: present, or absent.
  expect(outcomes.size).toBeGreaterThan(0);
});

for (const [name, make] of backends) {
  describe(`${name} object store`, () => {
    test("put, get, ranged get and head", async () => {
      const store = make();
      const body = Uint8Array.from({ length: 256 }, (_, i) => i);
      expect((await store.put(`${name}/a/b.bin`, body)).size).toBe(256);
      expect(await store.get(`${name}/a/b.bin`)).toEqual(body);
      expect(await store.get(`${name}/a/b.bin`, { start: 10, end: 19 })).toEqual(body.subarray(10, 20));
      expect((await store.head(`${name}/a/b.bin`))?.size).toBe(256);
      await store.put(`${name}/a/b.bin`, enc("replaced"));
      expect(await store.get(`${name}/a/b.bin`)).toEqual(enc("replaced"));
    });

    test("missing objects read as null and delete is idempotent", async () => {
      const store = make();
      expect(await store.get(`${name}/missing`)).toBeNull();
      expect(await store.head(`${name}/missing`)).toBeNull();
      expect(await store.getToFile(`${name}/missing`, join(scratch, `${name}-missing`))).toBe(false);
      await store.delete(`${name}/missing`);
      await store.put(`${name}/gone`, enc("x"));
      await store.delete(`${name}/gone`);
      expect(await store.get(`${name}/gone`)).toBeNull();
    });

    test("files stream up and down byte-exact", async () => {
      const store = make();
      const source = join(scratch, `${name}-source.bin`);
      const data = crypto.getRandomValues(new Uint8Array(3 * 1024 * 1024 + 17));
      writeFileSync(source, data);
      expect((await store.putFile(`${name}/big.bin`, source)).size).toBe(data.byteLength);
      const target = join(scratch, `${name}-target`, "copy.bin");
      expect(await store.getToFile(`${name}/big.bin`, target)).toBe(true);
      expect(new Uint8Array(readFileSync(target))).toEqual(data);
      expect(existsSync(`${target}.tmp`)).toBe(false);
    });

    test("list returns every key under a prefix, sorted, across pages", async () => {
      const store = make();
      // More than one S3 page (1000 keys); s3rver wants modest parallelism.
      const keys = Array.from({ length: 1010 }, (_, i) => `${name}/list/${String(i).padStart(4, "0")}`);
      for (let i = 0; i < keys.length; i += 10) await Promise.all(keys.slice(i, i + 10).map((k) => store.put(k, enc("v"))));
      await store.put(`${name}/listed-not`, enc("v"));
      expect(await store.list(`${name}/list/`)).toEqual(keys);
    });
  });
}
