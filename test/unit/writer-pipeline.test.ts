// Goal: the writer thread never commits a batch before its payloads are durable, and never
// out of arrival order, even when a later batch has nothing to wait for; a batch whose
// payload write fails is answered as failed and commits nothing, and the ones behind go on.
// Method: the pipeline over a fake appender whose syncs finish when the test says so.
import { expect, test } from "bun:test";
import type { BatchReply, WriteCommand } from "../../src/engine/write-commands.ts";
import { WriterPipeline } from "../../src/engine/writer-pipeline.ts";
import type { PayloadAppender, PayloadRef } from "../../src/storage/payload-files.ts";

function append(name: string, bytes: number): WriteCommand {
  return {
    op: "append",
    req: { name, contentType: "text/plain", records: { chunks: [new Uint8Array(bytes)], count: 1 }, routingKey: null, close: false, producer: null, streamSeq: null, timestampMs: null, metaVersion: 0 },
  };
}

/** An appender whose writes become durable (or fail) only when the test settles them. */
function fakeAppender() {
  const syncs: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  let position = 0;
  const appender = {
    write(payloads: readonly Uint8Array[]): { refs: PayloadRef[]; durable: Promise<void> } {
      const refs = payloads.map((p) => {
        const ref = { file: 1, position };
        position += 16 + p.byteLength;
        return ref;
      });
      return { refs, durable: new Promise<void>((resolve, reject) => syncs.push({ resolve, reject })) };
    },
  };
  return { appender: appender as unknown as PayloadAppender, syncs };
}

const ok = (n: number): BatchReply => ({ ok: true, results: [], commitMs: n, rows: [], removed: [], notify: [], purgeScheduled: false, purged: [], publishes: [], deadPayloadFiles: [] });
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

test("batches commit in arrival order, each only once its payloads are durable", async () => {
  const { appender, syncs } = fakeAppender();
  const executed: Array<{ names: string[]; refs: Array<PayloadRef | null> | undefined }> = [];
  const answered: number[] = [];
  const pipeline = new WriterPipeline(
    (commands) => {
      executed.push({ names: commands.map((c) => (c.op === "append" ? c.req.name : c.op)), refs: commands[0]!.op === "append" ? commands[0]!.req.records.refs : undefined });
      return ok(executed.length);
    },
    (id) => answered.push(id),
    appender,
    1000,
  );
  pipeline.submit(1, [append("large", 5000), append("small", 10)]);
  pipeline.submit(2, [append("small-2", 10)]); // nothing to wait for, but behind batch 1
  await tick();
  expect(executed).toEqual([]);
  expect(answered).toEqual([]);

  const drained = pipeline.drained();
  syncs[0]!.resolve();
  await drained;
  expect(executed.map((e) => e.names)).toEqual([["large", "small"], ["small-2"]]);
  expect(answered).toEqual([1, 2]);
  // The large record went to the file; the small ones stayed inline.
  expect(executed[0]!.refs).toEqual([{ file: 1, position: 0 }]);
  expect(executed[1]!.refs).toBeUndefined();
});

test("a batch whose payload sync fails is answered failed without running; the next one runs", async () => {
  const { appender, syncs } = fakeAppender();
  const executed: string[] = [];
  const replies = new Map<number, BatchReply>();
  const pipeline = new WriterPipeline(
    (commands) => {
      executed.push(commands.map((c) => (c.op === "append" ? c.req.name : c.op)).join());
      return ok(0);
    },
    (id, reply) => replies.set(id, reply),
    appender,
    1000,
  );
  pipeline.submit(1, [append("a", 2000)]);
  pipeline.submit(2, [append("b", 2000)]);
  syncs[1]!.resolve();
  await tick();
  expect(replies.size).toBe(0); // 2 is durable, but 1 is not settled yet
  syncs[0]!.reject(new Error("EIO"));
  await pipeline.drained();
  expect(replies.get(1)).toEqual({ ok: false, message: "payload file write failed: EIO", code: null });
  expect(replies.get(2)!.ok).toBe(true);
  expect(executed).toEqual(["b"]);
});

test("without an appender every payload stays inline and batches run at once", () => {
  const executed: number[] = [];
  const pipeline = new WriterPipeline((commands) => (executed.push(commands.length), ok(0)), () => {}, null, 1);
  const command = append("x", 5000);
  pipeline.submit(1, [command]);
  expect(executed).toEqual([1]);
  expect(command.op === "append" && command.req.records.refs).toBeUndefined();
});
