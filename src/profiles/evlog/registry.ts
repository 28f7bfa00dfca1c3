// The registry installing `evlog` puts in place (spec 03 §3.2.6): the envelope's schema as
// version 1, search fields over it, and default rollups so aggregates work on a fresh
// stream (the upstream code ships none; its docs promise them: docs/decisions.md).
import { REGISTRY_API_VERSION, type SchemaRegistry } from "../../schema/registry.ts";
import type { SearchConfig } from "../../schema/search-config.ts";

const nullable = (type: string) => ({ type: [type, "null"] });

const ENVELOPE_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: [
    "timestamp", "level", "service", "environment", "version", "region", "requestId", "traceId", "spanId", "method", "path",
    "status", "duration", "message", "why", "fix", "link", "sampling", "redaction", "context",
  ],
  properties: {
    timestamp: { type: "string" },
    level: { type: "string", enum: ["debug", "info", "warn", "error"] },
    ...Object.fromEntries(
      ["service", "environment", "version", "region", "requestId", "traceId", "spanId", "method", "path", "message", "why", "fix", "link"].map(
        (field) => [field, nullable("string")],
      ),
    ),
    status: nullable("integer"),
    duration: nullable("number"),
    sampling: nullable("object"),
    redaction: {
      type: "object",
      additionalProperties: false,
      required: ["keys"],
      properties: { keys: { type: "array", items: { type: "string" } } },
    },
    context: { type: "object" },
  },
};

type Field = SearchConfig["fields"][string];
const at = (pointer: string) => [{ version: 1, jsonPointer: pointer }];
const sortable = { exact: true, exists: true, sortable: true } as const;
const keyword = (pointer: string, extra: Partial<Field> = {}): Field => ({ kind: "keyword", bindings: at(pointer), ...sortable, prefix: true, ...extra });
const lowerKeyword = (pointer: string): Field => keyword(pointer, { normalizer: "lowercase_v1", aggregatable: true });
const typed = (kind: Field["kind"], pointer: string): Field => ({ kind, bindings: at(pointer), ...sortable, column: true, aggregatable: true });
const textField = (pointer: string): Field => ({ kind: "text", bindings: at(pointer), analyzer: "unicode_word_v1", exists: true, positions: true });

const SEARCH: SearchConfig = {
  profile: "evlog",
  primaryTimestampField: "timestamp",
  fields: {
    timestamp: typed("date", "/timestamp"),
    level: lowerKeyword("/level"),
    service: lowerKeyword("/service"),
    environment: lowerKeyword("/environment"),
    requestId: keyword("/requestId"),
    traceId: keyword("/traceId"),
    spanId: keyword("/spanId"),
    path: keyword("/path", { aggregatable: true }),
    method: lowerKeyword("/method"),
    status: typed("integer", "/status"),
    duration: typed("float", "/duration"),
    message: textField("/message"),
    why: textField("/why"),
    fix: textField("/fix"),
    "error.message": textField("/context/error/message"),
  },
  aliases: { env: "environment", msg: "message", req: "requestId", span: "spanId", time: "timestamp", trace: "traceId", ts: "timestamp" },
  defaultFields: [
    { field: "message", boost: 2 },
    { field: "why", boost: 1.5 },
    { field: "fix", boost: 1.25 },
    { field: "error.message", boost: 2 },
  ],
  rollups: {
    requests: {
      timestampField: "timestamp",
      dimensions: ["service", "environment", "level", "method", "status"],
      intervals: ["1m", "5m", "1h"],
      measures: {
        events: { kind: "count" },
        errors: { kind: "count", include: "level:error" },
        duration: { kind: "summary", field: "duration", histogram: "log2_v1" },
      },
    },
  },
};

export function evlogRegistry(streamName: string): SchemaRegistry {
  return {
    apiVersion: REGISTRY_API_VERSION,
    schema: streamName,
    currentVersion: 1,
    search: structuredClone(SEARCH),
    boundaries: [{ offset: 0, version: 1 }],
    schemas: { "1": structuredClone(ENVELOPE_SCHEMA) },
    lenses: {},
  };
}
