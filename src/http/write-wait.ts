// Waiting for a queued write, and mapping the queue's refusals to statuses.
import { QueueClosedError, QueueFullError, WriteFailedError, WriteTimeoutError } from "../engine/write-queue.ts";
import { DsError } from "./errors.ts";

export async function awaitWrite<T>(pending: Promise<T>): Promise<T> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof QueueFullError) {
      throw new DsError(429, "overloaded", "ingest queue is full; retry later", { "retry-after": "1" });
    }
    if (error instanceof QueueClosedError) {
      throw new DsError(503, "unavailable", "server shutting down", { "retry-after": "5" });
    }
    if (error instanceof WriteTimeoutError) {
      throw new DsError(408, "append_timeout", "write not started in time; nothing was written, safe to retry");
    }
    if (error instanceof WriteFailedError) throw new DsError(500, "internal", "write failed; nothing was written");
    throw error;
  }
}
