// The canonical evlog wide-event envelope (spec 03 §3.2.3): exactly 20 top-level keys,
// derived from whatever shape an application logs; every other input key moves into
// `context`, which is then redacted.
import { redactContext } from "./redact.ts";
import { findRequestId, findTraceContext, text, type Correlation } from "./trace-ids.ts";

const LEVELS = new Set(["debug", "info", "warn", "error"]);
const TEXT_FIELDS = ["service", "environment", "version", "region", "method", "path", "message", "why", "fix", "link"] as const;
export const RESERVED_KEYS: ReadonlySet<string> = new Set([
  "timestamp", "level", ...TEXT_FIELDS, "requestId", "traceId", "spanId", "status", "duration", "sampling", "redaction", "context",
]);

export interface EvlogEnvelope {
  timestamp: string;
  level: string;
  service: string | null;
  environment: string | null;
  version: string | null;
  region: string | null;
  requestId: string | null;
  traceId: string | null;
  spanId: string | null;
  method: string | null;
  path: string | null;
  status: number | null;
  duration: number | null;
  message: string | null;
  why: string | null;
  fix: string | null;
  link: string | null;
  sampling: unknown;
  redaction: { keys: string[] };
  context: Record<string, unknown>;
}

function number(value: unknown): number | null {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : null;
}

function levelOf(input: Record<string, unknown>, status: number | null): string {
  const given = typeof input.level === "string" ? input.level.trim().toLowerCase() : "";
  if (LEVELS.has(given)) return given;
  if (text(input.why) !== null || text(input.fix) !== null || text(input.link) !== null) return "error";
  if (status !== null && status >= 500) return "error";
  if (status !== null && status >= 400) return "warn";
  return "info";
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

function contextOf(input: Record<string, unknown>): Record<string, unknown> {
  const context: Record<string, unknown> = isObject(input.context) ? structuredClone(input.context) : {};
  for (const [key, value] of Object.entries(input)) {
    if (!RESERVED_KEYS.has(key)) context[key] = structuredClone(value);
  }
  if (Object.hasOwn(input, "context") && !isObject(input.context)) context.context = structuredClone(input.context);
  return context;
}

export function toEnvelope(input: Record<string, unknown>, correlation: Correlation | undefined, redactKeys: ReadonlySet<string>, nowMs: number): EvlogEnvelope {
  const status = number(input.status);
  const trace = findTraceContext(input, correlation);
  const texts = Object.fromEntries(TEXT_FIELDS.map((field) => [field, text(input[field])])) as Record<(typeof TEXT_FIELDS)[number], string | null>;
  const context = contextOf(input);
  const redacted = redactContext(context, redactKeys);
  return {
    timestamp: text(input.timestamp) ?? new Date(nowMs).toISOString(),
    level: levelOf(input, status),
    service: texts.service,
    environment: texts.environment,
    version: texts.version,
    region: texts.region,
    requestId: findRequestId(input, correlation),
    traceId: trace.traceId,
    spanId: trace.spanId,
    method: texts.method,
    path: texts.path,
    status: status === null ? null : Math.trunc(status),
    duration: number(input.duration),
    message: texts.message,
    why: texts.why,
    fix: texts.fix,
    link: texts.link,
    sampling: Object.hasOwn(input, "sampling") ? structuredClone(input.sampling) : null,
    redaction: { keys: redacted },
    context,
  };
}
