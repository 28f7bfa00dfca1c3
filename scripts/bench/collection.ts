// What collecting published history costs the appends queued behind it. Each load fills
// segments within a few seconds (small records go to one stream with 4 MiB segments, about
// 42,000 rows each; JSON batches use the default 16 MiB, about 1,600 rows), so their WAL
// rows are deleted during the run. Each load runs with the deletions in one transaction
// per published segment (as before the chunk bounds) and with the default chunk bounds.
//
//   bun run scripts/bench/collection.ts
//
// Prints appends/s and client latency p50/p99/max per load and setting: the longest
// deleting transaction shows in the maximum, the spread of the others in p99.
// Environment: DS_BENCH_DURATION_MS (10000) per run, DS_BENCH_ROUNDS (2).
import { createStreamOrThrow, quantile } from "./client.ts";
import { jsonBatch, runWriteLoad, writeLoadStreams, type WriteLoad } from "./scenarios.ts";
import { makeTempDir, removeDir, startServerProcess } from "../../test/support/server-process.ts";

const DURATION_MS = Number(process.env.DS_BENCH_DURATION_MS ?? 10_000);
const ROUNDS = Number(process.env.DS_BENCH_ROUNDS ?? 2);
const MiB = 1024 * 1024;

const LOADS = [
  { name: "100 B appends", contentType: "application/octet-stream", body: new Uint8Array(100).fill(0x62), streams: 1, segmentBytes: 4 * MiB },
  { name: "JSON, 100 records per POST", contentType: "application/json", body: jsonBatch(100), streams: 8, segmentBytes: 16 * MiB },
];

const SETTINGS = [
  { name: "one transaction per segment", env: { DS_BASE_WAL_GC_CHUNK_OFFSETS: "1000000", DS_WAL_DELETE_CHUNK_BYTES: String(2 ** 40) } },
  { name: "default chunk bounds", env: {} as Record<string, string> },
];

interface Figures {
  perSec: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

async function run(load: (typeof LOADS)[number], env: Record<string, string>): Promise<Figures> {
  const root = makeTempDir("ds-bench-collect-");
  const server = await startServerProcess({ root, env: { DS_SEGMENT_MAX_BYTES: String(load.segmentBytes), ...env } });
  try {
    const writes: WriteLoad = { streamPrefix: "collect", contentType: load.contentType, body: load.body, streams: load.streams };
    for (const name of writeLoadStreams(writes)) await createStreamOrThrow(server.url, name, load.contentType);
    const t = await runWriteLoad({ kind: "ours", url: server.url }, writes, DURATION_MS);
    return {
      perSec: (t.ok * 1000) / t.elapsedMs,
      p50: quantile(t.latencies, 0.5),
      p99: quantile(t.latencies, 0.99),
      max: quantile(t.latencies, 1),
      errors: t.errors,
    };
  } finally {
    await server.stop("SIGTERM");
    removeDir(root);
  }
}

for (const load of LOADS) {
  console.log(`\n${load.name} (32 writers, ${load.streams} stream(s), ${load.segmentBytes / MiB} MiB segments, ${DURATION_MS / 1000} s)`);
  for (let round = 1; round <= ROUNDS; round++) {
    // Settings alternate within a round, so drift in the disk's speed hits both alike.
    for (const setting of SETTINGS) {
      const f = await run(load, setting.env);
      console.log(
        `  round ${round}  ${setting.name.padEnd(28)} ${f.perSec.toFixed(0).padStart(6)}/s  p50 ${f.p50.toFixed(1)}  p99 ${f.p99.toFixed(1)}  max ${f.max.toFixed(1)} ms  errors ${f.errors}`,
      );
    }
  }
}
