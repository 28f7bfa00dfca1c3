// Goal: SIGKILL at any moment of sealing, uploading and publishing, or of writing and
// removing payload files, loses nothing and breaks no invariant of tiered storage.
//
// Method: a real server process on one data directory (local object store under it), tiny
// segments and fast ticks, writers appending to two byte streams and one JSON stream. Each
// of 20 rounds kills the server: 15 rounds arm a named crash point of the seal/upload/publish
// commit orders (the process kills itself the n-th time it passes it), 5 rounds SIGKILL at
// a random moment. After each restart:
//   * every acknowledged append is read back exactly once, each writer's appends in order,
//     nothing unknown; an append in flight at the kill is present at most once, and its fate
//     never changes afterwards;
//   * reading from an acknowledged offset returns exactly the appends after it;
//   * offsets are contiguous: segments tile [0, sealed_through], and WAL rows tile the rest
//     up to the head without gaps or overlaps;
//   * the published manifest is never ahead of uploaded segments: it lists a prefix of the
//     catalog's uploaded segments, with the same ends, and each listed object exists whole;
//   * each payload file's counters equal the WAL rows pointing into it, and (after a clean
//     stop) the files on disk are exactly the listed ones.
// About a third of the appends are large enough for payload files, which are kept small so
// they fill, close and are removed within a round.
// At the end everything is published and a bootstrap from the bucket alone reads the same.
// CHAOS_SEED=<seed> (printed) fixes the kill schedule and bodies; timing still varies.
import { Database } from "bun:sqlite";
import { afterAll, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { parseManifest } from "../../src/storage/manifest.ts";
import { listPayloadFiles, payloadDirOf } from "../../src/storage/payload-files.ts";
import { LocalObjectStore } from "../../src/storage/object-store/local.ts";
import { manifestKey, segmentKey } from "../../src/storage/paths.ts";
import { until } from "../support/app.ts";
import { makeTempDir, removeDir, startServerProcess, type ServerProcess } from "../support/server-process.ts";

setDefaultTimeout(240_000);

const ROUNDS = 20;
const CRASH_POINTS = [
  "seal:after-rename",
  "seal:after-commit",
  "upload:after-segment-put",
  "publish:after-manifest-put",
  "publish:after-commit",
  "payload:after-sync",
  "payload:before-remove",
];
/** A round whose armed point is not reached in time is killed by the test instead. */
const ROUND_MAX_MS = 4_000;
const APPENDS_PER_WRITER_PER_ROUND = 400;
const SEED = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;

const ENV = {
  DS_SEGMENT_MAX_BYTES: "4096",
  DS_BLOCK_MAX_BYTES: "1024",
  DS_SEGMENT_TARGET_ROWS: "40",
  DS_SEGMENT_CHECK_MS: "20",
  DS_UPLOAD_CHECK_MS: "20",
  DS_SEGMENT_MAX_INTERVAL_MS: "150",
  // Collection and purges in many small transactions, each racing the crash points.
  DS_BASE_WAL_GC_CHUNK_OFFSETS: "16",
  DS_PURGE_CHUNK_ROWS: "16",
  DS_WAL_DELETE_CHUNK_BYTES: "512",
  // Batches of a few large appends go to the writer thread, whose payload files stay small.
  DS_WRITER_THREAD_MIN_BATCH_BYTES: "1024",
  DS_WAL_PAYLOAD_FILE_MIN_BYTES: "600",
  DS_WAL_PAYLOAD_FILE_MAX_BYTES: "16384",
  DS_WAL_PAYLOAD_INLINE_AFTER_MS: "400",
};

function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rng = makeRng(SEED);

const STREAMS = [
  { name: "chaos-a", json: false },
  { name: "chaos-b", json: false },
  { name: "chaos-j", json: true },
];

type State = "inflight" | "acked" | "present" | "absent";
interface Entry {
  id: string;
  stream: string;
  writer: number;
  n: number;
  body: string;
  state: State;
  offset: string | null;
}
const ledger = new Map<string, Entry>();
const nextN = new Map<string, number>();
const root = makeTempDir("ds-chaos-");
let server: ServerProcess | null = null;

afterAll(async () => {
  await server?.stop("SIGKILL");
  removeDir(root);
});

function bodyOf(stream: { name: string; json: boolean }, id: string): string {
  const pad = "x".repeat(rng() < 0.35 ? 600 + Math.floor(rng() * 2400) : Math.floor(rng() * 120));
  return stream.json ? JSON.stringify({ id, pad }) : `${id}:${pad}\n`;
}

/** Appends until the server dies or the round's quota is used; one request at a time. */
async function writer(url: string, stream: { name: string; json: boolean }, w: number): Promise<void> {
  const key = `${stream.name}/${w}`;
  for (let i = 0; i < APPENDS_PER_WRITER_PER_ROUND; i++) {
    const n = nextN.get(key) ?? 0;
    nextN.set(key, n + 1);
    const id = `${key}/${n}`;
    const entry: Entry = { id, stream: stream.name, writer: w, n, body: bodyOf(stream, id), state: "inflight", offset: null };
    ledger.set(id, entry);
    let res: Response;
    try {
      res = await fetch(`${url}/v1/stream/${stream.name}`, {
        method: "POST",
        body: entry.body,
        headers: { "content-type": stream.json ? "application/json" : "text/plain" },
        signal: AbortSignal.timeout(10_000),
      });
    } catch {
      return; // the server is gone: this one stays in flight
    }
    if (res.status !== 204) throw new Error(`append ${id} answered ${res.status}`);
    entry.state = "acked";
    entry.offset = res.headers.get("stream-next-offset");
  }
}

async function readFrom(url: string, name: string, offset: string, json: boolean): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 0; page < 100_000; page++) {
    const res = await fetch(`${url}/v1/stream/${name}?offset=${offset}`);
    if (res.status !== 200) throw new Error(`read ${name} answered ${res.status}`);
    const text = await res.text();
    if (json) for (const item of JSON.parse(text) as Array<{ id: string }>) ids.push(item.id);
    else for (const line of text.split("\n").slice(0, -1)) ids.push(line.slice(0, line.indexOf(":")));
    offset = res.headers.get("stream-next-offset")!;
    if (res.headers.get("stream-up-to-date") === "true") return ids;
  }
  throw new Error("read did not reach the tail");
}

async function verifyReads(url: string): Promise<void> {
  for (const stream of STREAMS) {
    const ids = await readFrom(url, stream.name, "-1", stream.json);
    const seen = new Set<string>();
    const lastN = new Map<number, number>();
    for (const id of ids) {
      const entry = ledger.get(id);
      expect(entry, `unknown record ${id}`).toBeDefined();
      expect(seen.has(id), `record ${id} twice`).toBe(false);
      seen.add(id);
      expect(entry!.n, `writer order of ${id}`).toBeGreaterThan(lastN.get(entry!.writer) ?? -1);
      lastN.set(entry!.writer, entry!.n);
    }
    for (const entry of ledger.values()) {
      if (entry.stream !== stream.name) continue;
      const present = seen.has(entry.id);
      if (entry.state === "acked" || entry.state === "present") expect(present, `acknowledged ${entry.id} lost`).toBe(true);
      else if (entry.state === "absent") expect(present, `${entry.id} appeared later`).toBe(false);
      else entry.state = present ? "present" : "absent";
    }
    // Reading from acknowledged offsets resumes exactly after them.
    const acked = ids.map((id) => ledger.get(id)!).filter((e) => e.offset !== null);
    for (const sample of [acked[Math.floor(rng() * acked.length)], acked.at(-1)]) {
      if (!sample) continue;
      const rest = await readFrom(url, stream.name, sample.offset!, stream.json);
      expect(rest).toEqual(ids.slice(ids.indexOf(sample.id) + 1));
    }
  }
}

/**
 * In one snapshot, each payload file's counters equal the WAL rows pointing into it. With the
 * server stopped (cleanly: every removal done), the files on disk are exactly those listed.
 */
function verifyPayloadFiles(db: Database, stopped: boolean): void {
  db.transaction(() => {
    const files = db.query<{ id: number; live_rows: number; live_bytes: number; size_bytes: number }, []>("SELECT id, live_rows, live_bytes, size_bytes FROM payload_files").all();
    const refs = db
      .query<{ id: number; n: number; bytes: number; end: number }, []>(
        "SELECT payload_file AS id, COUNT(*) AS n, SUM(payload_len) AS bytes, MAX(payload_position + 16 + payload_len) AS end FROM wal WHERE payload_file IS NOT NULL GROUP BY payload_file",
      )
      .all();
    for (const ref of refs) {
      const file = files.find((f) => f.id === ref.id);
      expect(file, `payload file ${ref.id} listed`).toBeDefined();
      expect([file!.live_rows, file!.live_bytes], `payload file ${ref.id} counters`).toEqual([ref.n, ref.bytes]);
      expect(ref.end, `payload file ${ref.id} size`).toBeLessThanOrEqual(file!.size_bytes);
    }
    for (const file of files) if (!refs.some((r) => r.id === file.id)) expect(file.live_rows, `payload file ${file.id} counters`).toBe(0);
    if (stopped) expect(listPayloadFiles(payloadDirOf(join(root, "wal.sqlite")))).toEqual(files.map((f) => f.id).sort((a, b) => a - b));
  })();
}

/** Offsets tile [0, head) across segments and WAL rows; the manifest trails uploads. */
async function verifyStorage(stopped = false): Promise<void> {
  const objects = new LocalObjectStore(join(root, "objects"));
  // The manifest first: anything it lists was marked uploaded before it was written.
  const manifests = new Map<string, ReturnType<typeof parseManifest> | null>();
  for (const { name } of STREAMS) {
    const bytes = await objects.get(manifestKey(name));
    manifests.set(name, bytes ? parseManifest(new TextDecoder().decode(bytes)) : null);
  }
  const db = new Database(join(root, "wal.sqlite"), { readonly: true });
  try {
    for (const { name } of STREAMS) {
      const row = db.query<{ id: number; next_offset: number; sealed_through: number; uploaded_through: number; uploaded_segment_count: number }, [string]>(
        "SELECT id, next_offset, sealed_through, uploaded_through, uploaded_segment_count FROM streams WHERE stream = ?",
      ).get(name)!;
      const segments = db.query<{ segment_index: number; start_offset: number; end_offset: number; uploaded_at_ms: number | null; size_bytes: number }, [number]>(
        "SELECT segment_index, start_offset, end_offset, uploaded_at_ms, size_bytes FROM segments WHERE stream_id = ? ORDER BY segment_index",
      ).all(row.id);
      let expectedStart = 0;
      segments.forEach((segment, i) => {
        expect(segment.segment_index).toBe(i);
        expect(segment.start_offset, `${name} segment ${i} start`).toBe(expectedStart);
        expectedStart = segment.end_offset + 1;
      });
      expect(row.sealed_through, `${name} sealed_through`).toBe(expectedStart - 1);
      expect(row.uploaded_through).toBeLessThanOrEqual(row.sealed_through);
      const uploadedPrefix = segments.findIndex((s) => s.uploaded_at_ms === null);
      const uploadedCount = uploadedPrefix === -1 ? segments.length : uploadedPrefix;
      expect(row.uploaded_segment_count).toBeLessThanOrEqual(uploadedCount);

      const wal = db.query<{ offset: number; record_count: number }, [number]>("SELECT offset, record_count FROM wal WHERE stream_id = ? ORDER BY offset").all(row.id);
      let walNext = wal[0]?.offset ?? row.next_offset;
      for (const r of wal) {
        expect(r.offset, `${name} WAL contiguous`).toBe(walNext);
        walNext = r.offset + r.record_count;
      }
      expect(walNext, `${name} WAL ends at the head`).toBe(row.next_offset);
      // What is not in the published segments is still in the WAL.
      expect(wal.length === 0 ? row.next_offset : wal[0]!.offset).toBeLessThanOrEqual(row.uploaded_through + 1);

      const manifest = manifests.get(name);
      if (!manifest) continue;
      expect(manifest.segments.length, `${name} manifest ahead of uploads`).toBeLessThanOrEqual(uploadedCount);
      for (let i = 0; i < manifest.segments.length; i++) {
        expect(manifest.segments[i]!.endExclusive).toBe(segments[i]!.end_offset + 1);
        expect((await objects.head(segmentKey(name, i)))?.size, `${name} segment ${i} object`).toBe(segments[i]!.size_bytes);
      }
    }
    verifyPayloadFiles(db, stopped);
  } finally {
    db.close();
  }
}

async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServerProcess({ root, args: ["--no-auth", "--object-store", "local"], env: { ...ENV, ...env } });
}

test(`${ROUNDS} SIGKILLs during seal, upload and publish keep every invariant (seed ${SEED})`, async () => {
  console.log(`tiering chaos seed ${SEED} (CHAOS_SEED=${SEED} to repeat the schedule)`);
  server = await start();
  for (const stream of STREAMS) {
    const res = await fetch(`${server.url}/v1/stream/${stream.name}`, { method: "PUT", headers: { "content-type": stream.json ? "application/json" : "text/plain" } });
    expect(res.status).toBe(201);
  }
  await server.stop("SIGTERM");

  const outcomes: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const point = round < 15 ? CRASH_POINTS[round % CRASH_POINTS.length]! : null;
    const env: Record<string, string> = point ? { DS_CRASH_POINT: point, DS_CRASH_POINT_SKIP: String(Math.floor(rng() * 4)) } : {};
    server = await start(env);
    const url = server.url;
    const exited = new Promise<void>((resolve) => server!.child.once("exit", () => resolve()));
    const load = Promise.all(STREAMS.flatMap((stream) => [writer(url, stream, 0), writer(url, stream, 1)]));
    const killAfter = point ? ROUND_MAX_MS : 100 + Math.floor(rng() * 900);
    const selfKilled = await Promise.race([exited.then(() => true), Bun.sleep(killAfter).then(() => false)]);
    if (!selfKilled) await server.stop("SIGKILL");
    await load;
    outcomes.push(point ? `${point}:${selfKilled ? "hit" : "timeout"}` : "random");

    server = await start();
    await verifyStorage();
    await verifyReads(server.url);
    await server.stop("SIGTERM");
  }
  console.log(`tiering chaos rounds: ${outcomes.join(", ")}`);
  // Most armed points must actually be reached, or the test is not testing them.
  expect(outcomes.filter((o) => o.endsWith(":hit")).length).toBeGreaterThanOrEqual(10);

  // Everything is published in the end; the bucket alone restores the same streams.
  server = await start();
  const url = server.url;
  const full = new Map<string, string[]>();
  for (const stream of STREAMS) full.set(stream.name, await readFrom(url, stream.name, "-1", stream.json));
  await until(() => {
    const db = new Database(join(root, "wal.sqlite"), { readonly: true });
    try {
      return db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM streams WHERE uploaded_through < next_offset - 1").get()!.n === 0;
    } finally {
      db.close();
    }
  }, 30_000, "everything published");
  await server.stop("SIGTERM");
  await verifyStorage(true);

  // A new machine with a copy of the bucket only.
  const restored = makeTempDir("ds-chaos-restored-");
  try {
    cpSync(join(root, "objects"), join(restored, "objects"), { recursive: true });
    server = await startServerProcess({ root: restored, args: ["--no-auth", "--object-store", "local", "--bootstrap-from-r2"], env: { DS_SEGMENT_CACHE_MAX_BYTES: "0" } });
    for (const stream of STREAMS) expect(await readFrom(server.url, stream.name, "-1", stream.json)).toEqual(full.get(stream.name)!);
    await server.stop("SIGTERM");
  } finally {
    removeDir(restored);
  }
});
