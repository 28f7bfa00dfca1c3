// Bounded-memory benchmark for tiered storage: ingest 1 GiB as 64 KiB appends over 8 streams,
// wait until all of it is sealed, uploaded (local object store) and published, then read it
// all back from segments. Reports ingest MB/s, time to publish, read MB/s and the server's
// peak RSS, and checks every byte read against the bytes written.
//
//   bun run scripts/bench/memory.ts
//
// Targets (issue 3): peak RSS under 300 MB; reads from local segments at least 300 MB/s.
// Environment: DS_BENCH_MEMORY_MB (1024) total bytes, DS_BENCH_MEMORY_STREAMS (8).
// Writes bench-results/memory.json.
import { Database } from "bun:sqlite";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, removeDir, REPO_ROOT, startServerProcess } from "../../test/support/server-process.ts";
import { procStatusMiB, sampleMemory } from "./processes.ts";

const MiB = 1024 * 1024;
const APPEND_BYTES = 64 * 1024;
const TOTAL_BYTES = Number(process.env.DS_BENCH_MEMORY_MB ?? 1024) * MiB;
const STREAMS = Number(process.env.DS_BENCH_MEMORY_STREAMS ?? 8);
const APPENDS_PER_STREAM = Math.ceil(TOTAL_BYTES / APPEND_BYTES / STREAMS);
const PUBLISH_TIMEOUT_MS = 10 * 60_000;
const RSS_TARGET_MB = 300;
const READ_TARGET_MBPS = 300;

/** Incompressible payloads (as real segments of binary data would be), from a small pool. */
function payloadPool(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, p) => {
    const out = new Uint8Array(APPEND_BYTES);
    let x = (p + 1) * 2654435761;
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  });
}

function allPublished(root: string): boolean {
  const db = new Database(join(root, "wal.sqlite"), { readonly: true });
  try {
    const row = db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM streams WHERE uploaded_through < next_offset - 1").get();
    return row?.n === 0;
  } finally {
    db.close();
  }
}

function storageCounts(root: string): { segments: number; walRows: number } {
  const db = new Database(join(root, "wal.sqlite"), { readonly: true });
  try {
    return {
      segments: db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM segments").get()!.n,
      walRows: db.query<{ n: number }, []>("SELECT COUNT(*) AS n FROM wal").get()!.n,
    };
  } finally {
    db.close();
  }
}

/**
 * Reads a stream back, comparing each network chunk with the bytes written at its position
 * (appends are regenerated from the pool, so neither side holds the stream in memory).
 */
async function readStream(url: string, name: string, payloadAt: (n: number) => Uint8Array): Promise<number> {
  let position = 0;
  let offset = "-1";
  for (;;) {
    const res = await fetch(`${url}/v1/stream/${name}?offset=${offset}`);
    if (res.status !== 200) throw new Error(`read ${name} answered ${res.status}`);
    for await (const chunk of res.body!) {
      let at = 0;
      while (at < chunk.byteLength) {
        const within = position % APPEND_BYTES;
        const take = Math.min(chunk.byteLength - at, APPEND_BYTES - within);
        const expected = payloadAt(Math.floor(position / APPEND_BYTES)).subarray(within, within + take);
        if (Buffer.compare(chunk.subarray(at, at + take), expected) !== 0) throw new Error(`${name}: bytes at ${position} differ from those written`);
        at += take;
        position += take;
      }
    }
    offset = res.headers.get("stream-next-offset")!;
    if (res.headers.get("stream-up-to-date") === "true") return position;
  }
}

async function main(): Promise<void> {
  const root = makeTempDir("ds-bench-memory-");
  const server = await startServerProcess({
    root,
    args: ["--no-auth", "--object-store", "local"],
    // Segments are cut by size while ingest runs (at ~6 MB/s per stream the 5 s interval
    // rarely fires first); the interval only cuts the tails after the last append, sooner
    // than the default minute so the run does not wait for it.
    env: { DS_SEGMENT_MAX_INTERVAL_MS: "5000" },
    startTimeoutMs: 30_000,
  });
  const memory = sampleMemory(server.child.pid!, 100);
  try {
    const pool = payloadPool(13);
    const names = Array.from({ length: STREAMS }, (_, i) => `memory-${i}`);
    for (const name of names) {
      const res = await fetch(`${server.url}/v1/stream/${name}`, { method: "PUT", headers: { "content-type": "application/octet-stream" } });
      if (res.status !== 201) throw new Error(`create ${name}: ${res.status}`);
    }

    const payloadOf = (s: number) => (n: number) => pool[(n * 7 + s) % pool.length]!;
    const ingestStart = performance.now();
    await Promise.all(
      names.map(async (name, s) => {
        for (let n = 0; n < APPENDS_PER_STREAM; n++) {
          const res = await fetch(`${server.url}/v1/stream/${name}`, { method: "POST", body: payloadOf(s)(n), headers: { "content-type": "application/octet-stream" } });
          if (res.status !== 204) throw new Error(`append ${name}#${n}: ${res.status} ${await res.text()}`);
        }
      }),
    );
    const ingestMs = performance.now() - ingestStart;
    const pid = server.child.pid!;
    const peakAfterIngest = procStatusMiB(pid, "VmHWM") ?? 0;
    const totalBytes = APPENDS_PER_STREAM * APPEND_BYTES * STREAMS;

    const publishStart = performance.now();
    while (!allPublished(root)) {
      if (performance.now() - publishStart > PUBLISH_TIMEOUT_MS) throw new Error("not everything was published in time");
      await Bun.sleep(100);
    }
    const publishMs = performance.now() - publishStart;
    const peakAfterPublish = procStatusMiB(pid, "VmHWM") ?? 0;
    const counts = storageCounts(root);

    const readStart = performance.now();
    let readBytes = 0;
    for (const [s, name] of names.entries()) readBytes += await readStream(server.url, name, payloadOf(s));
    const readMs = performance.now() - readStart;
    const rss = memory.finish();
    const peakRssMb = ((rss.vmHwmMiB ?? rss.maxSampledRssMiB) * MiB) / 1e6;

    const figures = {
      totalMB: totalBytes / 1e6,
      appendBytes: APPEND_BYTES,
      streams: STREAMS,
      ingestMBps: totalBytes / 1e6 / (ingestMs / 1000),
      publishAfterIngestSeconds: publishMs / 1000,
      segments: counts.segments,
      walRowsLeft: counts.walRows,
      readMBps: readBytes / 1e6 / (readMs / 1000),
      peakRssMB: peakRssMb,
      peakRssMBByPhase: { ingest: (peakAfterIngest * MiB) / 1e6, publish: (peakAfterPublish * MiB) / 1e6, read: peakRssMb },
      verified: readBytes === totalBytes,
    };
    const verdict = (ok: boolean) => (ok ? "MET" : "MISS");
    console.log(`ingest    ${figures.totalMB.toFixed(0)} MB as 64 KiB appends over ${STREAMS} streams: ${figures.ingestMBps.toFixed(1)} MB/s`);
    console.log(`publish   everything sealed, uploaded and published ${figures.publishAfterIngestSeconds.toFixed(1)} s after the last ack (${counts.segments} segments, ${counts.walRows} WAL rows left)`);
    console.log(`read      ${figures.readMBps.toFixed(1)} MB/s from segments, every byte verified   target ≥ ${READ_TARGET_MBPS}: ${verdict(figures.readMBps >= READ_TARGET_MBPS)}`);
    const phases = figures.peakRssMBByPhase;
    console.log(`peak RSS  ${figures.peakRssMB.toFixed(1)} MB (VmHWM; by the end of ingest ${phases.ingest.toFixed(1)}, of publish ${phases.publish.toFixed(1)})   target < ${RSS_TARGET_MB}: ${verdict(figures.peakRssMB < RSS_TARGET_MB)}`);
    const out = join(REPO_ROOT, "bench-results");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "memory.json"), `${JSON.stringify({ at: new Date().toISOString(), figures }, null, 2)}\n`);
  } finally {
    memory.finish();
    await server.stop("SIGTERM");
    removeDir(root);
  }
}

await main();
