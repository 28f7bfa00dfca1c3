// The canonical metrics interval envelope (spec 03 §3.3.2): one summary of a metric over
// a time window, with its dimensions in a canonical order so that equal series get equal
// `seriesKey`s (the routing key). Pure; every refusal is a 400 message.

export const METRICS_API_VERSION = "durable.streams/metrics/v1";

export interface MetricsInterval {
  apiVersion: typeof METRICS_API_VERSION;
  kind: "interval";
  metric: string;
  unit: string;
  windowStart: number;
  windowEnd: number;
  intervalMs: number;
  metricKind: string;
  temporality: string;
  instance: string | null;
  stream: string | null;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  dimensionPairs: string[];
  dimensionKey: string | null;
  seriesKey: string;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
  buckets: Record<string, number>;
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  summary: { count: number; sum: number; min: number | null; max: number | null; histogram: Record<string, number> };
}

export class IntervalError extends Error {}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

function text(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : null;
}

function number(value: unknown): number | null {
  if (typeof value === "bigint") return Number(value);
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

function integer(value: unknown): number | null {
  const n = number(value);
  return n === null ? null : Math.trunc(n);
}

/** String values kept, numbers / booleans / bigints stringified, anything else dropped; keys sorted. */
export function dimensions(input: unknown): Record<string, string> {
  if (!isObject(input)) return {};
  const out: Record<string, string> = {};
  for (const key of Object.keys(input).sort()) {
    const value = input[key];
    if (typeof value === "string") out[key] = value;
    else if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "boolean" || typeof value === "bigint") out[key] = String(value);
  }
  return out;
}

/** Positive bucket counts summed per bucket bound. */
function histogram(input: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!isObject(input)) return out;
  for (const [key, value] of Object.entries(input)) {
    const count = number(value);
    if (count === null || count <= 0) continue;
    const bound = Number(key);
    const name = Number.isFinite(bound) ? String(bound) : key;
    out[name] = (out[name] ?? 0) + count;
  }
  return out;
}

/** The smallest bucket bound whose cumulative count reaches `total × p`, or null with no buckets. */
export function percentile(buckets: Record<string, number>, p: number): number | null {
  const bounds = Object.keys(buckets).map(Number).filter(Number.isFinite).sort((a, b) => a - b);
  const total = bounds.reduce((n, b) => n + buckets[String(b)]!, 0);
  if (total === 0) return null;
  let cumulative = 0;
  for (const bound of bounds) {
    cumulative += buckets[String(bound)]!;
    if (cumulative >= total * p) return bound;
  }
  return bounds[bounds.length - 1]!;
}

function window(input: Record<string, unknown>): { windowStart: number; windowEnd: number; intervalMs: number } {
  const windowStart = integer(input.windowStart);
  const windowEnd = integer(input.windowEnd);
  if (windowStart === null || windowEnd === null) throw new IntervalError("metrics record.windowStart and windowEnd must be integers");
  if (windowEnd < windowStart) throw new IntervalError("metrics record.windowEnd must be >= windowStart");
  const given = input.intervalMs;
  const intervalMs = given === undefined || given === null ? windowEnd - windowStart : integer(given);
  if (intervalMs === null) throw new IntervalError("metrics record.intervalMs must be an integer");
  if (intervalMs < 0) throw new IntervalError("metrics record.intervalMs must be >= 0");
  return { windowStart, windowEnd, intervalMs };
}

export function toInterval(input: unknown): MetricsInterval {
  if (!isObject(input)) throw new IntervalError("metrics record must be an object");
  const kind = input.kind === undefined ? "interval" : typeof input.kind === "string" ? input.kind.trim() : null;
  if (kind !== "interval") throw new IntervalError("metrics record.kind must be interval");
  const metric = text(input.metric);
  if (metric === null) throw new IntervalError("metrics record.metric must be a non-empty string");
  const unit = text(input.unit);
  if (unit === null) throw new IntervalError("metrics record.unit must be a non-empty string");
  const span = window(input);
  const metricKind = text(input.metricKind) ?? "summary";
  const temporality = text(input.temporality) ?? "delta";
  const instance = text(input.instance);
  const stream = text(input.stream);
  const dims = dimensions(input.attributes !== undefined ? input.attributes : input.tags);
  const dimensionPairs = Object.entries(dims).map(([k, v]) => `${k}=${v}`).sort();
  const dimensionKey = dimensionPairs.length > 0 ? dimensionPairs.join("\u0000") : null;

  const summary = isObject(input.summary) ? input.summary : {};
  const count = number(input.count ?? summary.count);
  if (count === null || count < 0) throw new IntervalError("metrics interval requires count");
  const sum = number(input.sum ?? summary.sum);
  if (sum === null) throw new IntervalError("metrics interval requires sum");
  const extreme = (value: unknown) => (count === 0 ? null : (number(value) ?? 0));
  const min = extreme(input.min ?? summary.min);
  const max = extreme(input.max ?? summary.max);
  const buckets = histogram(input.buckets !== undefined ? input.buckets : summary.histogram);
  const quantile = (given: unknown, p: number) => number(given) ?? percentile(buckets, p) ?? 0;

  return {
    apiVersion: METRICS_API_VERSION,
    kind: "interval",
    metric,
    unit,
    ...span,
    metricKind,
    temporality,
    instance,
    stream,
    attributes: dims,
    tags: { ...dims },
    dimensionPairs,
    dimensionKey,
    seriesKey: [metricKind, temporality, metric, unit, stream ?? "", instance ?? "", dimensionKey ?? ""].join("|"),
    count,
    sum,
    min,
    max,
    buckets,
    avg: number(input.avg) ?? (count === 0 ? 0 : sum / count),
    p50: quantile(input.p50, 0.5),
    p95: quantile(input.p95, 0.95),
    p99: quantile(input.p99, 0.99),
    summary: { count, sum, min, max, histogram: { ...buckets } },
  };
}
