// Goal: the SSE fan-out feeds parked readers with one read per change and wakes a reader
// exactly when it must act itself (data it cannot take, a partial read, closure, shutdown,
// timeout, abort), and never lets a change slip between a reader's last read and its park.
// Method: the fan-out against a fake engine whose stream tail the test moves by hand.
import { expect, test } from "bun:test";
import type { Engine } from "../../src/engine/engine.ts";
import type { StreamEvent } from "../../src/engine/notifier.ts";
import type { ReadResult } from "../../src/engine/reader.ts";
import type { StreamRow } from "../../src/storage/sqlite/streams.ts";
import { SseFanout, type TailReader } from "../../src/http/sse-fanout.ts";

class FakeEngine {
  row = { id: 7, stream: "s", next_offset: 1, closed: 0 } as StreamRow;
  listeners = new Set<(event: StreamEvent) => void>();
  reads: Array<{ after: number }> = [];
  /** Reads stay pending until released, to interleave changes with a delivery. */
  holdReads = false;
  private held: Array<() => void> = [];
  maxRecordsPerRead = Number.POSITIVE_INFINITY;

  lookup(name: string) {
    return { row: name === this.row.stream ? { ...this.row } : null, status: "live" };
  }

  onStreamChange(_id: number, listener: (event: StreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  read(row: StreamRow, after: number): Promise<ReadResult> {
    this.reads.push({ after });
    const tail = row.next_offset - 1;
    const through = Math.min(tail, after + this.maxRecordsPerRead);
    const result: ReadResult = { chunks: [], starts: [], records: through - after, bytes: 0, throughSeq: through, upToDate: through === tail };
    if (!this.holdReads) return Promise.resolve(result);
    return new Promise((resolve) => this.held.push(() => resolve(result)));
  }

  release(): void {
    for (const resume of this.held.splice(0)) resume();
  }

  recordRead(): void {}

  waiting = 0;
  notifier = { countWaiting: (delta: number) => (this.waiting += delta) };

  /** An append of `records` committed: the tail moves and subscribers hear of it. */
  append(records: number, closed = false): void {
    this.row = { ...this.row, next_offset: this.row.next_offset + records, closed: closed ? 1 : 0 };
    for (const listener of [...this.listeners]) listener("changed");
  }
}

function reader(after: number, accept = true): TailReader & { received: number[] } {
  const r = {
    after,
    view: "stored" as const,
    received: [] as number[],
    deliver(result: ReadResult): boolean {
      if (!accept) return false;
      r.received.push(result.throughSeq);
      r.after = result.throughSeq;
      return true;
    },
  };
  return r;
}

const settled = async <T>(promise: Promise<T>): Promise<T | "pending"> => Promise.race([promise, Bun.sleep(5).then(() => "pending" as const)]);

test("a reader whose stream moved since its last read is told at once", async () => {
  const engine = new FakeEngine();
  engine.row = { ...engine.row, next_offset: 5 };
  const fanout = new SseFanout(engine as unknown as Engine);
  expect(await fanout.park(engine.row, reader(2), 10_000, new AbortController().signal)).toBe("changed");
  expect(engine.listeners.size).toBe(0);
});

test("one read per change feeds every parked reader, which stays parked", async () => {
  const engine = new FakeEngine();
  const fanout = new SseFanout(engine as unknown as Engine);
  const readers = [reader(0), reader(0), reader(0)];
  const abort = new AbortController();
  const parks = readers.map((r) => fanout.park(engine.row, r, 10_000, abort.signal));
  engine.append(2);
  await Bun.sleep(1);
  engine.append(3);
  await Bun.sleep(1);
  expect(engine.reads).toEqual([{ after: 0 }, { after: 2 }]);
  for (const r of readers) expect(r.received).toEqual([2, 5]);
  for (const park of parks) expect(await settled(park)).toBe("pending");
  expect(engine.waiting).toBe(3); // parked readers count as live waiters in the metrics
  abort.abort();
  for (const park of parks) expect(await park).toBe("aborted");
  expect(engine.listeners.size).toBe(0);
  expect(engine.waiting).toBe(0);
});

test("a reader that cannot take the data, or a read short of the tail, wakes the reader instead", async () => {
  const engine = new FakeEngine();
  const fanout = new SseFanout(engine as unknown as Engine);
  const signal = new AbortController().signal;
  const full = reader(0, false);
  const keeping = reader(0);
  const fullPark = fanout.park(engine.row, full, 10_000, signal);
  const keepingPark = fanout.park(engine.row, keeping, 10_000, signal);
  engine.append(1);
  expect(await fullPark).toBe("changed");
  expect(full.after).toBe(0);
  expect(await settled(keepingPark)).toBe("pending");
  expect(keeping.after).toBe(1);

  engine.maxRecordsPerRead = 2;
  engine.append(5);
  expect(await keepingPark).toBe("changed");
  expect(keeping.after).toBe(1); // the reader reads the rest itself, from where the client is
});

test("a change during a delivery is read once the delivery is done", async () => {
  const engine = new FakeEngine();
  const fanout = new SseFanout(engine as unknown as Engine);
  const r = reader(0);
  const park = fanout.park(engine.row, r, 10_000, new AbortController().signal);
  engine.holdReads = true;
  engine.append(1);
  engine.append(1); // lands while the first read is still under way
  engine.release();
  await Bun.sleep(1);
  engine.release();
  await Bun.sleep(1);
  expect(engine.reads.map((read) => read.after)).toEqual([0, 1]); // the first read saw the first append only
  expect(r.after).toBe(2);
  expect(await settled(park)).toBe("pending");
});

test("closure and shutdown wake every parked reader; a quiet stream times out", async () => {
  const engine = new FakeEngine();
  const fanout = new SseFanout(engine as unknown as Engine);
  const signal = new AbortController().signal;
  const closing = [reader(0), reader(0)].map((r) => fanout.park(engine.row, r, 10_000, signal));
  engine.append(1, true);
  for (const park of closing) expect(await park).toBe("changed");

  const other = new FakeEngine();
  const otherFanout = new SseFanout(other as unknown as Engine);
  const parked = otherFanout.park(other.row, reader(0), 10_000, signal);
  for (const listener of [...other.listeners]) listener("closing");
  expect(await parked).toBe("changed");

  expect(await otherFanout.park(other.row, reader(0), 5, signal)).toBe("timeout");
  expect(other.listeners.size).toBe(0);
});
