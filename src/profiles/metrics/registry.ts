// The registries installing `metrics` puts in place (spec 03 §3.3.3–3.3.5): the interval
// envelope's schema as version 1 with `seriesKey` as the required routing key, search
// fields and the `metrics` rollup; the server's own `__stream_metrics__` gets the schema
// alone (nothing to route or index).
import { REGISTRY_API_VERSION, type SchemaRegistry } from "../../schema/registry.ts";
import type { SearchConfig } from "../../schema/search-config.ts";
import { METRICS_API_VERSION } from "./interval.ts";

const stringMap = { type: "object", additionalProperties: { type: "string" } };
const numberMap = { type: "object", additionalProperties: { type: "number" } };
const nullableNumber = { type: ["number", "null"] };
const nullableString = { type: ["string", "null"] };

const INTERVAL_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: [
    "apiVersion", "kind", "metric", "unit", "windowStart", "windowEnd", "intervalMs", "metricKind", "temporality", "instance", "stream",
    "attributes", "tags", "dimensionPairs", "dimensionKey", "seriesKey", "count", "sum", "min", "max", "buckets", "avg", "p50", "p95",
    "p99", "summary",
  ],
  properties: {
    apiVersion: { const: METRICS_API_VERSION },
    kind: { const: "interval" },
    metric: { type: "string" },
    unit: { type: "string" },
    windowStart: { type: "integer" },
    windowEnd: { type: "integer" },
    intervalMs: { type: "integer" },
    metricKind: { type: "string" },
    temporality: { type: "string" },
    instance: nullableString,
    stream: nullableString,
    attributes: stringMap,
    tags: stringMap,
    dimensionPairs: { type: "array", items: { type: "string" } },
    dimensionKey: nullableString,
    seriesKey: { type: "string" },
    count: { type: "number" },
    sum: { type: "number" },
    min: nullableNumber,
    max: nullableNumber,
    buckets: numberMap,
    avg: { type: "number" },
    p50: { type: "number" },
    p95: { type: "number" },
    p99: { type: "number" },
    summary: {
      type: "object",
      additionalProperties: false,
      required: ["count", "sum", "min", "max", "histogram"],
      properties: { count: { type: "number" }, sum: { type: "number" }, min: nullableNumber, max: nullableNumber, histogram: numberMap },
    },
  },
};

type Field = SearchConfig["fields"][string];
const at = (name: string) => [{ version: 1, jsonPointer: `/${name}` }];
const exact = { exact: true, exists: true } as const;
const column = (kind: Field["kind"], name: string, aggregatable = true): Field => ({ kind, bindings: at(name), ...exact, column: true, sortable: true, ...(aggregatable ? { aggregatable } : {}) });
const keyword = (name: string, flags: Partial<Field>): Field => ({ kind: "keyword", bindings: at(name), ...exact, ...flags });
const lower = { normalizer: "lowercase_v1", prefix: true } as const;

const SEARCH: SearchConfig = {
  profile: "metrics",
  primaryTimestampField: "windowStart",
  fields: {
    windowStart: column("date", "windowStart"),
    windowEnd: column("date", "windowEnd", false),
    intervalMs: column("integer", "intervalMs"),
    metric: keyword("metric", { ...lower, sortable: true, aggregatable: true }),
    unit: keyword("unit", { ...lower, aggregatable: true }),
    metricKind: keyword("metricKind", { ...lower, aggregatable: true }),
    temporality: keyword("temporality", { ...lower, aggregatable: true }),
    stream: keyword("stream", { ...lower, sortable: true, aggregatable: true }),
    instance: keyword("instance", { prefix: true, sortable: true, aggregatable: true }),
    seriesKey: keyword("seriesKey", { sortable: true }),
    dimensionKey: keyword("dimensionKey", { prefix: true, sortable: true, aggregatable: true }),
    dimensionPairs: keyword("dimensionPairs", { prefix: true }),
    count: column("integer", "count"),
    sum: column("float", "sum"),
    min: column("float", "min", false),
    max: column("float", "max", false),
    avg: column("float", "avg", false),
    p95: column("float", "p95", false),
    p99: column("float", "p99", false),
  },
  aliases: { ts: "windowStart", time: "windowStart", name: "metric", dims: "dimensionKey", series: "seriesKey" },
  defaultFields: [
    { field: "metric", boost: 2 },
    { field: "stream", boost: 1.25 },
    { field: "dimensionPairs", boost: 1 },
  ],
  rollups: {
    metrics: {
      timestampField: "windowStart",
      dimensions: ["metric", "unit", "stream", "instance", "dimensionKey", "metricKind", "temporality"],
      intervals: ["10s", "1m", "5m", "1h"],
      measures: {
        value: {
          kind: "summary_parts",
          countJsonPointer: "/count",
          sumJsonPointer: "/sum",
          minJsonPointer: "/min",
          maxJsonPointer: "/max",
          histogramJsonPointer: "/buckets",
        },
      },
    },
  },
};

/** Schema v1 only: what the server's own metrics stream gets. */
export function leanMetricsRegistry(streamName: string): SchemaRegistry {
  return {
    apiVersion: REGISTRY_API_VERSION,
    schema: streamName,
    currentVersion: 1,
    boundaries: [{ offset: 0, version: 1 }],
    schemas: { "1": structuredClone(INTERVAL_SCHEMA) },
    lenses: {},
  };
}

export function metricsRegistry(streamName: string): SchemaRegistry {
  const registry = leanMetricsRegistry(streamName);
  registry.routingKey = { jsonPointer: "/seriesKey", required: true };
  registry.search = structuredClone(SEARCH);
  return registry;
}
