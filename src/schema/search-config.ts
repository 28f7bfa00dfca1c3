// The `search` block of a registry (spec 03 §5.8): field declarations with their JSON
// pointer bindings per schema version, aliases, default fields and rollups. Validated and
// stored here; the search and aggregate issues read it. Shape checks are zod, references
// between parts (a default field must be declared, ...) are checked after.
import { z } from "zod";
import { closedObject, firstIssueMessage, refuse } from "../util/doc-issues.ts";
import { parsePointer } from "./json-pointer.ts";

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
const NAME_MAX = 64;
const DURATION = /^([0-9]+)(ms|s|m|h|d)$/;

const FIELD_KINDS = ["keyword", "text", "integer", "float", "date", "bool"] as const;
const TYPED_KINDS = new Set(["integer", "float", "date", "bool"]);
/** Capability bits: only literal `true` turns one on. */
type Capability = "exact" | "prefix" | "column" | "exists" | "sortable" | "aggregatable" | "contains" | "positions";

/** A name: trimmed, pattern-checked and bounded. */
const name = z.unknown().transform((value, ctx) => {
  if (typeof value !== "string") return refuse(ctx, "must be a string");
  const trimmed = value.trim();
  if (trimmed.length > NAME_MAX) return refuse(ctx, `too long (max ${NAME_MAX})`);
  if (!NAME.test(trimmed)) return refuse(ctx, `must match ${NAME.source}`);
  return trimmed;
});

/** Object keys are names too: checked with the issue on the key's own path. */
function namedRecord<T extends z.ZodType>(value: T, emptyMessage: string | null) {
  return z.record(z.string(), value, { error: "must be an object" }).transform((record, ctx) => {
    const out: Record<string, z.output<T>> = {};
    const keys = Object.keys(record);
    if (emptyMessage !== null && keys.length === 0) return refuse(ctx, emptyMessage);
    for (const key of keys) {
      const parsed = name.safeParse(key);
      if (!parsed.success) return refuse(ctx, parsed.error.issues[0]!.message, [key]);
      out[parsed.data] = record[key] as z.output<T>;
    }
    return out;
  });
}

const pointer = z.string({ error: "must be a string" }).refine((p) => parsePointer(p) !== null, "must be a JSON pointer");
const flag = z.boolean({ error: "must be boolean" }).optional();

const binding = closedObject({
  version: z.number({ error: "must be a positive integer" }).int("must be a positive integer").positive("must be a positive integer"),
  jsonPointer: pointer,
});

const field = closedObject({
  kind: z.enum(FIELD_KINDS, { error: `must be ${FIELD_KINDS.join("|")}` }),
  bindings: z.array(binding, { error: "must be a non-empty array" }).min(1, "must be a non-empty array"),
  normalizer: z.enum(["identity_v1", "lowercase_v1"], { error: "must be identity_v1|lowercase_v1" }).optional(),
  analyzer: z.enum(["unicode_word_v1"], { error: "must be unicode_word_v1" }).optional(),
  exact: flag,
  prefix: flag,
  column: flag,
  exists: flag,
  sortable: flag,
  aggregatable: flag,
  contains: flag,
  positions: flag,
}).superRefine((f, ctx) => {
  const on = (c: Capability) => f[c] === true;
  const versions = new Set<number>();
  for (const [i, b] of f.bindings.entries()) {
    if (versions.has(b.version)) refuse(ctx, "must be unique per field", ["bindings", i, "version"]);
    versions.add(b.version);
  }
  if (f.kind === "text") {
    if (!f.analyzer) refuse(ctx, "is required for text fields", ["analyzer"]);
    for (const c of ["column", "sortable", "aggregatable"] as const) if (on(c)) refuse(ctx, "is not allowed on text fields", [c]);
  } else if (on("positions")) {
    refuse(ctx, "is only allowed on text fields", ["positions"]);
  }
  if (f.kind === "keyword" && f.analyzer) refuse(ctx, "is not allowed on keyword fields", ["analyzer"]);
  if (TYPED_KINDS.has(f.kind)) {
    for (const c of ["prefix", "contains"] as const) if (on(c)) refuse(ctx, `is not allowed on ${f.kind} fields`, [c]);
    if (f.normalizer) refuse(ctx, `is not allowed on ${f.kind} fields`, ["normalizer"]);
  }
});

const query = z.string({ error: "must be a string" }).trim().min(1, "must not be empty");

const measure = z.unknown().transform((value, ctx) => {
  const kind = (value as { kind?: unknown } | null)?.kind;
  const schema = kind === "count" ? countMeasure : kind === "summary" ? summaryMeasure : kind === "summary_parts" ? partsMeasure : null;
  if (schema === null) return refuse(ctx, "must be count, summary, or summary_parts", ["kind"]);
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: issue.path } as never);
    return z.NEVER;
  }
  return parsed.data;
});
const countMeasure = closedObject({ kind: z.literal("count"), include: query.optional() });
const summaryMeasure = closedObject({ kind: z.literal("summary"), field: name, histogram: z.literal("log2_v1", { error: "must be log2_v1" }).optional() });
const partsMeasure = closedObject({
  kind: z.literal("summary_parts"),
  countJsonPointer: pointer,
  sumJsonPointer: pointer,
  minJsonPointer: pointer,
  maxJsonPointer: pointer,
  histogramJsonPointer: pointer.optional(),
});

const interval = z.string({ error: "must be a positive duration string" }).refine((d) => {
  const m = DURATION.exec(d);
  return m !== null && Number(m[1]) > 0;
}, "must be a positive duration string");

const rollup = closedObject({
  timestampField: name.optional(),
  include: query.optional(),
  dimensions: z.array(name, { error: "must be an array" }).optional(),
  intervals: z.array(interval, { error: "must be a non-empty array" }).min(1, "must be a non-empty array"),
  measures: namedRecord(measure, "must be a non-empty object"),
});

const block = closedObject({
  profile: z.string({ error: "must be a string" }).optional(),
  primaryTimestampField: name,
  defaultFields: z.array(closedObject({ field: name, boost: z.number({ error: "must be a finite number > 0" }).positive("must be a finite number > 0").optional() }), { error: "must be an array" }).optional(),
  containsDefaultFields: z.array(name, { error: "must be an array" }).optional(),
  aliases: namedRecord(name, null).optional(),
  fields: namedRecord(field, "must be a non-empty object"),
  rollups: namedRecord(rollup, null).optional(),
});

export type SearchConfig = z.output<typeof block>;
type FieldConfig = SearchConfig["fields"][string];

/** Cross-references: every name that points at a field must point at a declared one of the right kind. */
function checkReferences(search: SearchConfig, ctx: z.RefinementCtx): void {
  const fields = search.fields as Record<string, FieldConfig>;
  const declared = (id: string) => Object.hasOwn(fields, id);
  const isDate = (id: string) => declared(id) && fields[id]!.kind === "date";
  if (!declared(search.primaryTimestampField)) refuse(ctx, "must reference a declared field", ["primaryTimestampField"]);
  else if (!isDate(search.primaryTimestampField)) refuse(ctx, "must reference a date field", ["primaryTimestampField"]);
  for (const [i, d] of (search.defaultFields ?? []).entries()) if (!declared(d.field)) refuse(ctx, "must reference a declared field", ["defaultFields", i, "field"]);
  for (const [i, f] of (search.containsDefaultFields ?? []).entries()) if (!declared(f)) refuse(ctx, "must reference a declared field", ["containsDefaultFields", i]);
  for (const [alias, target] of Object.entries(search.aliases ?? {})) if (!declared(target)) refuse(ctx, "must reference a declared field", ["aliases", alias]);
  for (const [rollupName, r] of Object.entries(search.rollups ?? {})) {
    const at = (...rest: PropertyKey[]) => ["rollups", rollupName, ...rest];
    const ts = r.timestampField ?? search.primaryTimestampField;
    if (!isDate(ts)) refuse(ctx, "must reference a declared date field", at("timestampField"));
    const dims = r.dimensions ?? [];
    for (const [i, d] of dims.entries()) {
      if (!declared(d) || fields[d]!.exact !== true) refuse(ctx, "must reference an exact-capable field", at("dimensions", i));
      if (dims.indexOf(d) !== i) refuse(ctx, "must be unique", at("dimensions", i));
    }
    for (const [i, d] of r.intervals.entries()) if (r.intervals.indexOf(d) !== i) refuse(ctx, "must be unique", at("intervals", i));
    for (const [measureName, m] of Object.entries(r.measures)) {
      if (m.kind !== "summary") continue;
      const f = fields[m.field];
      if (!f || f.aggregatable !== true || (f.kind !== "integer" && f.kind !== "float")) {
        refuse(ctx, "must reference an aggregatable integer or float field", at("measures", measureName, "field"));
      }
    }
  }
}

const searchConfig = block.superRefine(checkReferences);

/** Validates a `search` block; the value to store has its names trimmed. */
export function parseSearchConfig(value: unknown): { ok: true; value: SearchConfig } | { ok: false; message: string } {
  const parsed = searchConfig.safeParse(value);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, message: firstIssueMessage("search", parsed.error) };
}
