// Goal: the group-commit queue keeps one order of commits while it overlaps work: a second
// batch may wait behind the writer thread's current one (so the thread never idles between
// commits), never an inline batch while a thread batch is in flight, and never a third.
// Batches with payload-file records run inline (the only writer of payload files).
// Method: the queue with scripted writers whose batches finish when the test says so.
import { expect, test } from "bun:test";
import type { AppendRequest } from "../../src/engine/append-checks.ts";
import type { BatchReply, WriteCommand } from "../../src/engine/write-commands.ts";
import { WriteQueue, type WriteQueueOptions } from "../../src/engine/write-queue.ts";
import type { Writer } from "../../src/engine/writer.ts";

interface Run {
  writer: string;
  names: string[];
  finish(): void;
}

/** A writer whose batches complete only when the test calls `finish` on them. */
function scriptedWriter(label: string, runs: Run[]): Writer {
  return {
    run(commands: WriteCommand[]): Promise<BatchReply> {
      return new Promise<BatchReply>((resolve) => {
        const names = commands.map((c) => (c.op === "append" ? c.req.name : c.op));
        const results = commands.map(() => ({ kind: "ok", tailSeq: 0, closed: false, duplicate: false, producer: null }) as const);
        const reply: BatchReply = { ok: true, results, commitMs: 0, rows: [], removed: [], notify: [], purgeScheduled: false, purged: [], publishes: [], deadPayloadFiles: [] };
        runs.push({ writer: label, names, finish: () => resolve(reply) });
      });
    },
    close: async () => {},
  };
}

function appendOf(name: string, bytes: number): WriteCommand {
  const req: AppendRequest = {
    name,
    contentType: "application/octet-stream",
    records: { chunks: [new Uint8Array(bytes)], count: 1 },
    routingKey: null,
    close: false,
    producer: null,
    streamSeq: null,
    timestampMs: null,
    metaVersion: 0,
  };
  return { op: "append", req };
}

/** One append of `count` records of `bytes` each. */
function appendOfRecords(name: string, count: number, bytes: number): WriteCommand {
  const command = appendOf(name, 0);
  if (command.op === "append") command.req.records = { chunks: Array.from({ length: count }, () => new Uint8Array(bytes)), count };
  return command;
}

const OPTIONS: WriteQueueOptions = {
  lingerMs: 0,
  maxBatchRequests: 200,
  maxBatchBytes: 8 * 1024 * 1024,
  maxQueueRequests: 1000,
  maxQueueBytes: 64 * 1024 * 1024,
  offloadMinBytes: 1000,
  payloadRecordBytes: 0,
  requestTimeoutMs: 5000,
};

function queueWith(runs: Run[], options: Partial<WriteQueueOptions> = {}): WriteQueue {
  const hooks = { takeRenewals: () => null, onCommitted: () => {}, onBatchFailed: () => {} };
  return new WriteQueue(scriptedWriter("inline", runs), scriptedWriter("thread", runs), { ...OPTIONS, ...options }, hooks);
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("a second large batch waits behind the thread's batch; a third waits for a reply", async () => {
  const runs: Run[] = [];
  const queue = queueWith(runs);
  const answered: string[] = [];
  const submit = (name: string, bytes: number) => void queue.submit(appendOf(name, bytes)).then(() => answered.push(name));

  submit("a", 2000);
  await turn();
  expect(runs.map((r) => [r.writer, r.names])).toEqual([["thread", ["a"]]]);

  submit("b", 2000);
  await turn();
  expect(runs.map((r) => [r.writer, r.names])).toEqual([["thread", ["a"]], ["thread", ["b"]]]);

  // Two in flight: the next requests queue until a reply arrives, then go as one batch.
  submit("c", 2000);
  submit("d", 10);
  await turn();
  expect(runs).toHaveLength(2);
  runs[0]!.finish();
  await turn();
  await turn();
  expect(answered).toEqual(["a"]);
  expect(runs.map((r) => [r.writer, r.names])[2]).toEqual(["thread", ["c", "d"]]);

  runs[1]!.finish();
  runs[2]!.finish();
  await turn();
  await turn();
  expect(answered).toEqual(["a", "b", "c", "d"]);
});

test("small batches stay behind a thread batch on the thread, and inline only when nothing is in flight", async () => {
  const runs: Run[] = [];
  const queue = queueWith(runs);
  void queue.submit(appendOf("big", 5000));
  await turn();
  // Too small to be worth a second thread batch: it waits for the reply.
  void queue.submit(appendOf("small-1", 10));
  await turn();
  expect(runs).toHaveLength(1);
  runs[0]!.finish();
  await turn();
  await turn();
  // Nothing in flight any more: the small batch runs inline.
  expect(runs.map((r) => [r.writer, r.names])[1]).toEqual(["inline", ["small-1"]]);

  // While the inline batch is in flight nothing else starts, however large.
  void queue.submit(appendOf("big-2", 5000));
  await turn();
  expect(runs).toHaveLength(2);
  runs[1]!.finish();
  await turn();
  await turn();
  expect(runs.map((r) => [r.writer, r.names])[2]).toEqual(["thread", ["big-2"]]);

  // Behind that thread batch, a small one that is already worth posting goes to the thread too.
  void queue.submit(appendOf("small-2", 600));
  void queue.submit(appendOf("small-3", 600));
  await turn();
  expect(runs.map((r) => [r.writer, r.names])[3]).toEqual(["thread", ["small-2", "small-3"]]);
  runs[2]!.finish();
  runs[3]!.finish();
  const closed = queue.close();
  await turn();
  await closed;
});

test("bulk deletions go to the writer thread however few bytes they carry", async () => {
  const runs: Run[] = [];
  const queue = queueWith(runs);
  void queue.submitInternal({ op: "collect-wal", req: { streamId: 1, chunk: { rows: 2000, bytes: 2 * 1024 * 1024 } } });
  void queue.submit(appendOf("tiny", 10));
  await turn();
  expect(runs.map((r) => [r.writer, r.names])).toEqual([["thread", ["collect-wal", "tiny"]]]);
  runs[0]!.finish();
  await turn();
  void queue.submit(appendOf("tiny-2", 10));
  await turn();
  expect(runs.map((r) => [r.writer, r.names])[1]).toEqual(["inline", ["tiny-2"]]);
  runs[1]!.finish();
  await queue.close();
});

test("a batch holding a record large enough for a payload file runs inline, whatever its bytes, and never behind a thread batch", async () => {
  const runs: Run[] = [];
  const queue = queueWith(runs, { payloadRecordBytes: 500 });
  const writers = () => runs.map((r) => [r.writer, r.names]);
  // Past the thread's byte bound, but its record belongs in a payload file: inline.
  void queue.submit(appendOf("record", 1500));
  await turn();
  expect(writers()).toEqual([["inline", ["record"]]]);
  runs[0]!.finish();
  await turn();
  await turn();

  // A thread batch (many bytes of small records) in flight: a payload-file record waits for
  // it instead of going behind it, even with enough bytes queued for a second thread batch.
  void queue.submit(appendOfRecords("smalls", 4, 300));
  await turn();
  void queue.submit(appendOf("record-2", 600));
  void queue.submit(appendOf("small-2", 499));
  await turn();
  expect(writers().slice(1)).toEqual([["thread", ["smalls"]]]);
  runs[1]!.finish();
  await turn();
  await turn();
  expect(writers()[2]).toEqual(["inline", ["record-2", "small-2"]]);
  runs[2]!.finish();
  await queue.close();
});

test("bulk work and payload-file records never share a batch", async () => {
  const runs: Run[] = [];
  const queue = queueWith(runs, { payloadRecordBytes: 500 });
  const writers = () => runs.map((r) => [r.writer, r.names]);
  void queue.submit(appendOf("record", 600));
  void queue.submitInternal({ op: "collect-wal", req: { streamId: 1, chunk: { rows: 10, bytes: 1000 } } });
  await turn();
  // Internal work goes first; the record waits for the next batch, which runs inline.
  expect(writers()).toEqual([["thread", ["collect-wal"]]]);
  runs[0]!.finish();
  await turn();
  await turn();
  expect(writers()[1]).toEqual(["inline", ["record"]]);
  runs[1]!.finish();
  await queue.close();
});
