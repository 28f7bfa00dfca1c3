// Background upkeep that runs through the writer: the expiry sweeper, the purger of
// deleted incarnations, and moving the last rows of old payload files inline. Each is
// bounded per step and yields between steps.
import type { Database } from "bun:sqlite";
import type { Logger } from "pino";
import { payloadFileToCompact } from "../storage/sqlite/payload-files.ts";
import { listExpiryCandidates } from "../storage/sqlite/streams.ts";
import type { DeleteChunk } from "../storage/sqlite/wal.ts";
import type { WriteQueue } from "./write-queue.ts";
import type { ExpiryOf } from "./stream-status.ts";

export interface HousekeepingOptions {
  expirySweepMs: number;
  expirySweepLimit: number;
  purgeChunk: DeleteChunk;
  /** A closed payload file this old with under a quarter of it live has its rows moved inline; 0 = never. */
  payloadInlineAfterMs: number;
}

/**
 * A payload file is worth emptying when less than this share of it is still live: its
 * rows belong to streams that stay in the WAL (a quiet stream below the seal thresholds)
 * and would keep the whole file on disk. Files on disk stay within 4x of their live bytes.
 */
export const PAYLOAD_FILE_LIVE_SHARE_MIN = 0.25;

export class Housekeeping {
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  private payloadTimer: ReturnType<typeof setInterval> | null = null;
  private purging = false;
  private inlining = false;
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
    const afterMs = this.options.payloadInlineAfterMs;
    if (afterMs > 0) {
      this.payloadTimer = setInterval(() => void this.inlineOldPayloads(), Math.min(60_000, Math.max(100, Math.floor(afterMs / 4))));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    if (this.payloadTimer) clearInterval(this.payloadTimer);
    this.sweepTimer = null;
    this.payloadTimer = null;
  }

  /** Empties old, mostly collected payload files one at a time; returns how many it emptied. */
  async inlineOldPayloads(): Promise<number> {
    if (this.inlining || this.stopped) return 0;
    this.inlining = true;
    let emptied = 0;
    try {
      for (;;) {
        const file = payloadFileToCompact(this.db, Date.now() - this.options.payloadInlineAfterMs, PAYLOAD_FILE_LIVE_SHARE_MIN);
        if (file === null || this.stopped) return emptied;
        while (!this.stopped) {
          const { more } = await this.queue.submitInternal({ op: "inline-payloads", req: { file, chunk: this.options.purgeChunk } });
          if (!more) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
        emptied += 1;
      }
    } catch (error) {
      if (!this.stopped) this.log.warn({ err: error }, "moving payloads inline failed");
      return emptied;
    } finally {
      this.inlining = false;
    }
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
