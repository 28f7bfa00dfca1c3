// Goal: the `search` block is accepted exactly as spec 03 §5.8 describes, and each refusal
// names the field path it is about.
import { expect, test } from "bun:test";
import { parseSearchConfig } from "../../../src/schema/search-config.ts";

const at = (pointer: string) => [{ version: 1, jsonPointer: pointer }];
const base = () => ({
  primaryTimestampField: "eventTime",
  fields: {
    eventTime: { kind: "date", bindings: at("/at"), exact: true, column: true, sortable: true, aggregatable: true },
    status: { kind: "integer", bindings: at("/status"), exact: true, aggregatable: true },
    service: { kind: "keyword", bindings: at("/service"), exact: true, prefix: true, normalizer: "lowercase_v1" },
    message: { kind: "text", bindings: at("/msg"), analyzer: "unicode_word_v1", positions: true },
  } as Record<string, unknown>,
});
const refusal = (search: unknown) => {
  const parsed = parseSearchConfig(search);
  return parsed.ok ? "accepted" : parsed.message;
};

test("a complete block is accepted, names trimmed", () => {
  const search = {
    ...base(),
    profile: "custom",
    defaultFields: [{ field: "message", boost: 2 }],
    containsDefaultFields: ["message"],
    aliases: { " svc ": "service" },
    rollups: { perService: { dimensions: ["service"], intervals: ["1m", "1h"], measures: { n: { kind: "count" }, s: { kind: "summary", field: "status", histogram: "log2_v1" } } } },
  };
  const parsed = parseSearchConfig(search);
  expect(parsed.ok && Object.keys(parsed.value.aliases!)).toEqual(["svc"]);
});

test("unknown keys and bad names are refused with their path", () => {
  expect(refusal({ ...base(), indexes: [] })).toBe("search.indexes is not supported");
  expect(refusal({ ...base(), fields: { ...base().fields, "bad name": { kind: "keyword", bindings: at("/x") } } })).toBe("search.fields.bad name must match ^[a-zA-Z0-9][a-zA-Z0-9._-]*$");
  expect(refusal({ ...base(), fields: { ...base().fields, ["a".repeat(65)]: { kind: "keyword", bindings: at("/x") } } })).toBe(`search.fields.${"a".repeat(65)} too long (max 64)`);
  expect(refusal({ ...base(), fields: { ...base().fields, x: { kind: "keyword", bindings: at("/x"), fuzzy: true } } })).toBe("search.fields.x.fuzzy is not supported");
  expect(refusal({ ...base(), fields: {} })).toBe("search.fields must be a non-empty object");
});

test("the primary timestamp must be a declared date field", () => {
  expect(refusal({ ...base(), primaryTimestampField: "nope" })).toBe("search.primaryTimestampField must reference a declared field");
  expect(refusal({ ...base(), primaryTimestampField: "status" })).toBe("search.primaryTimestampField must reference a date field");
});

test("field kinds and capabilities combine as the spec allows", () => {
  const withField = (field: unknown) => refusal({ ...base(), fields: { ...base().fields, f: field } });
  expect(withField({ kind: "text", bindings: at("/t") })).toBe("search.fields.f.analyzer is required for text fields");
  expect(withField({ kind: "text", bindings: at("/t"), analyzer: "unicode_word_v1", sortable: true })).toBe("search.fields.f.sortable is not allowed on text fields");
  expect(withField({ kind: "keyword", bindings: at("/t"), positions: true })).toBe("search.fields.f.positions is only allowed on text fields");
  expect(withField({ kind: "keyword", bindings: at("/t"), analyzer: "unicode_word_v1" })).toBe("search.fields.f.analyzer is not allowed on keyword fields");
  expect(withField({ kind: "float", bindings: at("/t"), prefix: true })).toBe("search.fields.f.prefix is not allowed on float fields");
  expect(withField({ kind: "date", bindings: at("/t"), normalizer: "lowercase_v1" })).toBe("search.fields.f.normalizer is not allowed on date fields");
  expect(withField({ kind: "uuid", bindings: at("/t") })).toBe("search.fields.f.kind must be keyword|text|integer|float|date|bool");
  expect(withField({ kind: "keyword", bindings: [{ version: 1, jsonPointer: "/a" }, { version: 1, jsonPointer: "/b" }] })).toBe("search.fields.f.bindings.1.version must be unique per field");
  expect(withField({ kind: "keyword", bindings: [{ version: 0, jsonPointer: "/a" }] })).toBe("search.fields.f.bindings.0.version must be a positive integer");
  expect(withField({ kind: "keyword", bindings: [{ version: 1, jsonPointer: "a" }] })).toBe("search.fields.f.bindings.0.jsonPointer must be a JSON pointer");
});

test("default fields, aliases and rollups must reference declared fields of the right kind", () => {
  expect(refusal({ ...base(), defaultFields: [{ field: "nope" }] })).toBe("search.defaultFields.0.field must reference a declared field");
  expect(refusal({ ...base(), defaultFields: [{ field: "message", boost: 0 }] })).toBe("search.defaultFields.0.boost must be a finite number > 0");
  expect(refusal({ ...base(), aliases: { m: "nope" } })).toBe("search.aliases.m must reference a declared field");
  const rollup = (r: Record<string, unknown>) => refusal({ ...base(), rollups: { r: { intervals: ["1m"], measures: { n: { kind: "count" } }, ...r } } });
  expect(rollup({ dimensions: ["message"] })).toBe("search.rollups.r.dimensions.0 must reference an exact-capable field");
  expect(rollup({ intervals: ["0s"] })).toBe("search.rollups.r.intervals.0 must be a positive duration string");
  expect(rollup({ intervals: [] })).toBe("search.rollups.r.intervals must be a non-empty array");
  expect(rollup({ measures: {} })).toBe("search.rollups.r.measures must be a non-empty object");
  expect(rollup({ measures: { x: { kind: "median" } } })).toBe("search.rollups.r.measures.x.kind must be count, summary, or summary_parts");
  expect(rollup({ measures: { x: { kind: "summary", field: "service" } } })).toBe("search.rollups.r.measures.x.field must reference an aggregatable integer or float field");
  expect(rollup({ timestampField: "status" })).toBe("search.rollups.r.timestampField must reference a declared date field");
  expect(rollup({ measures: { p: { kind: "summary_parts", countJsonPointer: "/c", sumJsonPointer: "/s", minJsonPointer: "/a", maxJsonPointer: "/b" } } })).toBe("accepted");
});
