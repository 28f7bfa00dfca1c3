// `metrics` (spec 03 §3.3): canonical metric interval summaries. JSON appends become the
// interval envelope (metrics/interval.ts) keyed by `seriesKey`; installing it replaces the
// stream's registry with the canonical one (metrics/registry.ts). The server reports its
// own metrics to `__stream_metrics__`, a stream of this profile (metrics/self-report.ts).
import { closedObject } from "../util/doc-issues.ts";
import { kindField } from "./doc-fields.ts";
import { requireJsonStream } from "./install-checks.ts";
import { IntervalError, toInterval } from "./metrics/interval.ts";
import { leanMetricsRegistry, metricsRegistry } from "./metrics/registry.ts";
import type { ProfileDefinition } from "./profile.ts";

const KIND = "metrics";

/** The server's own metrics stream: created at start-up with this profile. */
export const INTERNAL_METRICS_STREAM = "__stream_metrics__";

export const metricsProfile: ProfileDefinition<{ kind: typeof KIND }> = {
  kind: KIND,
  document: closedObject({ kind: kindField(KIND) }),
  install: (ctx) => requireJsonStream(KIND, ctx),
  defaultSchema: (streamName) => (streamName === INTERNAL_METRICS_STREAM ? leanMetricsRegistry(streamName) : metricsRegistry(streamName)),
  prepareRecord(_doc, record) {
    try {
      const interval = toInterval(record);
      return { ok: true, value: interval, routingKey: interval.seriesKey };
    } catch (error) {
      if (error instanceof IntervalError) return { ok: false, message: error.message };
      throw error;
    }
  },
};
