// Goal: an unreliable object store (30% of calls failing, 30% slow, some uploads torn) does
// not stop ingest, uploads and publishes complete in the end, and nothing acknowledged is
// lost: the server reads everything back, and so does a server bootstrapped from the bucket.
// Method: an in-process app over a fault-injecting wrapper of a local store; concurrent
// writers; then a bootstrap from the same bucket, without faults, into a fresh directory.
import { afterEach, expect, setDefaultTimeout, test } from "bun:test";
import { FaultInjectingStore } from "../../src/storage/object-store/faults.ts";
import { LocalObjectStore } from "../../src/storage/object-store/local.ts";
import { createStream, createTestApp, readPages, type TestApp, until } from "../support/app.ts";
import { makeTempDir, removeDir } from "../support/server-process.ts";

setDefaultTimeout(90_000);

const TIERING = {
  DS_SEGMENT_MAX_BYTES: "8192",
  DS_BLOCK_MAX_BYTES: "2048",
  DS_SEGMENT_TARGET_ROWS: "80",
  DS_SEGMENT_CHECK_MS: "20",
  DS_UPLOAD_CHECK_MS: "20",
  DS_SEGMENT_MAX_INTERVAL_MS: "200",
  DS_OBJECTSTORE_RETRIES: "1",
  DS_OBJECTSTORE_RETRY_BASE_MS: "5",
  DS_OBJECTSTORE_RETRY_MAX_MS: "20",
};

const apps: TestApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.dispose();
  for (const dir of dirs.splice(0)) removeDir(dir);
});

test("with 30% of store calls failing and 30% slow, ingest goes on and nothing acknowledged is lost", async () => {
  const bucket = makeTempDir("ds-bucket-");
  dirs.push(bucket);
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const store = new FaultInjectingStore(new LocalObjectStore(bucket), { failureRate: 0.3, slowRate: 0.3, slowMs: 25, tornUploadRate: 0.1, random });
  const app = await createTestApp(TIERING, { hooks: { objectStore: store } });
  apps.push(app);

  const names = ["alpha", "beta", "gamma"];
  for (const name of names) await createStream(app, name, "text/plain");
  const expected = new Map(names.map((name) => [name, [] as string[]]));
  const writer = async (name: string, w: number) => {
    for (let n = 0; n < 250; n++) {
      const line = `${name}/${w}/${n} ${"z".repeat((n * 13) % 97)}\n`;
      const res = await app.request(`/v1/stream/${name}`, { method: "POST", body: line, headers: { "content-type": "text/plain" } });
      expect(res.status).toBe(204);
      expected.get(name)!.push(line);
    }
  };
  await Promise.all(names.flatMap((name) => [writer(name, 0), writer(name, 1)]));

  const published = () =>
    names.every((name) => {
      const row = app.engine.streams.byStreamName(name)!;
      return row.uploaded_through === row.next_offset - 1;
    });
  await until(published, 60_000, "every stream uploaded and published despite faults");
  expect(store.counts.failures).toBeGreaterThan(5);
  expect(store.counts.slow).toBeGreaterThan(5);
  expect(store.counts.torn).toBeGreaterThan(0);

  // Appends from two writers interleave; each writer's lines keep their order, and every
  // acknowledged line is there exactly once.
  const sorted = (lines: string[]) => [...lines].sort();
  for (const name of names) {
    const lines = (await readPages(app, `/v1/stream/${name}`)).text.split(/(?<=\n)/);
    expect(sorted(lines)).toEqual(sorted(expected.get(name)!));
    for (const w of [0, 1]) {
      const mine = lines.filter((line) => line.startsWith(`${name}/${w}/`));
      expect(mine).toEqual(expected.get(name)!.filter((line) => line.startsWith(`${name}/${w}/`)));
    }
  }

  const restored = await createTestApp({ ...TIERING, DS_ROOT: makeTempDir("ds-restored-") }, { flags: ["--bootstrap-from-r2"], hooks: { objectStore: new LocalObjectStore(bucket) } });
  apps.push(restored);
  for (const name of names) expect((await readPages(restored, `/v1/stream/${name}`)).text).toBe((await readPages(app, `/v1/stream/${name}`)).text);
});
