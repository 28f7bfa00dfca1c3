// Goal: prove crash safety of the append path. An append is answered 2xx only after its
// group-commit transaction is durable, so no acknowledged append is ever lost, duplicated,
// reordered or torn by a crash, and idempotent producers resume exactly where they were.
//
// Method: one real server process (`bun run src/server.ts`) on a temporary data directory,
// 3 byte streams and 2 JSON streams, 24 concurrent writers (plain byte appends, plain JSON
// appends of 1–3 records, idempotent producers on both kinds). A quarter of the appends
// carry a few KB, and the server is set to commit even small batches of them on its writer
// thread, which keeps such payloads in payload files: both commit paths are crashed. Each writer sends one request
// at a time and keeps a ledger entry for every append: acknowledged (2xx, with the
// `Stream-Next-Offset` it got), refused with "nothing was written" (408/429/503), or in
// flight (sent, never answered). After a seeded random delay the server is SIGKILLed mid-load
// and restarted on the same directory; then every stream is read back in full and checked
// against the ledger:
//   * the content parses completely into whole appends (no torn or unknown data);
//   * every acknowledged append is present exactly once, refused ones are absent, and an
//     in-flight one is present at most once (it is then fixed as committed or lost, and
//     later rounds check that this never changes);
//   * per stream, each writer's appends appear in the order the writer got its acks, and
//     acknowledged offsets strictly increase in stream order; reading from a sampled
//     acknowledged offset returns exactly what follows that append;
//   * each producer's last acknowledged request, retried, is a 204 duplicate that stores
//     nothing; its in-flight request, retried, is 200 (first write) or 204 (it had committed),
//     and afterwards its records are present exactly once.
// Rounds repeat load → kill → restart → verify on the same data, so later rounds re-verify
// everything earlier rounds wrote across repeated crashes.
//
// Reproduce a run with CRASH_SEED=<seed> (printed at start); it fixes the kill delays and
// every body. Timing still varies with the machine, so the exact kill point does not repeat.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readAllBytes, readAllJson } from "../support/read-all.ts";
import { makeTempDir, removeDir, startServerProcess, type ServerProcess } from "../support/server-process.ts";

const ROUNDS = 6;
const KILL_DELAY_MIN_MS = 150;
const KILL_DELAY_MAX_MS = 700;
/** Bounds each writer's requests per round, whatever the timing. */
const MAX_APPENDS_PER_WRITER_PER_ROUND = 2_000;
/** A writer never runs longer than this past the kill delay (it normally stops at the kill). */
const WRITER_OVERRUN_MS = 15_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Acknowledged offsets re-read per stream per round (plus the last one). */
const SAMPLED_OFFSETS_PER_STREAM = 3;
/** Statuses whose contract is "nothing was written" (src/http/write-wait.ts). */
const NOTHING_WRITTEN = new Set([408, 429, 503]);
/** Batches of a few large appends go to the writer thread and its payload files, which fill and close. */
const SERVER_ENV = { DS_WRITER_THREAD_MIN_BATCH_BYTES: "4096", DS_WAL_PAYLOAD_FILE_MIN_BYTES: "1024", DS_WAL_PAYLOAD_FILE_MAX_BYTES: "262144" };

const SEED = process.env.CRASH_SEED ? Number(process.env.CRASH_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;

type Rng = () => number;
/** mulberry32: small, seedable, good enough for delays and padding. */
function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const randInt = (rng: Rng, min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));

const rng = makeRng(SEED);
const KILL_DELAYS = Array.from({ length: ROUNDS }, () => randInt(rng, KILL_DELAY_MIN_MS, KILL_DELAY_MAX_MS));

// ---- streams, writers and the ledger ----

type Kind = "bytes" | "json";
const STREAMS: Array<{ name: string; kind: Kind; contentType: string }> = [
  { name: "crash-bytes-0", kind: "bytes", contentType: "text/plain" },
  { name: "crash-bytes-1", kind: "bytes", contentType: "application/octet-stream" },
  { name: "crash-bytes-2", kind: "bytes", contentType: "text/plain" },
  { name: "crash-json-0", kind: "json", contentType: "application/json" },
  { name: "crash-json-1", kind: "json", contentType: "application/json" },
];
const contentTypeOf = new Map(STREAMS.map((s) => [s.name, s.contentType]));
const BYTE_STREAMS = STREAMS.filter((s) => s.kind === "bytes").map((s) => s.name);
const JSON_STREAMS = STREAMS.filter((s) => s.kind === "json").map((s) => s.name);

/**
 * inflight: sent, no answer (or not yet); acked: 2xx; recovered: was in flight at a crash and
 * found committed; lost: was in flight at a crash and found absent; rejected: refused with
 * "nothing was written".
 */
type AppendState = "inflight" | "acked" | "recovered" | "lost" | "rejected";

interface Append {
  /** `w<writer>-<n>` for plain appends, `p<writer>-<seq>` for producer appends. */
  id: string;
  writer: number;
  stream: string;
  kind: Kind;
  /** Position in the writer's own sequence (n, or the producer seq). */
  order: number;
  body: string;
  /** JSON streams: each stored record, as JSON text. */
  records: string[];
  producer: { id: string; seq: number } | null;
  state: AppendState;
  /** `Stream-Next-Offset` of the 2xx that acknowledged it. */
  offset: string | null;
  round: number;
}

interface Writer {
  index: number;
  kind: Kind;
  /** Producer-Id, or null for a plain writer. */
  producerId: string | null;
  streams: string[];
  rng: Rng;
  /** Next n (plain) or next seq (producer). */
  next: number;
  /** A producer's request that has no definitive answer yet: resent with the same seq and body. */
  pending: Append | null;
}

const ledger = new Map<string, Append>();
const ledgerByStream = new Map<string, Append[]>(STREAMS.map((s) => [s.name, []]));

function makeWriters(): Writer[] {
  const writers: Writer[] = [];
  const add = (kind: Kind, producer: boolean, streams: string[]): void => {
    const index = writers.length;
    writers.push({
      index,
      kind,
      producerId: producer ? `crash-producer-${index}` : null,
      streams,
      rng: makeRng(SEED ^ Math.imul(index + 1, 0x9e3779b1)),
      next: 0,
      pending: null,
    });
  };
  for (let i = 0; i < 8; i++) add("bytes", false, BYTE_STREAMS);
  for (let i = 0; i < 8; i++) add("json", false, JSON_STREAMS);
  // Producer state is per (stream, producer id): each producer writes to one stream.
  for (let i = 0; i < 4; i++) add("bytes", true, [BYTE_STREAMS[i % BYTE_STREAMS.length]!]);
  for (let i = 0; i < 4; i++) add("json", true, [JSON_STREAMS[i % JSON_STREAMS.length]!]);
  return writers;
}

function newAppend(writer: Writer, round: number): Append {
  const order = writer.producerId ? writer.next : writer.next++;
  const id = `${writer.producerId ? "p" : "w"}${writer.index}-${order}`;
  const stream = writer.streams[randInt(writer.rng, 0, writer.streams.length - 1)]!;
  let body: string;
  let records: string[] = [];
  // About a quarter of the appends are large enough to be kept in payload files.
  const pad = writer.rng() < 0.25 ? randInt(writer.rng, 1500, 5000) : randInt(writer.rng, 0, 48);
  if (writer.kind === "bytes") {
    // Self-describing and variable-length, so a torn or foreign record cannot parse.
    body = `${id}.${"x".repeat(pad)};`;
  } else {
    const count = randInt(writer.rng, 1, 3);
    records = Array.from({ length: count }, (_, i) => JSON.stringify({ a: id, w: writer.index, n: order, i, k: count, p: i === 0 ? "x".repeat(pad) : "" }));
    body = `[${records.join(",")}]`;
  }
  const append: Append = {
    id,
    writer: writer.index,
    stream,
    kind: writer.kind,
    order,
    body,
    records,
    producer: writer.producerId ? { id: writer.producerId, seq: order } : null,
    state: "inflight",
    offset: null,
    round,
  };
  ledger.set(id, append);
  ledgerByStream.get(stream)!.push(append);
  return append;
}

function postAppend(url: string, append: Append): Promise<Response> {
  const headers: Record<string, string> = { "content-type": contentTypeOf.get(append.stream)! };
  if (append.producer) {
    headers["producer-id"] = append.producer.id;
    headers["producer-epoch"] = "0";
    headers["producer-seq"] = String(append.producer.seq);
  }
  return fetch(`${url}/v1/stream/${append.stream}`, {
    method: "POST",
    headers,
    body: append.body,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- load ----

interface RoundLoad {
  url: string;
  round: number;
  stopped: boolean;
  hardDeadline: number;
  problems: string[];
  refused: number;
}

/** One writer's loop: one request at a time until the round is stopped or a bound is hit. */
async function runWriter(writer: Writer, load: RoundLoad): Promise<void> {
  for (let sent = 0; sent < MAX_APPENDS_PER_WRITER_PER_ROUND; sent++) {
    if (load.stopped || performance.now() > load.hardDeadline) return;
    const append = writer.pending ?? newAppend(writer, load.round);
    if (writer.producerId) writer.pending = append;
    append.state = "inflight";
    let response: Response;
    try {
      response = await postAppend(load.url, append);
    } catch {
      return; // no answer (the server is gone): the append stays in flight
    }
    const status = response.status;
    const errorBody = status >= 300 ? await response.text().catch(() => "") : "";
    if (status >= 200 && status < 300) {
      const expected = append.producer ? 200 : 204;
      if (status !== expected) load.problems.push(`${append.id}: first send answered ${status}, expected ${expected}`);
      if (append.producer && response.headers.get("producer-seq") !== String(append.producer.seq)) {
        load.problems.push(`${append.id}: ack has Producer-Seq ${response.headers.get("producer-seq")}`);
      }
      append.state = "acked";
      append.offset = response.headers.get("stream-next-offset");
      if (append.offset === null) load.problems.push(`${append.id}: ack without Stream-Next-Offset`);
      if (writer.producerId) {
        writer.pending = null;
        writer.next += 1;
      }
    } else if (NOTHING_WRITTEN.has(status)) {
      load.refused += 1;
      if (!writer.producerId) append.state = "rejected";
      await sleep(20); // a producer resends the same seq
    } else {
      // Unexpected: its fate is unknown, so it is judged like an in-flight append.
      load.problems.push(`${append.id}: POST answered ${status}: ${errorBody}`);
      return;
    }
  }
}

// ---- verification ----

interface Occurrence {
  append: Append;
  /** Bytes: character range in the text; JSON: record index range. */
  start: number;
  end: number;
}

interface StreamView {
  name: string;
  kind: Kind;
  tail: string;
  text: string;
  records: unknown[];
  occurrences: Occurrence[];
}

async function readStream(url: string, name: string, kind: Kind, problems: string[]): Promise<StreamView> {
  if (kind === "bytes") {
    const read = await readAllBytes(url, name);
    const text = new TextDecoder().decode(read.data);
    return { name, kind, tail: read.nextOffset, text, records: [], occurrences: parseBytes(name, text, problems) };
  }
  const read = await readAllJson(url, name);
  return { name, kind, tail: read.nextOffset, text: "", records: read.data, occurrences: parseJson(name, read.data, problems) };
}

/** Splits a byte stream into whole appends; anything else (torn, foreign) is a problem. */
function parseBytes(stream: string, text: string, problems: string[]): Occurrence[] {
  const token = /([wp]\d+-\d+)\.x*;/y;
  const occurrences: Occurrence[] = [];
  let at = 0;
  while (at < text.length) {
    token.lastIndex = at;
    const match = token.exec(text);
    if (!match) {
      problems.push(`${stream}: unparseable bytes at ${at}: ${JSON.stringify(text.slice(at, at + 60))}`);
      break;
    }
    const append = ledger.get(match[1]!);
    if (!append || append.stream !== stream) problems.push(`${stream}: unknown append ${match[1]} at ${at}`);
    else if (match[0] !== append.body) problems.push(`${stream}: ${append.id} is torn: ${JSON.stringify(match[0])}`);
    else occurrences.push({ append, start: at, end: token.lastIndex });
    at = token.lastIndex;
  }
  return occurrences;
}

/** Splits a JSON stream into whole appends: each append's records, contiguous and in order. */
function parseJson(stream: string, records: unknown[], problems: string[]): Occurrence[] {
  const occurrences: Occurrence[] = [];
  let at = 0;
  while (at < records.length) {
    const record = records[at] as { a?: unknown } | null;
    const append = record && typeof record === "object" && typeof record.a === "string" ? ledger.get(record.a) : undefined;
    if (!append || append.stream !== stream) {
      problems.push(`${stream}: unknown record at ${at}: ${JSON.stringify(record)}`);
      at += 1;
      continue;
    }
    const got = records.slice(at, at + append.records.length).map((r) => JSON.stringify(r));
    if (got.join("\n") !== append.records.join("\n")) {
      problems.push(`${stream}: ${append.id} is torn or out of order at record ${at}: ${got.join(" ")}`);
      at += 1;
      continue;
    }
    occurrences.push({ append, start: at, end: at + append.records.length });
    at += append.records.length;
  }
  return occurrences;
}

/**
 * Checks a stream against the ledger. In-flight appends may be present once or absent; the
 * caller decides what they became.
 */
function checkStream(view: StreamView, problems: string[]): void {
  const seen = new Map<string, number>();
  for (const occ of view.occurrences) seen.set(occ.append.id, (seen.get(occ.append.id) ?? 0) + 1);
  for (const append of ledgerByStream.get(view.name)!) {
    const count = seen.get(append.id) ?? 0;
    if (count > 1) problems.push(`${view.name}: ${append.id} (${append.state}) present ${count} times`);
    const mustBePresent = append.state === "acked" || append.state === "recovered";
    const mustBeAbsent = append.state === "rejected" || append.state === "lost";
    if (mustBePresent && count === 0) problems.push(`${view.name}: ${append.state} append ${append.id} (round ${append.round}) is missing`);
    if (mustBeAbsent && count > 0) problems.push(`${view.name}: ${append.state} append ${append.id} (round ${append.round}) is present`);
  }
  // Each writer's appends in the order it got their acks (it sends one at a time).
  const lastOrder = new Map<number, { order: number; id: string }>();
  for (const occ of view.occurrences) {
    const prev = lastOrder.get(occ.append.writer);
    if (prev && occ.append.order <= prev.order) problems.push(`${view.name}: ${occ.append.id} appears after ${prev.id}`);
    lastOrder.set(occ.append.writer, { order: occ.append.order, id: occ.append.id });
  }
  // Acknowledged offsets name positions in stream order: strictly increasing, none past the tail.
  let prevOffset: { offset: string; id: string } | null = null;
  for (const occ of view.occurrences) {
    const offset = occ.append.offset;
    if (offset === null) continue;
    if (prevOffset && !(offset > prevOffset.offset)) {
      problems.push(`${view.name}: offset of ${occ.append.id} (${offset}) not after that of ${prevOffset.id} (${prevOffset.offset})`);
    }
    if (offset > view.tail) problems.push(`${view.name}: offset of ${occ.append.id} (${offset}) is past the tail ${view.tail}`);
    prevOffset = { offset, id: occ.append.id };
  }
}

/** Reading from an acknowledged offset returns exactly what follows that append. */
async function checkSampledOffsets(url: string, view: StreamView, pick: Rng, problems: string[]): Promise<void> {
  const withOffset = view.occurrences.filter((occ) => occ.append.offset !== null);
  if (withOffset.length === 0) return;
  const samples = new Set<Occurrence>([withOffset[withOffset.length - 1]!]);
  for (let i = 0; i < SAMPLED_OFFSETS_PER_STREAM; i++) samples.add(withOffset[randInt(pick, 0, withOffset.length - 1)]!);
  for (const occ of samples) {
    const from = occ.append.offset!;
    if (view.kind === "bytes") {
      const rest = new TextDecoder().decode((await readAllBytes(url, view.name, { from })).data);
      if (rest !== view.text.slice(occ.end)) {
        problems.push(`${view.name}: reading from the ack offset of ${occ.append.id} returned ${JSON.stringify(rest.slice(0, 60))}…`);
      }
    } else {
      const rest = (await readAllJson(url, view.name, { from })).data;
      if (JSON.stringify(rest) !== JSON.stringify(view.records.slice(occ.end))) {
        problems.push(`${view.name}: reading from the ack offset of ${occ.append.id} returned ${JSON.stringify(rest.slice(0, 3))}…`);
      }
    }
  }
}

async function readAndCheckAll(url: string, problems: string[]): Promise<Map<string, StreamView>> {
  const views = new Map<string, StreamView>();
  for (const s of STREAMS) {
    const view = await readStream(url, s.name, s.kind, problems);
    checkStream(view, problems);
    views.set(s.name, view);
  }
  return views;
}

interface RecoveryStats {
  inflight: number;
  inflightCommitted: number;
  producerRetries: number;
}

/**
 * After a restart: check every stream, settle the fate of in-flight appends, retry each
 * producer's last acknowledged and in-flight requests, then check everything again.
 */
async function verifyAfterRestart(url: string, writers: Writer[], pick: Rng, problems: string[]): Promise<RecoveryStats> {
  const stats: RecoveryStats = { inflight: 0, inflightCommitted: 0, producerRetries: 0 };
  const views = await readAndCheckAll(url, problems);
  const present = new Set<string>();
  for (const view of views.values()) for (const occ of view.occurrences) present.add(occ.append.id);

  // Plain in-flight appends: whatever the crash made of them is now fixed for good.
  for (const append of ledger.values()) {
    if (append.state !== "inflight") continue;
    stats.inflight += 1;
    if (present.has(append.id)) stats.inflightCommitted += 1;
    if (!append.producer) append.state = present.has(append.id) ? "recovered" : "lost";
  }

  // Producers, step 1: the last acknowledged request again is a duplicate that stores nothing.
  for (const writer of writers) {
    if (!writer.producerId || writer.next === 0) continue;
    const stream = writer.pending?.stream ?? writer.streams[0]!;
    const lastAcked = ledger.get(`p${writer.index}-${writer.next - 1}`)!;
    const inflightCommitted = writer.pending !== null && present.has(writer.pending.id);
    const highest = inflightCommitted ? writer.pending!.order : lastAcked.order;
    const response = await postAppend(url, lastAcked);
    await response.arrayBuffer();
    stats.producerRetries += 1;
    const tail = views.get(stream)!.tail;
    if (response.status !== 204) problems.push(`${lastAcked.id}: retry of the last acked request answered ${response.status}, expected 204`);
    if (response.headers.get("producer-seq") !== String(highest)) {
      problems.push(`${lastAcked.id}: duplicate answered Producer-Seq ${response.headers.get("producer-seq")}, expected ${highest}`);
    }
    if (response.headers.get("stream-next-offset") !== tail) {
      problems.push(`${lastAcked.id}: duplicate answered Stream-Next-Offset ${response.headers.get("stream-next-offset")}, tail is ${tail}`);
    }
  }

  // Producers, step 2: the in-flight request again is a first write (200) or, if it had
  // committed, a duplicate (204); either way it is now acknowledged.
  for (const writer of writers) {
    const append = writer.pending;
    if (!writer.producerId || !append) continue;
    const committed = present.has(append.id);
    const response = await postAppend(url, append);
    await response.arrayBuffer();
    stats.producerRetries += 1;
    const expected = committed ? 204 : 200;
    if (response.status !== expected) {
      problems.push(`${append.id}: retry of the in-flight request answered ${response.status}, expected ${expected} (committed: ${committed})`);
    }
    if (response.headers.get("producer-seq") !== String(append.order)) {
      problems.push(`${append.id}: retry answered Producer-Seq ${response.headers.get("producer-seq")}, expected ${append.order}`);
    }
    if (response.status === 200 || response.status === 204) {
      append.state = committed ? "recovered" : "acked";
      if (!committed) append.offset = response.headers.get("stream-next-offset");
      writer.pending = null;
      writer.next += 1;
    }
  }

  // Everything settled: all present exactly once, in order; offsets consistent.
  const settled = await readAndCheckAll(url, problems);
  for (const append of ledger.values()) {
    if (append.state === "inflight") problems.push(`${append.id}: still unsettled after recovery`);
  }
  for (const view of settled.values()) await checkSampledOffsets(url, view, pick, problems);
  return stats;
}

// ---- the test ----

const root = makeTempDir("ds-crash-");
let server: ServerProcess | null = null;
const writers = makeWriters();
const totals = { acked: 0, inflight: 0, inflightCommitted: 0 };

beforeAll(() => {
  console.log(`kill-under-load: CRASH_SEED=${SEED} kill delays (ms): ${KILL_DELAYS.join(", ")}; data dir ${root}`);
});

afterAll(async () => {
  await server?.stop("SIGKILL");
  server = null;
  removeDir(root);
});

test("the server creates 3 byte streams and 2 JSON streams on a fresh data dir", async () => {
  server = await startServerProcess({ root, env: SERVER_ENV });
  for (const s of STREAMS) {
    const response = await fetch(`${server.url}/v1/stream/${s.name}`, { method: "PUT", headers: { "content-type": s.contentType } });
    expect(response.status).toBe(201);
  }
});

KILL_DELAYS.forEach((killDelayMs, i) => {
  const round = i + 1;
  test(
    `round ${round}/${ROUNDS}: SIGKILL after ${killDelayMs} ms of load loses no acknowledged append and duplicates nothing`,
    async () => {
      expect(server).not.toBeNull();
      const problems: string[] = [];
      const ackedBefore = [...ledger.values()].filter((a) => a.state === "acked").length;
      const load: RoundLoad = {
        url: server!.url,
        round,
        stopped: false,
        hardDeadline: performance.now() + killDelayMs + WRITER_OVERRUN_MS,
        problems,
        refused: 0,
      };
      const running = writers.map((writer) => runWriter(writer, load));
      await sleep(killDelayMs);
      // Same turn: no response is handled between stopping the writers and the kill.
      load.stopped = true;
      const killed = server!.stop("SIGKILL");
      await killed;
      await Promise.all(running); // every request is now answered or failed
      const acked = [...ledger.values()].filter((a) => a.state === "acked").length - ackedBefore;

      server = await startServerProcess({ root, env: SERVER_ENV });
      const stats = await verifyAfterRestart(server.url, writers, makeRng(SEED + round), problems);
      totals.acked += acked;
      totals.inflight += stats.inflight;
      totals.inflightCommitted += stats.inflightCommitted;
      console.log(
        `round ${round}: killed after ${killDelayMs} ms; ${acked} acked, ${stats.inflight} in flight ` +
          `(${stats.inflightCommitted} had committed), ${load.refused} refused, ${stats.producerRetries} producer retries, ` +
          `${ledger.size} appends in the ledger`,
      );
      // The first problems and their count (a lost batch can list thousands).
      expect({ problems: problems.length, first: problems.slice(0, 30) }).toEqual({ problems: 0, first: [] });
      expect(acked).toBeGreaterThan(0);
    },
    40_000,
  );
});

test("the kills hit requests in flight (the crash path was exercised)", () => {
  expect(totals.inflight).toBeGreaterThan(0);
});
