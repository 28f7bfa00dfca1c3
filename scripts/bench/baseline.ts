// Steering benchmark: how close the Durable Streams server gets to a trivial Bun.serve server
// that answers the same requests without storing anything.
//
//   bun run scripts/bench/baseline.ts
//
// Both servers run as their own processes on 127.0.0.1 and are driven by the same client code
// (Bun's fetch, in this process). Scenarios: 100-byte appends (32 writers, 8 streams), JSON
// batches of 100 records, catch-up reads of a 200 MiB stream (1 and 4 readers), long-poll
// and SSE delivery latency (100 readers, one append every 20 ms), stream creation (10,000
// PUTs), and the real server's peak RSS. Each scenario alternates ours/trivial for several
// rounds and reports the median, so machine noise hits both alike. Prints a table with
// ratios against targets and writes bench-results/baseline.json. Before the scenarios it
// probes the disk (storage-probe.ts): how many commits SQLite manages there with the server's
// durability settings, the ceiling any durable server on this machine shares.
//
// Environment: DS_BENCH_DURATION_MS (5000), DS_BENCH_ROUNDS (2), DS_BENCH_CATCHUP_MB (200),
// DS_BENCH_LONGPOLL_MS (5000), DS_BENCH_CREATES (10000), DS_BENCH_SCENARIOS (all; a comma
// list of appends,json,catch-up,long-poll,sse,creates).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir, removeDir, REPO_ROOT, startServerProcess, type ServerProcess } from "../../test/support/server-process.ts";
import { getJson, median } from "./client.ts";
import { sampleMemory, startTrivialServer, type MemorySampler, type TrivialServer } from "./processes.ts";
import { probeStorage, type StorageProbe } from "./storage-probe.ts";
import {
  appendScenario,
  catchUpScenario,
  createScenario,
  jsonScenario,
  longPollScenario,
  sseScenario,
  type BenchConfig,
  type Figures,
  type Scenario,
  type Target,
} from "./scenarios.ts";

const MiB = 1024 * 1024;

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? "");
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

function loadConfig(): BenchConfig {
  return {
    durationMs: envInt("DS_BENCH_DURATION_MS", 5000),
    rounds: envInt("DS_BENCH_ROUNDS", 2),
    catchUpBytes: envInt("DS_BENCH_CATCHUP_MB", 200) * MiB,
    longPollMs: envInt("DS_BENCH_LONGPOLL_MS", 5000),
    creates: envInt("DS_BENCH_CREATES", 10_000),
  };
}

// --- running -------------------------------------------------------------------------------

interface ScenarioResult {
  ours: Figures[];
  trivial: Figures[];
}

type Results = Record<string, ScenarioResult>;

/** Setup on both, then rounds of ours, trivial, ours, trivial, … */
async function runScenario(scenario: Scenario, ours: Target, trivial: Target, rounds: number): Promise<ScenarioResult> {
  const result: ScenarioResult = { ours: [], trivial: [] };
  await scenario.setup(ours);
  await scenario.setup(trivial);
  for (let round = 0; round < rounds; round++) {
    for (const target of [ours, trivial]) {
      const figures = await scenario.run(target, round);
      result[target.kind].push(figures);
      console.log(`  ${scenario.name} round ${round + 1} ${target.kind.padEnd(7)} ${formatFigures(figures)}`);
    }
  }
  return result;
}

function formatFigures(figures: Figures): string {
  return Object.entries(figures)
    .map(([key, value]) => `${key}=${formatNumber(value)}`)
    .join(" ");
}

interface IngestStats {
  batches: number;
  commands: number;
  bytes: number;
  commitMs: number;
  failedBatches: number;
  timeouts: number;
}

async function ingestStats(url: string): Promise<IngestStats> {
  const metrics = (await getJson(`${url}/metrics`)) as { ingest: IngestStats };
  return metrics.ingest;
}

function reportIngest(before: IngestStats, after: IngestStats): Record<string, number> {
  const batches = after.batches - before.batches;
  const commands = after.commands - before.commands;
  const commitMs = after.commitMs - before.commitMs;
  const summary = {
    batches,
    commands,
    averageBatch: batches > 0 ? commands / batches : Number.NaN,
    commitMsPerBatch: batches > 0 ? commitMs / batches : Number.NaN,
  };
  console.log(`  /metrics ingest after the append scenario: ${JSON.stringify(after)}`);
  console.log(
    `  during the append scenario (incl. warm-up): ${commands} commands in ${batches} batches → average batch ${formatNumber(summary.averageBatch)}, ` +
      `${formatNumber(summary.commitMsPerBatch)} ms commit per batch`,
  );
  return summary;
}

// --- reporting -----------------------------------------------------------------------------

interface Row {
  label: string;
  scenario: string;
  metric: string;
  /** Errors add up over rounds; everything else is the median of rounds. */
  combine: "median" | "sum";
  target?: { op: ">=" | "<="; ratio: number };
}

const ROWS: Row[] = [
  { label: "appends/s (100 B, 32 writers)", scenario: "appends", metric: "appendsPerSec", combine: "median", target: { op: ">=", ratio: 0.5 } },
  { label: "append latency p50 ms", scenario: "appends", metric: "p50Ms", combine: "median" },
  { label: "append latency p99 ms", scenario: "appends", metric: "p99Ms", combine: "median" },
  { label: "append errors", scenario: "appends", metric: "errors", combine: "sum" },
  { label: "JSON records/s (100/POST)", scenario: "json", metric: "recordsPerSec", combine: "median", target: { op: ">=", ratio: 0.25 } },
  { label: "JSON errors", scenario: "json", metric: "errors", combine: "sum" },
  { label: "catch-up MiB/s, 1 reader", scenario: "catch-up", metric: "oneReaderMiBps", combine: "median", target: { op: ">=", ratio: 0.45 } },
  { label: "catch-up MiB/s, 4 readers", scenario: "catch-up", metric: "fourReadersMiBps", combine: "median", target: { op: ">=", ratio: 0.45 } },
  { label: "catch-up errors", scenario: "catch-up", metric: "errors", combine: "sum" },
  { label: "long-poll delivery p50 ms", scenario: "long-poll", metric: "p50Ms", combine: "median" },
  { label: "long-poll delivery p99 ms", scenario: "long-poll", metric: "p99Ms", combine: "median", target: { op: "<=", ratio: 2 } },
  { label: "long-poll missing deliveries", scenario: "long-poll", metric: "missing", combine: "sum" },
  { label: "long-poll errors", scenario: "long-poll", metric: "errors", combine: "sum" },
  { label: "SSE delivery p50 ms", scenario: "sse", metric: "p50Ms", combine: "median" },
  { label: "SSE delivery p99 ms", scenario: "sse", metric: "p99Ms", combine: "median", target: { op: "<=", ratio: 2 } },
  { label: "SSE missing deliveries", scenario: "sse", metric: "missing", combine: "sum" },
  { label: "SSE errors", scenario: "sse", metric: "errors", combine: "sum" },
  { label: "creates/s (32 concurrent)", scenario: "creates", metric: "createsPerSec", combine: "median", target: { op: ">=", ratio: 0.3 } },
  { label: "create errors", scenario: "creates", metric: "errors", combine: "sum" },
];

interface ReportLine {
  label: string;
  ours: number;
  trivial: number;
  ratio: number;
  target: string;
  pass: boolean | null;
}

function combine(rounds: Figures[], metric: string, how: Row["combine"]): number {
  const values = rounds.map((f) => f[metric] ?? Number.NaN);
  return how === "sum" ? values.reduce((a, b) => a + b, 0) : median(values);
}

function reportLine(row: Row, results: Results): ReportLine {
  const result = results[row.scenario] ?? { ours: [], trivial: [] };
  const ours = combine(result.ours, row.metric, row.combine);
  const trivial = combine(result.trivial, row.metric, row.combine);
  const ratio = trivial === 0 ? Number.NaN : ours / trivial;
  if (!row.target) return { label: row.label, ours, trivial, ratio, target: "", pass: null };
  const pass = row.target.op === ">=" ? ratio >= row.target.ratio : ratio <= row.target.ratio;
  return { label: row.label, ours, trivial, ratio, target: `${row.target.op} ${row.target.ratio}`, pass };
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (Number.isInteger(value) || Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}

function printTable(lines: ReportLine[]): void {
  const header = ["scenario", "ours", "trivial", "ratio", "target", ""];
  const cells = lines.map((l) => [
    l.label,
    formatNumber(l.ours),
    formatNumber(l.trivial),
    formatNumber(l.ratio),
    l.target,
    l.pass === null ? "" : l.pass ? "ok" : "MISS",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const format = (c: string[]): string => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ").trimEnd();
  console.log(format(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const c of cells) console.log(format(c));
}

// --- main ----------------------------------------------------------------------------------

interface Processes {
  root: string;
  server?: ServerProcess;
  trivial?: TrivialServer;
  samplers: MemorySampler[];
}

async function stopAll(p: Processes): Promise<void> {
  for (const sampler of p.samplers) sampler.finish();
  await p.server?.stop().catch(() => null);
  await p.trivial?.stop().catch(() => {});
  removeDir(p.root);
}

async function benchmark(config: BenchConfig, p: Processes): Promise<void> {
  const server = (p.server = await startServerProcess({ root: p.root }));
  const trivialServer = (p.trivial = await startTrivialServer());
  const serverPid = server.child.pid!;
  const serverMemory = sampleMemory(serverPid);
  const trivialMemory = sampleMemory(trivialServer.pid);
  p.samplers.push(serverMemory, trivialMemory);
  const ours: Target = { kind: "ours", url: server.url };
  const trivial: Target = { kind: "trivial", url: trivialServer.url };
  console.log(`ours ${ours.url} (pid ${serverPid}), trivial ${trivial.url} (pid ${trivialServer.pid}), data in ${p.root}`);
  console.log(`config ${JSON.stringify(config)}\n`);
  const storage = probeStorage(p.root);
  console.log(`${describeStorage(storage)}\n`);

  const started = performance.now();
  const results: Results = {};
  const only = process.env.DS_BENCH_SCENARIOS?.split(",").map((s) => s.trim());
  const scenarios = [appendScenario(config), jsonScenario(config), catchUpScenario(config), longPollScenario(config), sseScenario(config), createScenario(config)].filter(
    (scenario) => !only || only.includes(scenario.name),
  );
  let ingest: Record<string, number> = {};
  for (const scenario of scenarios) {
    console.log(`${scenario.name}:`);
    const before = scenario.name === "appends" ? await ingestStats(ours.url) : null;
    results[scenario.name] = await runScenario(scenario, ours, trivial, config.rounds);
    if (before) ingest = reportIngest(before, await ingestStats(ours.url));
  }
  const memory = { ours: serverMemory.finish(), trivial: trivialMemory.finish() };
  const totalSeconds = (performance.now() - started) / 1000;

  const lines = ROWS.map((row) => reportLine(row, results));
  lines.push({
    label: "peak RSS MiB (VmHWM)",
    ours: memory.ours.vmHwmMiB ?? Number.NaN,
    trivial: memory.trivial.vmHwmMiB ?? Number.NaN,
    ratio: (memory.ours.vmHwmMiB ?? Number.NaN) / (memory.trivial.vmHwmMiB ?? Number.NaN),
    target: "",
    pass: null,
  });
  lines.push({
    label: "max sampled RSS MiB",
    ours: memory.ours.maxSampledRssMiB,
    trivial: memory.trivial.maxSampledRssMiB,
    ratio: memory.ours.maxSampledRssMiB / memory.trivial.maxSampledRssMiB,
    target: "",
    pass: null,
  });
  console.log(`\nbaseline (median of ${config.rounds} rounds; ratio = ours / trivial; ${totalSeconds.toFixed(0)} s of scenarios)\n`);
  printTable(lines);
  console.log(`\n${describeStorage(storage)}`);
  writeResults({ config, storage, totalSeconds, lines, ingest, memory, rounds: results });
}

function describeStorage(probe: StorageProbe): string {
  return (
    `storage probe (SQLite WAL, synchronous=FULL, this disk): ${formatNumber(probe.singleRowCommitsPerSec)} single-row commits/s ` +
    `(${formatNumber(1000 / probe.singleRowCommitsPerSec)} ms each); 100-byte rows/s in 16-row transactions ${formatNumber(probe.rowsPerSecIn16RowTx)}, ` +
    `in 100-row transactions ${formatNumber(probe.rowsPerSecIn100RowTx)} (the append targets assume about 300,000), ` +
    `in 16-row transactions indexed by (stream, offset) over 8 streams like the WAL table ${formatNumber(probe.rowsPerSecIn16RowTxIndexed)}`
  );
}

function writeResults(data: Record<string, unknown>): void {
  const dir = join(REPO_ROOT, "bench-results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "baseline.json");
  const replacer = (_key: string, value: unknown): unknown => (typeof value === "number" && !Number.isFinite(value) ? null : value);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), ...data }, replacer, 2)}\n`);
  console.log(`\nwrote ${file}`);
}

async function main(): Promise<void> {
  const processes: Processes = { root: makeTempDir("ds-bench-"), samplers: [] };
  const interrupt = (): void => {
    void stopAll(processes).finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    await benchmark(loadConfig(), processes);
  } finally {
    await stopAll(processes);
  }
}

await main();
