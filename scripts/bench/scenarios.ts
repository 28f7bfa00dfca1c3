// The baseline scenarios. Each one is plain client code that runs unchanged against the real
// server and the trivial one; it returns named figures for one round.
import {
  append,
  appendOrThrow,
  createStream,
  createStreamOrThrow,
  quantile,
  requestSignal,
  runWorkers,
  sleep,
  streamUrl,
} from "./client.ts";

export interface Target {
  kind: "ours" | "trivial";
  url: string;
}

export type Figures = Record<string, number>;

export interface Scenario {
  name: string;
  /** Unmeasured preparation, once per target (streams, fill data, warm-up). */
  setup(target: Target): Promise<void>;
  run(target: Target, round: number): Promise<Figures>;
}

export interface BenchConfig {
  durationMs: number;
  rounds: number;
  catchUpBytes: number;
  longPollMs: number;
  creates: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
const OCTET = "application/octet-stream";
const JSON_TYPE = "application/json";
const WRITERS = 32;
const WRITE_STREAMS = 8;
const WARM_UP_MS = 500;
const ERROR_BACKOFF_MS = 10;

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const perSecond = (count: number, elapsedMs: number): number => (count * 1000) / elapsedMs;

// --- appends and JSON batches: 32 closed-loop writers over 8 streams -------------------------

export interface WriteLoad {
  streamPrefix: string;
  contentType: string;
  body: Uint8Array;
  /** Streams the writers share (default 8). */
  streams?: number;
}

export interface WriteTotals {
  ok: number;
  errors: number;
  latencies: number[];
  elapsedMs: number;
}

/** The stream names of a load: `<prefix>-0` … */
export function writeLoadStreams(load: WriteLoad): string[] {
  return range(load.streams ?? WRITE_STREAMS).map((i) => `${load.streamPrefix}-${i}`);
}

/** 32 writers POST the same body, writer w to stream `w % streams`, until the deadline; 204 is success. */
export async function runWriteLoad(target: Target, load: WriteLoad, durationMs: number): Promise<WriteTotals> {
  const totals: WriteTotals = { ok: 0, errors: 0, latencies: [], elapsedMs: 0 };
  const names = writeLoadStreams(load);
  totals.elapsedMs = await runWorkers(WRITERS, performance.now() + durationMs, async (writer) => {
    const started = performance.now();
    const status = await append(target.url, names[writer % names.length]!, load.body, load.contentType).catch(() => 0);
    if (status === 204) {
      totals.ok += 1;
      totals.latencies.push(performance.now() - started);
    } else {
      totals.errors += 1;
      await sleep(ERROR_BACKOFF_MS);
    }
    return true;
  });
  return totals;
}

async function prepareWriteLoad(target: Target, load: WriteLoad): Promise<void> {
  for (const name of writeLoadStreams(load)) await createStreamOrThrow(target.url, name, load.contentType);
  await runWriteLoad(target, load, WARM_UP_MS);
}

export function appendScenario(config: BenchConfig): Scenario {
  const load: WriteLoad = { streamPrefix: "bench-append", contentType: OCTET, body: new Uint8Array(100).fill(0x62) };
  return {
    name: "appends",
    setup: (target) => prepareWriteLoad(target, load),
    run: async (target) => {
      const t = await runWriteLoad(target, load, config.durationMs);
      return {
        appendsPerSec: perSecond(t.ok, t.elapsedMs),
        p50Ms: quantile(t.latencies, 0.5),
        p99Ms: quantile(t.latencies, 0.99),
        errors: t.errors,
      };
    },
  };
}

/**
 * A JSON array of `count` objects of about 100 bytes each once serialised, with varied
 * values (ids, random session tokens, timestamps): real events are not one record repeated,
 * and what the server does with the bytes (validating, sealing, compressing segments)
 * costs what it would on real data (~4.5x with zstd level 1, not ~27x).
 */
export function jsonBatch(count: number): Uint8Array {
  let seed = 0x2545f491;
  const random = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const start = Date.UTC(2026, 10, 25);
  const records = range(count).map((i) => {
    const base = {
      id: 100_000 + i,
      user: `user-${Math.floor(random() * 5000)}`,
      event: ["page_view", "click", "purchase", "signup"][Math.floor(random() * 4)],
      session: Math.floor(random() * 2 ** 48).toString(36),
      ts: start + Math.floor(random() * 86_400_000),
      pad: "",
    };
    base.pad = "x".repeat(Math.max(0, 100 - JSON.stringify(base).length));
    return base;
  });
  return new TextEncoder().encode(JSON.stringify(records));
}

export const JSON_RECORDS_PER_POST = 100;

export function jsonScenario(config: BenchConfig): Scenario {
  const load: WriteLoad = { streamPrefix: "bench-json", contentType: JSON_TYPE, body: jsonBatch(JSON_RECORDS_PER_POST) };
  return {
    name: "json",
    setup: (target) => prepareWriteLoad(target, load),
    run: async (target) => {
      const t = await runWriteLoad(target, load, config.durationMs);
      return {
        recordsPerSec: perSecond(t.ok * JSON_RECORDS_PER_POST, t.elapsedMs),
        postsPerSec: perSecond(t.ok, t.elapsedMs),
        p99Ms: quantile(t.latencies, 0.99),
        errors: t.errors,
      };
    },
  };
}

// --- catch-up read of one large stream -------------------------------------------------------

const FILL_APPEND_BYTES = 64 * KiB;
const FILL_WRITERS = 8;
const READ_DEADLINE_MS = 120_000;
const CATCH_UP_STREAM = "bench-catchup";

async function fillStream(target: Target, name: string, totalBytes: number): Promise<void> {
  const body = new Uint8Array(FILL_APPEND_BYTES).fill(0x63);
  const appends = Math.ceil(totalBytes / FILL_APPEND_BYTES);
  let next = 0;
  await runWorkers(FILL_WRITERS, performance.now() + READ_DEADLINE_MS, async () => {
    if (next >= appends) return false;
    next += 1;
    await appendOrThrow(target.url, name, body, OCTET);
    return true;
  });
  if (next < appends) throw new Error(`fill of ${name} on ${target.kind} did not finish in time`);
}

/** Reads the whole stream from -1, following Stream-Next-Offset; returns the bytes read. */
async function readWhole(target: Target, name: string, maxResponses: number): Promise<number> {
  const deadline = performance.now() + READ_DEADLINE_MS;
  let offset = "-1";
  let bytes = 0;
  for (let i = 0; i < maxResponses && performance.now() < deadline; i++) {
    const res = await fetch(`${streamUrl(target.url, name)}?offset=${encodeURIComponent(offset)}`, { signal: requestSignal() });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`catch-up GET on ${target.kind} answered ${res.status}`);
    bytes += body.byteLength;
    if (res.headers.get("stream-up-to-date") === "true") return bytes;
    const nextOffset = res.headers.get("stream-next-offset");
    if (!nextOffset || nextOffset === offset) throw new Error(`catch-up read on ${target.kind} made no progress`);
    offset = nextOffset;
  }
  throw new Error(`catch-up read on ${target.kind} did not reach the tail`);
}

async function timedReads(target: Target, readers: number, expectedBytes: number): Promise<{ mibPerSec: number; short: number }> {
  const maxResponses = Math.ceil(expectedBytes / MiB) * 4 + 16;
  const started = performance.now();
  const totals = await Promise.all(range(readers).map(() => readWhole(target, CATCH_UP_STREAM, maxResponses)));
  const elapsedMs = performance.now() - started;
  const bytes = totals.reduce((a, b) => a + b, 0);
  return { mibPerSec: bytes / MiB / (elapsedMs / 1000), short: totals.filter((t) => t !== expectedBytes).length };
}

export function catchUpScenario(config: BenchConfig): Scenario {
  const expectedBytes = Math.ceil(config.catchUpBytes / FILL_APPEND_BYTES) * FILL_APPEND_BYTES;
  return {
    name: "catch-up",
    setup: async (target) => {
      await createStreamOrThrow(target.url, CATCH_UP_STREAM, OCTET);
      const started = performance.now();
      await fillStream(target, CATCH_UP_STREAM, expectedBytes);
      const seconds = (performance.now() - started) / 1000;
      console.log(`  filled ${(expectedBytes / MiB).toFixed(0)} MiB on ${target.kind} in ${seconds.toFixed(1)} s (not measured)`);
      // One unmeasured pass warms both servers alike (JIT, page cache); rounds measure steady state.
      await readWhole(target, CATCH_UP_STREAM, Math.ceil(expectedBytes / MiB) * 4 + 16);
    },
    run: async (target) => {
      const one = await timedReads(target, 1, expectedBytes);
      const four = await timedReads(target, 4, expectedBytes);
      return { oneReaderMiBps: one.mibPerSec, fourReadersMiBps: four.mibPerSec, errors: one.short + four.short };
    },
  };
}

// --- long-poll delivery latency --------------------------------------------------------------

const LONG_POLL_READERS = 100;
const LONG_POLL_INTERVAL_MS = 20;
const LONG_POLL_WAIT_MS = 2000;
const LONG_POLL_WARM_UP_APPENDS = 5;
const READERS_PARK_MS = 500;
const READERS_DRAIN_MS = 3000;

interface Deliveries {
  /** Milliseconds from the start of each record's POST to a reader having it. */
  latencies: number[];
  errors: number;
}

/** One reader: long-polls from -1, re-polling at once from each Stream-Next-Offset. */
async function follow(url: string, lastIndex: number, sentAt: number[], out: Deliveries, stop: AbortSignal, deadline: number): Promise<void> {
  let offset = "-1";
  let seen = -1;
  const maxPolls = (lastIndex + 1) * 4 + 100;
  for (let polls = 0; polls < maxPolls && seen < lastIndex && !stop.aborted && performance.now() < deadline; polls++) {
    try {
      const res = await fetch(`${url}?offset=${encodeURIComponent(offset)}&live=long-poll&timeout_ms=${LONG_POLL_WAIT_MS}`, {
        signal: requestSignal(stop),
      });
      const text = await res.text();
      const receivedAt = performance.now();
      if (res.status === 200) seen = Math.max(seen, recordDeliveries(text, receivedAt, sentAt, out));
      else if (res.status !== 204) out.errors += 1;
      offset = res.headers.get("stream-next-offset") ?? offset;
    } catch {
      if (stop.aborted) return;
      out.errors += 1;
      await sleep(ERROR_BACKOFF_MS);
    }
  }
}

/** Records are `<index>\n`; returns the highest index in the body. */
function recordDeliveries(text: string, receivedAt: number, sentAt: number[], out: Deliveries): number {
  let highest = -1;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const index = Number(line);
    highest = Math.max(highest, index);
    const sent = sentAt[index];
    if (index >= LONG_POLL_WARM_UP_APPENDS && sent !== undefined) out.latencies.push(receivedAt - sent);
  }
  return highest;
}

/** Appends `<i>\n` every interval (fixed rate), noting when each POST started. */
async function writeOnSchedule(target: Target, name: string, count: number, sentAt: number[]): Promise<number> {
  let errors = 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    await sleep(start + i * LONG_POLL_INTERVAL_MS - performance.now());
    sentAt[i] = performance.now();
    const status = await append(target.url, name, `${i}\n`, "text/plain").catch(() => 0);
    if (status !== 204) errors += 1;
  }
  return errors;
}

/** One reader following `url` until it has seen record `lastIndex`, noting each delivery. */
type Follower = (url: string, lastIndex: number, sentAt: number[], out: Deliveries, stop: AbortSignal, deadline: number) => Promise<void>;

/** 100 readers follow a fresh stream while one writer appends on schedule; delivery latencies. */
function deliveryScenario(name: string, config: BenchConfig, follow: Follower): Scenario {
  const appends = Math.max(LONG_POLL_WARM_UP_APPENDS + 1, Math.floor(config.longPollMs / LONG_POLL_INTERVAL_MS));
  return {
    name,
    setup: async () => {},
    run: async (target, round) => {
      const stream = `bench-${name}-${round}`;
      await createStreamOrThrow(target.url, stream, "text/plain");
      const sentAt: number[] = [];
      const out: Deliveries = { latencies: [], errors: 0 };
      const stop = new AbortController();
      const deadline = performance.now() + config.longPollMs + 30_000;
      const url = streamUrl(target.url, stream);
      const readers = Promise.all(range(LONG_POLL_READERS).map(() => follow(url, appends - 1, sentAt, out, stop.signal, deadline)));
      await sleep(READERS_PARK_MS);
      const writeErrors = await writeOnSchedule(target, stream, appends, sentAt);
      await Promise.race([readers, sleep(READERS_DRAIN_MS)]);
      stop.abort();
      await readers;
      const expected = LONG_POLL_READERS * (appends - LONG_POLL_WARM_UP_APPENDS);
      return {
        p50Ms: quantile(out.latencies, 0.5),
        p99Ms: quantile(out.latencies, 0.99),
        deliveries: out.latencies.length,
        missing: expected - out.latencies.length,
        errors: out.errors + writeErrors,
      };
    },
  };
}

export function longPollScenario(config: BenchConfig): Scenario {
  return deliveryScenario("long-poll", config, follow);
}

// --- SSE delivery latency --------------------------------------------------------------------

/** One SSE reader from the tail: notes when each record's line arrives in a data event. */
async function followSse(url: string, lastIndex: number, sentAt: number[], out: Deliveries, stop: AbortSignal): Promise<void> {
  try {
    const res = await fetch(`${url}?offset=now&live=sse`, { signal: stop });
    if (res.status !== 200 || !res.body) {
      out.errors += 1;
      return;
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let pending = "";
    for (;;) {
      const next = await reader.read();
      if (next.done) return;
      const receivedAt = performance.now();
      pending += decoder.decode(next.value, { stream: true });
      const events = pending.split("\n\n");
      pending = events.pop() ?? "";
      for (const event of events) {
        if (!event.startsWith("event: data")) continue;
        const text = event.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5)).join("\n");
        if (recordDeliveries(text, receivedAt, sentAt, out) >= lastIndex) return;
      }
    }
  } catch {
    if (!stop.aborted) out.errors += 1;
  }
}

export function sseScenario(config: BenchConfig): Scenario {
  return deliveryScenario("sse", config, followSse);
}

// --- stream creation -------------------------------------------------------------------------

const CREATE_DEADLINE_MS = 90_000;

export function createScenario(config: BenchConfig): Scenario {
  return {
    name: "creates",
    setup: async () => {},
    run: async (target, round) => {
      let next = 0;
      let created = 0;
      let errors = 0;
      const elapsedMs = await runWorkers(WRITERS, performance.now() + CREATE_DEADLINE_MS, async () => {
        if (next >= config.creates) return false;
        const index = next++;
        const status = await createStream(target.url, `bench-create-${round}-${index}`, OCTET).catch(() => 0);
        if (status === 201) created += 1;
        else errors += 1;
        return true;
      });
      return { createsPerSec: perSecond(created, elapsedMs), created, errors };
    },
  };
}
