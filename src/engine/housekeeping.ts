// Background upkeep that runs through the writer: the expiry sweeper and the purger of
// deleted incarnations. Both are bounded per step and yield between steps.
import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import { listExpiryCandidates } from "../storage/sqlite/streams.ts";
import type { DeleteChunk } from "../storage/sqlite/wal.ts";
import type { WriteQueue } from "./write-queue.ts";
import type { ExpiryOf } from "./stream-status.ts";

export interface HousekeepingOptions {
  expirySweepMs: number;
  expirySweepLimit: number;
  purgeChunk: DeleteChunk;
}

export class Housekeeping {
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private purging = false;
  private stopped = false;

  constructor(
    private readonly db: Database,
    private readonly queue: WriteQueue,
    private readonly expiryOf: ExpiryOf,
    private readonly options: HousekeepingOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.options.expirySweepMs > 0) {
      this.sweepTimer = setInterval(() => void this.sweepOnce(), this.options.expirySweepMs);
    }
    this.kickPurger();
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  /** Expires up to `expirySweepLimit` streams whose deadline passed; returns how many. */
  async sweepOnce(): Promise<number> {
    if (this.stopped) return 0;
    const now = Date.now();
    const names = listExpiryCandidates(this.db, now, this.options.expirySweepLimit)
      .filter((row) => {
        const expiresAt = this.expiryOf(row);
        return expiresAt !== null && now >= expiresAt;
      })
      .map((row) => row.stream);
    if (names.length === 0) return 0;
    try {
      const expired = await this.queue.submitInternal({ op: "expire", names });
      if (expired > 0) this.log.info({ expired }, "expired streams deleted");
      return expired;
    } catch (error) {
      if (!this.stopped) this.log.warn({ err: error }, "expiry sweep failed");
      return 0;
    }
  }

  /** Starts draining `stream_purges` unless a drain is already running. */
  kickPurger(): void {
    if (this.purging || this.stopped) return;
    this.purging = true;
    void this.drainPurges().finally(() => {
      this.purging = false;
    });
  }

  private async drainPurges(): Promise<void> {
    while (!this.stopped) {
      try {
        const more = await this.queue.submitInternal({ op: "purge", chunk: this.options.purgeChunk });
        if (!more) return;
      } catch (error) {
        if (!this.stopped) this.log.warn({ err: error }, "stream purge failed");
        return;
      }
      // Let request batches run between purge chunks.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
