// SSE readers parked at the tail of a stream, fed together. When a commit changes the stream,
// one read per position (all parked readers are usually at the same one) is handed to each
// reader, which queues its events on its sink synchronously; the readers' own loops stay
// asleep. Before, every reader woke, read, wrote and parked again on its own: about 14 µs
// per reader and append (1.4 ms for 100 readers, 140 ms for 10,000), against one encoding
// and one enqueue per reader here. A reader that cannot take the data at once (its client
// is slow, the read did not reach the tail, the stream closed or went away) is woken
// instead and continues on its own path, as every reader did before.
import type { Engine, ReadView } from "../engine/engine.ts";
import type { WaitResult } from "../engine/notifier.ts";
import type { ReadResult } from "../engine/reader.ts";
import type { StreamRow } from "../storage/sqlite/streams.ts";

/** One SSE connection as the fan-out sees it. */
export interface TailReader {
  /** The last seq the client has been sent (advanced by `deliver`). */
  after: number;
  readonly view: ReadView;
  /**
   * Queues `result` (records after `after`, up to the tail) for the client without waiting
   * and advances `after`; false when it cannot, and then nothing was queued.
   */
  deliver(result: ReadResult): boolean;
}

interface Parked {
  reader: TailReader;
  settle(result: WaitResult): void;
}

interface StreamReaders {
  name: string;
  parked: Set<Parked>;
  unsubscribe: () => void;
  /** A delivery is under way; `true` when another change came in meanwhile. */
  delivering: boolean | null;
}

export class SseFanout {
  private readonly streams = new Map<number, StreamReaders>();

  constructor(private readonly engine: Engine) {}

  /**
   * Parks `reader` at the tail of `row`'s stream until it must act itself: "changed" (data it
   * could not take, closure, deletion, shutdown), "timeout" (keep-alive or age limit), or
   * "aborted". Deliveries meanwhile advance `reader.after` without resolving.
   */
  park(row: StreamRow, reader: TailReader, timeoutMs: number, signal: AbortSignal): Promise<WaitResult> {
    if (signal.aborted) return Promise.resolve("aborted");
    // A commit between the reader's last read and now has already notified: look, not wait.
    if (streamMovedPast(this.engine, row, reader.after)) return Promise.resolve("changed");
    const readers = this.readersOf(row);
    return new Promise<WaitResult>((resolve) => {
      const onAbort = (): void => parked.settle("aborted");
      const timer = setTimeout(() => parked.settle("timeout"), Math.max(0, timeoutMs));
      const parked: Parked = {
        reader,
        settle: (result) => {
          if (!readers.parked.delete(parked)) return;
          this.engine.notifier.countWaiting(-1);
          clearTimeout(timer);
          signal.removeEventListener("abort", onAbort);
          if (readers.parked.size === 0) this.release(row.id, readers);
          resolve(result);
        },
      };
      readers.parked.add(parked);
      this.engine.notifier.countWaiting(1);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  private readersOf(row: StreamRow): StreamReaders {
    let readers = this.streams.get(row.id);
    if (!readers) {
      const created: StreamReaders = { name: row.stream, parked: new Set(), unsubscribe: () => {}, delivering: null };
      this.streams.set(row.id, created);
      created.unsubscribe = this.engine.onStreamChange(row.id, (event) => this.onChange(row.id, created, event));
      readers = created;
    }
    return readers;
  }

  private release(streamId: number, readers: StreamReaders): void {
    if (this.streams.get(streamId) !== readers) return;
    this.streams.delete(streamId);
    readers.unsubscribe();
  }

  private onChange(streamId: number, readers: StreamReaders, event: "changed" | "closing"): void {
    if (event === "closing") return wakeAll(readers);
    if (readers.delivering !== null) {
      readers.delivering = true; // the running delivery reads again when it is done
      return;
    }
    void this.deliver(streamId, readers);
  }

  private async deliver(streamId: number, readers: StreamReaders): Promise<void> {
    try {
      do {
        readers.delivering = false;
        await this.deliverOnce(streamId, readers);
      } while (readers.delivering && readers.parked.size > 0);
    } catch {
      wakeAll(readers); // each reader's own path reads again and reports what went wrong
    } finally {
      readers.delivering = null;
    }
  }

  private async deliverOnce(streamId: number, readers: StreamReaders): Promise<void> {
    const row = currentIncarnation(this.engine, readers.name, streamId);
    if (!row || row.closed === 1) return wakeAll(readers);
    for (const group of groupByPosition(readers.parked)) {
      const { after, view } = group[0]!.reader;
      const result = await this.engine.read(row, after, null, view);
      if (result.records === 0 && result.upToDate) continue; // already delivered
      for (const parked of group) {
        if (!readers.parked.has(parked) || parked.reader.after !== after) continue;
        if (!result.upToDate || !parked.reader.deliver(result)) parked.settle("changed");
      }
    }
    this.engine.recordRead(row);
  }
}

/** The stream's row as last committed, while it is still the live incarnation `id`; else null. */
export function currentIncarnation(engine: Engine, name: string, id: number): StreamRow | null {
  const current = engine.lookup(name);
  return current.row && current.status === "live" && current.row.id === id ? current.row : null;
}

/** True when a reader that has been sent everything up to `after` has more to learn: records, or closure. */
export function hasNewsAfter(row: StreamRow, after: number): boolean {
  return row.closed === 1 || row.next_offset - 1 > after;
}

/**
 * True when `row`'s stream moved past `after`, closed, or is no longer this live incarnation:
 * a reader that last read up to `after` must read again rather than wait for a notification
 * that may already have gone out (a write that waited on a slow client spans commits).
 */
export function streamMovedPast(engine: Engine, row: StreamRow, after: number): boolean {
  const current = currentIncarnation(engine, row.stream, row.id);
  return !current || hasNewsAfter(current, after);
}

function wakeAll(readers: StreamReaders): void {
  for (const parked of [...readers.parked]) parked.settle("changed");
}

/** Parked readers grouped by what they would read next: one read serves a group. */
function groupByPosition(parked: Set<Parked>): Parked[][] {
  const groups = new Map<string, Parked[]>();
  for (const entry of parked) {
    const key = `${entry.reader.after}:${entry.reader.view}`;
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  return [...groups.values()];
}
