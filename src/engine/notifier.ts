// Wakes long-poll and SSE readers when their stream changes. Waiters live in memory only;
// the writer calls `notify` after each commit, so a waiting reader never polls SQLite.
export type WaitResult = "changed" | "timeout" | "aborted";

/** What a subscriber hears: a change to its stream, or the server closing (the last call). */
export type StreamEvent = "changed" | "closing";

interface Waiter {
  settle(result: WaitResult): void;
}

export class Notifier {
  private readonly waiters = new Map<number, Set<Waiter>>();
  /** Standing listeners (the SSE fan-out), one per stream at most in practice. */
  private readonly listeners = new Map<number, Set<(event: StreamEvent) => void>>();
  private count = 0;
  private closed = false;

  /** Live readers waiting: this notifier's waiters, and those parked with a subscriber. */
  get waiterCount(): number {
    return this.count;
  }

  /** A subscriber's readers waiting through it (the SSE fan-out) count as waiters too. */
  countWaiting(delta: number): void {
    this.count += delta;
  }

  /**
   * Resolves on the next change to the stream, after `timeoutMs`, or when `signal` aborts.
   * Callers check the stream state first and call this in the same synchronous turn, so no
   * commit can slip between the check and the registration.
   */
  wait(streamId: number, timeoutMs: number, signal?: AbortSignal): Promise<WaitResult> {
    if (signal?.aborted) return Promise.resolve("aborted");
    if (this.closed) return Promise.resolve("timeout");
    return new Promise<WaitResult>((resolve) => {
      let set = this.waiters.get(streamId);
      if (!set) {
        set = new Set();
        this.waiters.set(streamId, set);
      }
      const waiters = set;
      const onAbort = (): void => waiter.settle("aborted");
      const timer = setTimeout(() => waiter.settle("timeout"), Math.max(0, timeoutMs));
      const waiter: Waiter = {
        settle: (result) => {
          if (!waiters.delete(waiter)) return;
          this.count -= 1;
          if (waiters.size === 0 && this.waiters.get(streamId) === waiters) this.waiters.delete(streamId);
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
          resolve(result);
        },
      };
      waiters.add(waiter);
      this.count += 1;
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Calls `listener` on every change to the stream, synchronously inside `notify`, until the
   * returned function is called; a closing notifier calls it once more with "closing".
   */
  subscribe(streamId: number, listener: (event: StreamEvent) => void): () => void {
    if (this.closed) {
      listener("closing");
      return () => {};
    }
    let set = this.listeners.get(streamId);
    if (!set) {
      set = new Set();
      this.listeners.set(streamId, set);
    }
    set.add(listener);
    const listeners = set;
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(streamId) === listeners) this.listeners.delete(streamId);
    };
  }

  /** Wakes every reader of the stream (append, close, delete). */
  notify(streamId: number): void {
    const set = this.waiters.get(streamId);
    if (set) for (const waiter of [...set]) waiter.settle("changed");
    const listeners = this.listeners.get(streamId);
    if (listeners) for (const listener of [...listeners]) listener("changed");
  }

  /** Wakes everyone and refuses new waits: long-polls answer before the server stops. */
  close(): void {
    this.closed = true;
    for (const id of [...this.waiters.keys()]) this.notify(id);
    const listeners = [...this.listeners.values()].flatMap((set) => [...set]);
    this.listeners.clear();
    for (const listener of listeners) listener("closing");
  }
}
