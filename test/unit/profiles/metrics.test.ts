// Goal: metrics turns interval summaries into the canonical envelope (spec 03 §3.3.2) with
// dimensions in canonical order, so equal series get equal `seriesKey`s (the routing key),
// and refuses records that are not interval summaries, naming what is wrong.
import { describe, expect, test } from "bun:test";
import { INTERNAL_METRICS_STREAM, metricsProfile } from "../../../src/profiles/metrics.ts";
import { runProfileContract } from "../../support/profile-contract.ts";

const httpLatency = {
  metric: "http.server.duration",
  unit: "ms",
  windowStart: 1_700_000_000_000,
  windowEnd: "1700000010000",
  stream: "checkout",
  instance: "api-1",
  attributes: { route: "/orders", method: "POST", status: 200, canary: false, dropped: { nested: true } },
  summary: { count: 40, sum: 2400, min: 12, max: 310, histogram: { "50": 10, "100": 22, "250": 6, "500": 2, "1000": 0 } },
};

runProfileContract({
  profile: metricsProfile,
  documents: [],
  records: [httpLatency, { metric: "queue.depth", unit: "jobs", windowStart: 0, windowEnd: 0, count: 0, sum: 0, tags: { queue: "mail" } }],
});

function prepare(record: unknown) {
  return metricsProfile.prepareRecord!({ kind: "metrics" }, structuredClone(record), 0);
}

describe("normalization", () => {
  test("a latency summary with several tags", () => {
    const prepared = prepare(httpLatency);
    if (!prepared.ok) throw new Error(prepared.message);
    const pairs = ["canary=false", "method=POST", "route=/orders", "status=200"];
    const seriesKey = `summary|delta|http.server.duration|ms|checkout|api-1|${pairs.join("\u0000")}`;
    expect(prepared.value).toEqual({
      apiVersion: "durable.streams/metrics/v1",
      kind: "interval",
      metric: "http.server.duration",
      unit: "ms",
      windowStart: 1_700_000_000_000,
      windowEnd: 1_700_000_010_000,
      intervalMs: 10_000,
      metricKind: "summary",
      temporality: "delta",
      instance: "api-1",
      stream: "checkout",
      attributes: { canary: "false", method: "POST", route: "/orders", status: "200" },
      tags: { canary: "false", method: "POST", route: "/orders", status: "200" },
      dimensionPairs: pairs,
      dimensionKey: pairs.join("\u0000"),
      seriesKey,
      count: 40,
      sum: 2400,
      min: 12,
      max: 310,
      buckets: { "50": 10, "100": 22, "250": 6, "500": 2 },
      avg: 60,
      p50: 100,
      p95: 250,
      p99: 500,
      summary: { count: 40, sum: 2400, min: 12, max: 310, histogram: { "50": 10, "100": 22, "250": 6, "500": 2 } },
    });
    expect(prepared.routingKey).toBe(seriesKey);
  });

  test("the same series in another key order gets the same series key", () => {
    const a = prepare({ ...httpLatency, attributes: { b: "2", a: "1" } });
    const b = prepare({ ...httpLatency, attributes: { a: "1", b: "2" } });
    expect(a.ok && b.ok && a.routingKey === b.routingKey).toBe(true);
  });

  test("an empty interval: min and max null, quantiles 0, no dimensions", () => {
    const prepared = prepare({ metric: "m", unit: "u", windowStart: 5, windowEnd: 5, count: 0, sum: 0 });
    expect(prepared.ok && prepared.value).toMatchObject({ min: null, max: null, avg: 0, p50: 0, dimensionKey: null, seriesKey: "summary|delta|m|u|||" });
  });
});

describe("refusals", () => {
  const base = { metric: "m", unit: "u", windowStart: 10, windowEnd: 20, count: 1, sum: 1 };
  const message = (record: unknown) => {
    const prepared = prepare(record);
    return prepared.ok ? "accepted" : prepared.message;
  };

  test("each rule names its field", () => {
    expect(message("m")).toBe("metrics record must be an object");
    expect(message({ ...base, kind: "gauge" })).toBe("metrics record.kind must be interval");
    expect(message({ ...base, metric: " " })).toBe("metrics record.metric must be a non-empty string");
    expect(message({ ...base, unit: 1 })).toBe("metrics record.unit must be a non-empty string");
    expect(message({ ...base, windowStart: "soon" })).toBe("metrics record.windowStart and windowEnd must be integers");
    expect(message({ ...base, windowEnd: 5 })).toBe("metrics record.windowEnd must be >= windowStart");
    expect(message({ ...base, intervalMs: -1 })).toBe("metrics record.intervalMs must be >= 0");
    expect(message({ ...base, count: undefined })).toBe("metrics interval requires count");
    expect(message({ ...base, count: -1 })).toBe("metrics interval requires count");
    expect(message({ ...base, sum: undefined })).toBe("metrics interval requires sum");
  });
});

test("installing needs a JSON stream; the internal stream gets the lean registry", () => {
  const ctx = { streamName: "m", contentType: "text/plain", nextOffset: 5, currentKind: "generic" };
  expect(metricsProfile.install(ctx, { kind: "metrics" })).toBe("metrics profile requires application/json stream content-type");
  expect(metricsProfile.install({ ...ctx, contentType: "application/json" }, { kind: "metrics" })).toBeNull();
  const lean = metricsProfile.defaultSchema!(INTERNAL_METRICS_STREAM);
  expect(lean.routingKey).toBeUndefined();
  expect(lean.search).toBeUndefined();
  expect(metricsProfile.defaultSchema!("app-metrics").routingKey).toEqual({ jsonPointer: "/seriesKey", required: true });
});
