// Finding an evlog record's request id and trace context (spec 03 §3.2.3): configured
// dotted paths first, then the conventional places, then a W3C `traceparent` header value.
export interface Correlation {
  requestIdFields?: string[];
  traceContextFields?: string[];
  parseTraceparent?: boolean;
}

const DEFAULT_REQUEST_ID_FIELDS = ["requestId", "context.requestId"];
const TRACEPARENT_PATHS = ["traceparent", "traceContext.traceparent", "context.traceparent", "headers.traceparent"];
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/i;

/** The value at a dotted path (`a.b.c`) of an object, or undefined. */
export function valueAtPath(record: Record<string, unknown>, path: string): unknown {
  let node: unknown = record;
  for (const part of path.split(".")) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** A non-blank string, trimmed, or null. */
export function text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

function firstText(record: Record<string, unknown>, paths: readonly string[]): string | null {
  for (const path of paths) {
    const found = text(valueAtPath(record, path));
    if (found !== null) return found;
  }
  return null;
}

export function findRequestId(record: Record<string, unknown>, correlation: Correlation | undefined): string | null {
  return firstText(record, correlation?.requestIdFields ?? DEFAULT_REQUEST_ID_FIELDS);
}

/** Trace and span ids from the first `traceparent` found, lower-cased; all-zero ids count as absent. */
function parseTraceparent(record: Record<string, unknown>): { traceId: string | null; spanId: string | null } {
  for (const path of TRACEPARENT_PATHS) {
    const value = text(valueAtPath(record, path));
    const match = value === null ? null : TRACEPARENT.exec(value);
    if (!match) continue;
    const traceId = match[1]!.toLowerCase();
    const spanId = match[2]!.toLowerCase();
    return { traceId: /^0+$/.test(traceId) ? null : traceId, spanId: /^0+$/.test(spanId) ? null : spanId };
  }
  return { traceId: null, spanId: null };
}

export function findTraceContext(record: Record<string, unknown>, correlation: Correlation | undefined): { traceId: string | null; spanId: string | null } {
  const find = (field: "traceId" | "spanId"): string | null => {
    const configured = (correlation?.traceContextFields ?? []).filter((p) => p === field || p.endsWith(`.${field}`));
    return firstText(record, configured) ?? firstText(record, [field, `traceContext.${field}`]);
  };
  let traceId = find("traceId");
  let spanId = find("spanId");
  if ((traceId === null || spanId === null) && correlation?.parseTraceparent !== false) {
    const parsed = parseTraceparent(record);
    traceId ??= parsed.traceId;
    spanId ??= parsed.spanId;
  }
  return { traceId, spanId };
}
