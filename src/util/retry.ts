// Retrying an async operation with capped exponential backoff and jitter, each attempt
// bounded by a timeout (spec 02 §7.2). Leaf helper: no project imports.
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Per-attempt budget; an attempt still running then counts as failed. */
  attemptTimeoutMs: number;
}

export class AttemptTimeoutError extends Error {
  constructor(ms: number) {
    super(`attempt timed out after ${ms} ms`);
  }
}

export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(delay * (0.9 + 0.2 * random()));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Runs `attempt` until it succeeds or the retries are spent; rethrows the last error.
 * An aborted `signal` stops retrying (the last error is rethrown at once).
 */
export async function retry<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await withTimeout(attempt(n), policy.attemptTimeoutMs);
    } catch (error) {
      if (n >= policy.retries || signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffMs(n, policy)));
    }
  }
}
