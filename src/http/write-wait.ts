// Waiting for a queued write: bounded by the append budget, and mapping queue refusals.
import { QueueClosedError, QueueFullError } from "../engine/append-queue.ts";
import type { HttpDeps } from "./env.ts";
import { DsError } from "./errors.ts";

/**
 * Resolves with the write's outcome, or fails with 408 when it has not committed within
 * the append budget (the write may still commit: the client checks the tail before
 * retrying), 429 when the queue is full, 503 during shutdown.
 */
export async function awaitWrite<T>(pending: Promise<T>, deps: HttpDeps): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DsError(408, "append_timeout", "write not committed in time; outcome unknown, check Stream-Next-Offset before retrying")),
      deps.config.ingest.appendTimeoutMs,
    );
  });
  try {
    return await Promise.race([pending, budget]);
  } catch (error) {
    if (error instanceof QueueFullError) {
      throw new DsError(429, "overloaded", "ingest queue is full; retry later", { "retry-after": "1" });
    }
    if (error instanceof QueueClosedError) {
      throw new DsError(503, "unavailable", "server shutting down", { "retry-after": "5" });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
