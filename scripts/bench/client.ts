// Small HTTP client helpers and statistics shared by the benchmark scenarios. Every request
// carries a timeout, so no scenario can hang on a stuck server.

export const REQUEST_TIMEOUT_MS = 15_000;

export function streamUrl(base: string, name: string): string {
  return `${base}/v1/stream/${encodeURIComponent(name)}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

export function requestSignal(extra?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  return extra ? AbortSignal.any([timeout, extra]) : timeout;
}

/** PUT; returns the status (201 created, 200 already there with this configuration). */
export async function createStream(base: string, name: string, contentType: string): Promise<number> {
  const res = await fetch(streamUrl(base, name), {
    method: "PUT",
    headers: { "content-type": contentType },
    signal: requestSignal(),
  });
  await res.arrayBuffer();
  return res.status;
}

export async function createStreamOrThrow(base: string, name: string, contentType: string): Promise<void> {
  const status = await createStream(base, name, contentType);
  if (status !== 201 && status !== 200) throw new Error(`PUT ${name} on ${base} answered ${status}`);
}

/** POST; returns the status (the body, if any, is drained so the connection is reused). */
export async function append(base: string, name: string, body: Uint8Array | string, contentType: string): Promise<number> {
  const res = await fetch(streamUrl(base, name), {
    method: "POST",
    headers: { "content-type": contentType },
    body,
    signal: requestSignal(),
  });
  await res.arrayBuffer();
  return res.status;
}

export async function appendOrThrow(base: string, name: string, body: Uint8Array | string, contentType: string): Promise<void> {
  const status = await append(base, name, body, contentType);
  if (status !== 204 && status !== 200) throw new Error(`POST ${name} on ${base} answered ${status}`);
}

export async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: requestSignal() });
  return res.json();
}

/** Runs `count` workers until each returns false or the deadline passes; returns elapsed ms. */
export async function runWorkers(count: number, deadline: number, step: (worker: number) => Promise<boolean>, maxStepsPerWorker = 10_000_000): Promise<number> {
  const started = performance.now();
  const worker = async (index: number): Promise<void> => {
    for (let n = 0; n < maxStepsPerWorker && performance.now() < deadline; n++) {
      if (!(await step(index))) return;
    }
  };
  await Promise.all(Array.from({ length: count }, (_, i) => worker(i)));
  return performance.now() - started;
}

/** The q-quantile (0..1) of the values, nearest-rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
